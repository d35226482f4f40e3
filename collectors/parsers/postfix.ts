// Postfix → SASL authentication (auth events, from smtpd) and outbound
// deliveries (mail_out events, qmgr joined with the delivery agents).
//
// Authentication:
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

//
// Deliveries: the queue manager logs a message once it is queued, the
// delivery agent (smtp, lmtp, relay, local, virtual, pipe, discard, error)
// once per recipient and attempt; the queue id joins them:
//   postfix/qmgr[8328]: 8A2479902F0: from=<alice@example.test>, size=376, nrcpt=1 (queue active)
//   postfix/smtp[8505]: 8A2479902F0: to=<dave@remote.test>, relay=mx.remote.test[203.0.113.25]:25, delay=1.2, delays=0.01/0.01/0.5/0.7, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4Q9...)
//   postfix/qmgr[8328]: 8A2479902F0: removed                          → forget the queue id
// One mail_out / "delivery" event per delivery line: user = the sender (unset
// for the null sender of bounces), object = the recipient, dst_ip/dst_port
// from relay=host[ip]:port, records = nrcpt and bytes_out = size of the
// MESSAGE (so per-message, repeated on each of its recipients' lines: count
// distinct attrs.queue_id, not the sum, for volume), outcome success for sent,
// failure for bounced/expired, unknown for deferred; attrs status, queue_id,
// relay, dsn, delay, service (the agent), detail (the remote server's reply),
// local. attrs.local = true for deliveries that never leave the platform
// (local, virtual, pipe, lmtp — Dovecot's — discard and error agents, relays
// over a unix socket or to loopback, e.g. a content filter): egress
// detections ignore them. Bounded memory: at most MAX_QUEUED queue ids (oldest
// dropped: its deliveries then lack sender, size and nrcpt).
//
// Hostile input: the sender and the recipient are the client's, the reply
// text the remote server's (an attacker's own MX, when mail goes to the
// attacker's domain). The sender is read from the right of the qmgr line
// (nothing after it is the client's); the recipient left to right with its
// quoted local part (Postfix quotes a local part holding `>` or `,`), then
// Postfix's own fields are matched strictly up to `status=`, and the reply is
// whatever follows.

import { ipOrUndefined, portOrUndefined } from "./fields.js";
import {
  type Attrs,
  type EnvelopeRecord,
  type LineContext,
  type LogParser,
  NO_EVENTS,
  type PartialEvent,
} from "./types.js";

export const MAX_QUEUED = 50_000;

export interface PostfixState {
  /**
   * Queue id → its qmgr `from=<...>, size=N, nrcpt=M (queue active)` line, kept
   * as is and parsed only when a delivery of that id arrives (most queue ids
   * are gone — "removed" — before anyone asks; storing the line costs one map entry).
   */
  readonly queue: Map<string, string>;
}

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

const QUEUE_ID = /^[0-9A-Za-z]{5,20}$/;
const QMGR_FROM = /^from=<(.*)>, size=(\d{1,15}), nrcpt=(\d{1,9}) \(queue active\)$/;
// Postfix's own fields between the recipient(s) and the status reply.
const DELIVERY_TAIL =
  /^, relay=([^,\s]{1,300}), (?:conn_use=\d{1,6}, )?delay=([\d.]{1,15}), delays=[\d.]{1,15}(?:\/[\d.]{1,15}){3}, dsn=(\d\.\d{1,3}\.\d{1,3}), status=([a-z]{1,16})(?: (.*))?$/;
const RELAY = /^([^[\]\s]{0,255})\[([^\]]{1,255})\](?::(\d{1,5}))?$/;
const LOCAL_AGENTS = new Set(["local", "virtual", "pipe", "lmtp", "discard", "error"]);
const DELIVERY_AGENTS = new Set(["smtp", "lmtp", "relay", "local", "virtual", "pipe", "discard", "error"]);
const MAX_QUEUED_LINE = 1024;

/** Index just past the `>` that closes an address starting at `i` (after `<`), or -1. */
function addressEnd(s: string, i: number): number {
  let j = i;
  if (s[j] === '"') {
    // Quoted local part: up to the closing quote, backslash escapes inside.
    j++;
    while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
    if (j >= s.length) return -1;
    j++;
  }
  const gt = s.indexOf(">", j);
  return gt === -1 ? -1 : gt + 1;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1" || ip.startsWith("::ffff:127.");
}

function outcomeOf(status: string): PartialEvent["outcome"] {
  if (status === "sent") return "success";
  if (status === "bounced" || status === "expired") return "failure";
  return "unknown";
}

const QUEUE_ACTIVE = " (queue active)";

function qmgrLine(state: PostfixState, qid: string, rest: string, line: string): readonly PartialEvent[] | null {
  if (rest === "removed") {
    state.queue.delete(qid);
    return NO_EVENTS;
  }
  if (!rest.startsWith("from=<")) return null;
  if (!rest.endsWith(QUEUE_ACTIVE)) return NO_EVENTS; // "status=expired, returned to sender"
  if (state.queue.size >= MAX_QUEUED && !state.queue.has(qid)) {
    const oldest = state.queue.keys().next();
    if (oldest.done !== true) state.queue.delete(oldest.value);
  }
  state.queue.set(qid, line.length > MAX_QUEUED_LINE ? line.slice(0, MAX_QUEUED_LINE) : line);
  return NO_EVENTS;
}

