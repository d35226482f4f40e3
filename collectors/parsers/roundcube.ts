// Roundcube webmail logins → auth events. Roundcube writes to its own files
// (`[17-Jun-2026 03:12:45 +0000]: <sess> ...`, see envelope.ts) or to syslog
// (`roundcube: <sess> ...`); the messages are the same:
//   userlogins  Successful login for alice@example.com (ID: 42) from 192.0.2.7 in session 0f1e2d3c
//               Failed login for bob@example.com from 192.0.2.7 in session 0f1e2d3c (error: 0)
//   errors      IMAP Error: Login failed for bob@example.com against localhost from 192.0.2.7. AUTHENTICATE PLAIN: Authentication failed. in /usr/share/roundcube/program/lib/Roundcube/rcube_imap.php on line 200 (POST /?_task=login&_action=login)
//               FAILED login for user1 from 192.0.2.7                     (Roundcube < 1.1)
// The address may carry the proxy headers Roundcube appends:
//   from 192.0.2.7(X-Forwarded-For: 203.0.113.9)
// src_ip is always the connecting address (REMOTE_ADDR); the header text,
// which any client can set, goes to attrs.forwarded.
//
// Counting: "Failed login" (userlogins, needs log_logins=true) and the old
// "FAILED login" are one attempt each (`attrs.attempts = 1`, stage "login").
// "IMAP Error: Login failed" is the errors-log echo of the same attempt:
// stage "imap", no `attempts`. (Dovecot also logs the attempt, from the
// webmail host's address unless it trusts Roundcube's forwarded address.)
//
// Hostile input: on failures both the user name (left of the address) and the
// proxy headers (right of it) are the client's. When nothing hostile follows
// the address ("... from IP in session S"), it is read from the right. When a
// header block follows, every " from IP(X-...: " is a candidate; exactly one
// means no doubt, more than one means the line is ambiguous: no src_ip,
// `attrs.src_ambiguous = true` (never a guessed address).

import { ipOrUndefined } from "./fields.js";
import type { Attrs, EnvelopeRecord, LogParser, PartialEvent } from "./types.js";

// An address never ends in "." (which ends the sentence in "from 192.0.2.7. AUTHENTICATE ...").
const IP = "([0-9A-Fa-f.:]{1,44}[0-9A-Fa-f:])";
const SESSION_PREFIX = /^<([\w-]{1,64})> /;
const SUCCESS = /^Successful login for (.+) in session ([\w,-]{1,128})$/;
const USER_ID = / \(ID: (\d{1,12})\)$/;
const FAILED = /^Failed login for (.+) in session ([\w,-]{1,128}) \(error: (-?\d{1,6})\)$/;
const FAILED_OLD = new RegExp(`^FAILED login for (.*) from ${IP}$`);
const IMAP_ERROR = /^IMAP Error: Login failed for /;
const ADDRESS_END = new RegExp(`(?:^| from )${IP}$`);
// " from IP(X-Real-IP: ..." / " from IP(X-Forwarded-For: ..."
const PROXIED = new RegExp(` from ${IP}\\((X-Real-IP|X-Forwarded-For): `, "g");
// " from IP" followed by "(", ".", " " or the end (the IMAP error line).
const IMAP_FROM = new RegExp(` from ${IP}(?=[(. ]|$)`, "g");

interface Located {
  user: string;
  ip: string | undefined;
  forwarded: string | undefined;
  ambiguous: boolean;
}

/** Splits "<user> from <address>" where the address may end in a proxy-header block. */
function locate(userAndAddress: string): Located | null {
  if (!userAndAddress.endsWith(")")) {
    // "bob from 192.0.2.7": nothing after the address, read from the right.
    const fi = userAndAddress.lastIndexOf(" from ");
    if (fi === -1) return null;
    const m = ADDRESS_END.exec(userAndAddress.slice(fi));
    if (m === null) return null;
    return { user: userAndAddress.slice(0, fi), ip: ipOrUndefined(m[1]), forwarded: undefined, ambiguous: false };
  }
  const candidates: Array<{ index: number; ip: string; block: number }> = [];
  PROXIED.lastIndex = 0;
  for (let m = PROXIED.exec(userAndAddress); m !== null; m = PROXIED.exec(userAndAddress)) {
    candidates.push({ index: m.index, ip: m[1] ?? "", block: m.index + 6 + (m[1] ?? "").length });
    PROXIED.lastIndex = m.index + 1;
    if (candidates.length > 8) break;
  }
  const only = candidates[0];
  if (only === undefined) return null;
  if (candidates.length > 1) return { user: "", ip: undefined, forwarded: undefined, ambiguous: true };
  return {
    user: userAndAddress.slice(0, only.index),
    ip: ipOrUndefined(only.ip),
    forwarded: userAndAddress.slice(only.block + 1, -1).slice(0, 512),
    ambiguous: false,
  };
}

