// Postfix smtpd SASL authentication → auth events.
//   failure  postfix/submission/smtpd[11538]: warning: unknown[192.0.2.33]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
//            postfix/smtpd[4516]: warning: unknown[192.0.2.33]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin@example.com
//   success  postfix/submission/smtpd[8123]: 4Q9xYz1abc: client=mail.example.net[192.0.2.7]:51234, sasl_method=PLAIN, sasl_username=alice@example.com
// The service comes from the syslog tag: `postfix[-instance]/<service>/smtpd`;
// submission / smtps / submissions → proto "submission", plain smtpd → "smtp".
//
// Counting: each "authentication failed" line is one attempt (`attrs.attempts = 1`,
// stage "smtp"); the Dovecot auth lines a Dovecot SASL backend writes for the
// same attempt are evidence only (see dovecot.ts). "Connection lost to
// authentication server" is an outage, not an attempt, and yields nothing.
//
// Hostile input: the client name is a DNS name Postfix validated and cannot
// hold "[", so the address is the first bracketed value. The SASL user name is
// the client's and comes last; the reason before it is the server's, so the
// user name starts at the FIRST ", sasl_username=". On success lines the user
// name was just authenticated, and a trailing ", sasl_sender=" (the client's
// MAIL FROM AUTH=) is cut off at its LAST occurrence.

import { ipOrUndefined, portOrUndefined } from "./fields.js";
import { type Attrs, type AuthParser, type EnvelopeRecord, NO_EVENTS, type PartialEvent } from "./types.js";

const CLIENT = /^([^[\]\s,]{0,255})\[([0-9A-Fa-f.:]{2,45})\](?::(\d{1,5}))?/;
const SASL_FAILED = /^: SASL ([\w-]{1,32}) authentication failed: ?/;
const SUCCESS = /^([0-9A-Za-z]{5,20}): client=/;

function protoOf(program: string): { proto: string; service: string } | null {
  if (program === "smtpd") return { proto: "smtp", service: "smtpd" };
  if (!program.startsWith("postfix") || !program.endsWith("/smtpd")) return null;
  const parts = program.split("/");
  const service = parts.length === 3 ? (parts[1] ?? "smtp") : "smtp";
  const submission = service === "submission" || service === "smtps" || service === "submissions";
  return { proto: submission ? "submission" : "smtp", service };
}

function withClient(e: PartialEvent, m: RegExpExecArray, attrs: Attrs): PartialEvent {
  const ip = ipOrUndefined(m[2]);
  if (ip !== undefined) e.src_ip = ip;
  const port = portOrUndefined(m[3]);
  if (port !== undefined) e.src_port = port;
  if (m[1] !== undefined && m[1] !== "unknown" && m[1].length > 0) attrs.client_name = m[1];
  return e;
}

function parseFailure(msg: string, proto: string, service: string): readonly PartialEvent[] | null {
  const rest = msg.slice(9); // "warning: "
  const c = CLIENT.exec(rest);
  if (c === null) return null;
  const afterClient = rest.slice(c[0].length);
  const s = SASL_FAILED.exec(afterClient);
  if (s === null) return null;
  let detail = afterClient.slice(s[0].length);
  let user: string | undefined;
  const ui = detail.indexOf(", sasl_username=");
  if (ui !== -1) {
    user = detail.slice(ui + 16);
    detail = detail.slice(0, ui);
  }
  if (detail.startsWith("Connection lost to authentication server")) return NO_EVENTS;
  const attrs: Attrs = { stage: "smtp", attempts: 1, method: (s[1] ?? "").toUpperCase(), service };
  if (detail.length > 0) attrs.detail = detail.slice(0, 256);
  const e: PartialEvent = {
    kind: "auth",
    action: "auth_failure",
    outcome: "failure",
    proto,
    reason: "auth_failed",
    attrs,
  };
  if (user !== undefined && user.length > 0) e.user = user;
  return [withClient(e, c, attrs)];
}

function parseSuccess(msg: string, proto: string, service: string): readonly PartialEvent[] | null {
  const q = SUCCESS.exec(msg);
  if (q === null) return null;
  const rest = msg.slice(q[0].length);
  const c = CLIENT.exec(rest);
  if (c === null) return null;
  const fields = rest.slice(c[0].length);
  const ui = fields.indexOf(", sasl_username=");
  if (ui === -1) return null; // an unauthenticated client: not an auth event
  let user = fields.slice(ui + 16);
  const si = user.lastIndexOf(", sasl_sender=");
  if (si !== -1) user = user.slice(0, si);
  const attrs: Attrs = { stage: "smtp", service, queue_id: q[1] ?? "" };
  const mi = fields.indexOf(", sasl_method=");
  if (mi !== -1 && mi < ui) attrs.method = fields.slice(mi + 14, ui).toUpperCase();
  const e: PartialEvent = { kind: "auth", action: "login", outcome: "success", proto, attrs };
  if (user.length > 0) e.user = user;
  return [withClient(e, c, attrs)];
}

export const postfixParser: AuthParser<undefined> = {
  id: "postfix",
  createState: () => undefined,
  parse(rec: EnvelopeRecord): readonly PartialEvent[] | null {
    const p = protoOf(rec.program);
    if (p === null) return null;
    const msg = rec.message;
    if (msg.startsWith("warning: ")) return parseFailure(msg, p.proto, p.service);
    if (msg.includes(": client=")) return parseSuccess(msg, p.proto, p.service);
    return null;
  },
};