/** Sender, size and nrcpt of a stored qmgr line, or undefined when it does not parse. */
function queued(qmgr: string, qid: string): { sender: string; size: number; nrcpt: number } | undefined {
  const at = qmgr.indexOf(`${qid}: from=<`);
  if (at === -1) return undefined;
  const m = QMGR_FROM.exec(qmgr.slice(at + qid.length + 2));
  if (m === null) return undefined;
  return { sender: (m[1] ?? "").slice(0, 512), size: Number(m[2]), nrcpt: Number(m[3]) };
}

function deliveryLine(
  state: PostfixState,
  agent: string,
  qid: string,
  rest: string,
  line: string,
): readonly PartialEvent[] | null {
  if (!rest.startsWith("to=<")) return null;
  let end = addressEnd(rest, 4);
  if (end === -1) return null;
  const rcpt = rest.slice(4, end - 1);
  let origTo: string | undefined;
  if (rest.startsWith(", orig_to=<", end)) {
    const oe = addressEnd(rest, end + 11);
    if (oe === -1) return null;
    origTo = rest.slice(end + 11, oe - 1);
    end = oe;
  }
  const t = DELIVERY_TAIL.exec(rest.slice(end));
  if (t === null) return null;
  const relay = t[1] ?? "";
  const status = t[4] ?? "";
  const attrs: Attrs = { status, queue_id: qid, relay: relay.slice(0, 256), dsn: t[3] ?? "", service: agent };
  const delay = Number(t[2]);
  if (Number.isFinite(delay)) attrs.delay = delay;
  let detail = t[5];
  if (detail !== undefined) {
    if (detail.startsWith("(") && detail.endsWith(")")) detail = detail.slice(1, -1);
    if (detail.length > 0) attrs.detail = detail.slice(0, 256);
  }
  if (origTo !== undefined && origTo.length > 0) attrs.orig_to = origTo.slice(0, 256);
  const e: PartialEvent = { kind: "mail_out", action: "delivery", outcome: outcomeOf(status), attrs };
  if (rcpt.length > 0) e.object = rcpt.slice(0, 4096);
  if (agent === "smtp" || agent === "relay") e.proto = "smtp";
  else if (agent === "lmtp") e.proto = "lmtp";
  let local = LOCAL_AGENTS.has(agent) || relay === "local" || relay === "virtual";
  const r = RELAY.exec(relay);
  if (r !== null) {
    const ip = ipOrUndefined(r[2]);
    if (ip !== undefined) {
      e.dst_ip = ip;
      if (isLoopback(ip)) local = true;
    } else if (!local && (r[2] ?? "").includes("/")) {
      local = true; // a unix socket: private/dovecot-lmtp, public/...
    }
    const port = portOrUndefined(r[3]);
    if (port !== undefined) e.dst_port = port;
  }
  attrs.local = local;
  const qmgr = state.queue.get(qid);
  const q = qmgr === undefined ? undefined : queued(qmgr, qid);
  if (qmgr !== undefined && q !== undefined) {
    if (q.sender.length > 0) e.user = q.sender;
    else attrs.null_sender = true;
    e.records = q.nrcpt;
    e.bytes_out = q.size;
    e.from = { raw: `${qmgr}\n${line}` };
  }
  return [e];
}

/** The last part of a `postfix[-instance]/.../<agent>` tag, or undefined. */
function agentOf(program: string): string | undefined {
  if (!program.startsWith("postfix")) return undefined;
  if (program.endsWith("/smtpd")) return "smtpd"; // the most frequent: no substring
  const slash = program.lastIndexOf("/");
  return slash === -1 ? undefined : program.slice(slash + 1);
}

export const postfixParser: LogParser<PostfixState> = {
  id: "postfix",
  createState: () => ({ queue: new Map() }),
  parse(rec: EnvelopeRecord, state: PostfixState, at: LineContext): readonly PartialEvent[] | null {
    const msg = rec.message;
    const agent = agentOf(rec.program);
    if (agent === "qmgr" || (agent !== undefined && DELIVERY_AGENTS.has(agent))) {
      const colon = msg.indexOf(": ");
      if (colon < 5 || colon > 20 || !QUEUE_ID.test(msg.slice(0, colon))) return null;
      const qid = msg.slice(0, colon);
      const rest = msg.slice(colon + 2);
      return agent === "qmgr" ? qmgrLine(state, qid, rest, at.line) : deliveryLine(state, agent, qid, rest, at.line);
    }
    const p = protoOf(rec.program);
    if (p === null) return null;
    if (msg.startsWith("warning: ")) return parseFailure(msg, p.proto, p.service);
    if (msg.includes(": client=")) return parseSuccess(msg, p.proto, p.service);
    return null;
  },
};