function event(action: "login" | "auth_failure", where: Located, attrs: Attrs): PartialEvent {
  const e: PartialEvent =
    action === "login"
      ? { kind: "auth", action, outcome: "success", proto: "http", attrs }
      : { kind: "auth", action, outcome: "failure", proto: "http", reason: "auth_failed", attrs };
  if (where.user.length > 0) e.user = where.user;
  if (where.ip !== undefined) e.src_ip = where.ip;
  if (where.forwarded !== undefined) attrs.forwarded = where.forwarded;
  if (where.ambiguous) attrs.src_ambiguous = true;
  return e;
}

function parseImapError(rest: string, attrs: Attrs): PartialEvent | null {
  const candidates: Array<{ index: number; ip: string }> = [];
  IMAP_FROM.lastIndex = 0;
  for (let m = IMAP_FROM.exec(rest); m !== null; m = IMAP_FROM.exec(rest)) {
    candidates.push({ index: m.index, ip: m[1] ?? "" });
    if (candidates.length > 8) break;
  }
  const first = candidates[0];
  if (first === undefined) return null;
  attrs.stage = "imap";
  if (candidates.length > 1)
    return event("auth_failure", { user: "", ip: undefined, forwarded: undefined, ambiguous: true }, attrs);
  let user = rest.slice(0, first.index);
  const against = user.lastIndexOf(" against ");
  if (against !== -1 && !user.slice(against + 9).includes(" ")) {
    attrs.imap_host = user.slice(against + 9);
    user = user.slice(0, against);
  }
  let forwarded: string | undefined;
  const after = first.index + 6 + first.ip.length;
  if (rest[after] === "(") {
    const close = rest.indexOf(")", after);
    if (close !== -1) forwarded = rest.slice(after + 1, close).slice(0, 512);
  }
  return event("auth_failure", { user, ip: ipOrUndefined(first.ip), forwarded, ambiguous: false }, attrs);
}

function parseMessage(message: string): PartialEvent | null {
  let msg = message;
  const attrs: Attrs = {};
  const s = SESSION_PREFIX.exec(msg);
  if (s !== null) {
    attrs.session = s[1] ?? "";
    msg = msg.slice(s[0].length);
  }
  switch (msg.charCodeAt(0)) {
    case 0x53 /* S */:
      {
        const m = SUCCESS.exec(msg);
        if (m === null) return null;
        const where = locate(m[1] ?? "");
        if (where === null) return null;
        const id = USER_ID.exec(where.user);
        if (id !== null) {
          where.user = where.user.slice(0, id.index);
          attrs.user_id = Number(id[1]);
        }
        attrs.stage = "login";
        attrs.session = m[2] ?? "";
        return event("login", where, attrs);
      }
    case 0x46 /* F */:
      {
        let m = FAILED.exec(msg);
        if (m !== null) {
          const where = locate(m[1] ?? "");
          if (where === null) return null;
          attrs.stage = "login";
          attrs.attempts = 1;
          attrs.session = m[2] ?? "";
          attrs.error_code = Number(m[3]);
          return event("auth_failure", where, attrs);
        }
        m = FAILED_OLD.exec(msg);
        if (m === null) return null;
        attrs.stage = "login";
        attrs.attempts = 1;
        return event(
          "auth_failure",
          { user: m[1] ?? "", ip: ipOrUndefined(m[2]), forwarded: undefined, ambiguous: false },
          attrs,
        );
      }
    case 0x49 /* I */:
      {
        const m = IMAP_ERROR.exec(msg);
        return m === null ? null : parseImapError(msg.slice(m[0].length), attrs);
      }
    default:
      return null;
  }
}

export const roundcubeParser: LogParser<undefined> = {
  id: "roundcube",
  createState: () => undefined,
  parse(rec: EnvelopeRecord): readonly PartialEvent[] | null {
    const e = parseMessage(rec.message);
    return e === null ? null : [e];
  },
};
