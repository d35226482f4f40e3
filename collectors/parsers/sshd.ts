// OpenSSH sshd (and sshd-session, OpenSSH ≥ 9.8) authentication → auth events.
//   Failed password for invalid user admin from 192.0.2.1 port 50273 ssh2
//   Failed publickey for git from 192.0.2.1 port 57904 ssh2: ECDSA SHA256:...
//   Accepted password for alice from 192.0.2.113 port 52100 ssh2
//   Accepted keyboard-interactive/pam for alice from 192.0.2.5 port 4711 ssh2
//   Invalid user admin from 192.0.2.117 port 44004
//   error: PAM: Authentication failure for alice from 192.0.2.9
//   pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112  user=root
//   error: maximum authentication attempts exceeded for root from 192.0.2.1 port 49940 ssh2 [preauth]
//   Disconnecting authenticating user root 192.0.2.1 port 5022: Too many authentication failures [preauth]
//   Connection closed by authenticating user root 192.0.2.10 port 46038 [preauth]
//   User root from 192.0.2.3 not allowed because not listed in AllowUsers
//
// Counting: each "Failed <method>" line is one attempt (`attrs.attempts = 1`,
// stage "auth"), except the "none" method (a client probing which methods
// exist: stage "probe"). "Invalid user", PAM, "not allowed", too-many-failures
// summaries and pre-auth disconnects describe attempts already counted (or
// none) and carry a stage but no `attempts`. `attrs.session` is the sshd pid.
//
// Hostile input: the user name is the client's. Where nothing the client
// controls follows the address ("Invalid user U from IP port P", "... user U
// IP port P [preauth]"), the address is read from the right. "Failed/Accepted"
// lines may end with key information: for an existing account ("for alice",
// no "invalid user") the name is not the attacker's free text, so the FIRST
// " from IP port P" is the address; for "invalid user" names the LAST one whose
// tail is empty or a key fingerprint is. Host names (UseDNS) go to
// attrs.src_host, never to src_ip.

import { ipOrUndefined, portOrUndefined } from "./fields.js";
import { parsePamFailure } from "./pam.js";
import type { Attrs, EnvelopeRecord, LogParser, PartialEvent } from "./types.js";

const IP = "([0-9A-Fa-f.:]{2,45})";
const FAILED_ACCEPTED = /^(Failed|Accepted) ([\w/-]{1,64}) for /;
const FROM_ADDRESS = new RegExp(` from ${IP}(?: port (\\d{1,5}))?(?: (ssh[12]?))?`, "g");
// ": RSA SHA256:abc", ": ED25519-CERT SHA256:abc ID x (serial 1) CA ...", ": DSA 01:c0:..."
const KEY_INFO = /^: [A-Z][A-Z0-9-]{1,31} [\w+/=:$.-]{8,256}(?: ID .*)?$/;
const INVALID_USER = new RegExp(`^Invalid user (.*) from ${IP}(?: port (\\d{1,5}))?$`);
const PREAUTH_DISCONNECT = new RegExp(
  `^(?:Connection closed by|Disconnected from|Connection reset by) (authenticating|invalid) user (.*) ${IP} port (\\d{1,5})(?: \\[preauth\\])?$`,
);
const TOO_MANY_WITH_ADDRESS = new RegExp(
  `^Disconnecting (authenticating|invalid) user (.*) ${IP} port (\\d{1,5}): Too many authentication failures(?: \\[preauth\\])?$`,
);
const TOO_MANY_OLD =
  /^Disconnecting: Too many authentication failures(?: for (invalid user )?(.*?))?(?: \[preauth\])?$/;
const MAX_ATTEMPTS = new RegExp(
  `^maximum authentication attempts exceeded for (invalid user )?(.*) from ${IP} port (\\d{1,5})(?: ssh2)?(?: \\[preauth\\])?$`,
);
const PAM_ERROR =
  /^PAM: (?:[Aa]uthentication (?:failure|error)|User not known to the underlying authentication module) for (illegal user )?(.*) from (\S+?)(?: via \S+)?$/;
const NOT_ALLOWED = /^User (\S+) from (\S+) not allowed because (.{1,200})$/;

function base(rec: EnvelopeRecord, stage: string): Attrs {
  const attrs: Attrs = { stage };
  if (rec.pid !== undefined) attrs.session = String(rec.pid);
  return attrs;
}

function failure(reason: string, attrs: Attrs): PartialEvent {
  return { kind: "auth", action: "auth_failure", outcome: "failure", proto: "ssh", reason, attrs };
}

function setSource(e: PartialEvent, host: string | undefined, port?: string): PartialEvent {
  if (host !== undefined && host.length > 0) {
    const ip = ipOrUndefined(host);
    if (ip !== undefined) e.src_ip = ip;
    else if (e.attrs !== undefined) e.attrs.src_host = host.slice(0, 255);
  }
  const p = portOrUndefined(port);
  if (p !== undefined) e.src_port = p;
  return e;
}

function setUser(e: PartialEvent, user: string | undefined): PartialEvent {
  if (user !== undefined && user.length > 0 && user !== "<invalid username>") e.user = user;
  return e;
}

interface AddressSplit {
  user: string;
  ip: string;
  port: string | undefined;
}

/** Where the address is in "<user> from IP port P ssh2[: key info]" (see the header). */
function splitUserAddress(rest: string, hostileUser: boolean): AddressSplit | null {
  const found: Array<{ index: number; end: number; ip: string; port: string | undefined }> = [];
  FROM_ADDRESS.lastIndex = 0;
  for (let m = FROM_ADDRESS.exec(rest); m !== null; m = FROM_ADDRESS.exec(rest)) {
    found.push({ index: m.index, end: m.index + m[0].length, ip: m[1] ?? "", port: m[2] });
    if (found.length > 64) break;
  }
  const tailOk = (end: number, strict: boolean): boolean => {
    const tail = rest.slice(end);
    return tail === "" || (strict ? KEY_INFO.test(tail) : tail.startsWith(": "));
  };
  if (hostileUser) {
    for (let i = found.length - 1; i >= 0; i--) {
      const f = found[i];
      if (f !== undefined && tailOk(f.end, true)) return { user: rest.slice(0, f.index), ip: f.ip, port: f.port };
    }
    return null;
  }
  for (const f of found) {
    if (tailOk(f.end, false)) return { user: rest.slice(0, f.index), ip: f.ip, port: f.port };
  }
  return null;
}

function parseFailedAccepted(rec: EnvelopeRecord, msg: string, m: RegExpExecArray): PartialEvent | null {
  const method = m[2] ?? "";
  let rest = msg.slice(m[0].length);
  const invalid = rest.startsWith("invalid user ");
  if (invalid) rest = rest.slice(13);
  const s = splitUserAddress(rest, invalid);
  if (s === null) return null;
  let e: PartialEvent;
  if (m[1] === "Accepted") {
    const attrs = base(rec, "auth");
    attrs.method = method;
    e = { kind: "auth", action: "login", outcome: "success", proto: "ssh", attrs };
  } else if (method === "none") {
    const attrs = base(rec, "probe");
    attrs.method = method;
    e = failure(invalid ? "unknown_user" : "none_method", attrs);
  } else {
    const attrs = base(rec, "auth");
    attrs.method = method;
    attrs.attempts = 1;
    const keyMethod = method === "publickey" || method === "hostbased";
    e = failure(invalid ? "unknown_user" : keyMethod ? "bad_key" : "bad_password", attrs);
  }
  return setSource(setUser(e, s.user), s.ip, s.port);
}

function parseMessage(rec: EnvelopeRecord, msg: string): PartialEvent | null {
  const c = msg.charCodeAt(0);
  if (c === 0x46 /* F */ || c === 0x41 /* A */) {
    const m = FAILED_ACCEPTED.exec(msg);
    return m === null ? null : parseFailedAccepted(rec, msg, m);
  }
  if (c === 0x49 /* I */) {
    const m = INVALID_USER.exec(msg);
    if (m === null) return null;
    return setSource(setUser(failure("unknown_user", base(rec, "precheck")), m[1]), m[2], m[3]);
  }
  if (c === 0x43 /* C */ || msg.startsWith("Disconnected from ")) {
    const m = PREAUTH_DISCONNECT.exec(msg);
    if (m === null) return null;
    const attrs = base(rec, "disconnect");
    if (m[1] === "invalid") attrs.invalid_user = true;
    return setSource(setUser(failure("preauth_disconnect", attrs), m[2]), m[3], m[4]);
  }
  if (msg.startsWith("Disconnecting")) {
    let m = TOO_MANY_WITH_ADDRESS.exec(msg);
    if (m !== null) return setSource(setUser(failure("too_many_failures", base(rec, "summary")), m[2]), m[3], m[4]);
    m = TOO_MANY_OLD.exec(msg);
    if (m === null) return null;
    return setUser(failure("too_many_failures", base(rec, "summary")), m[2]);
  }
  if (c === 0x6d /* m */) {
    const m = MAX_ATTEMPTS.exec(msg);
    if (m === null) return null;
    return setSource(setUser(failure("too_many_failures", base(rec, "summary")), m[2]), m[3], m[4]);
  }
  if (c === 0x50 /* P */) {
    const m = PAM_ERROR.exec(msg);
    if (m === null) return null;
    return setSource(setUser(failure("pam_failure", base(rec, "pam")), m[2]), m[3]);
  }
  if (c === 0x70 /* p */) {
    const p = parsePamFailure(msg);
    if (p === null || !p.service.startsWith("sshd")) return null;
    const attrs = base(rec, "pam");
    if (p.ambiguous) attrs.src_ambiguous = true;
    return setSource(setUser(failure("pam_failure", attrs), p.user), p.rhost);
  }
  if (c === 0x55 /* U */) {
    const m = NOT_ALLOWED.exec(msg);
    if (m === null) return null;
    const attrs = base(rec, "precheck");
    attrs.detail = m[3] ?? "";
    return setSource(setUser(failure("not_allowed", attrs), m[1]), m[2]);
  }
  return null;
}

export const sshdParser: LogParser<undefined> = {
  id: "sshd",
  createState: () => undefined,
  parse(rec: EnvelopeRecord): readonly PartialEvent[] | null {
    let msg = rec.message;
    // Solaris "[ID 800047 auth.info] " and OpenSSH's "error: " level prefixes.
    if (msg.startsWith("[ID ")) {
      const close = msg.indexOf("] ");
      if (close !== -1) msg = msg.slice(close + 2);
    }
    if (msg.startsWith("error: ")) msg = msg.slice(7);
    const e = parseMessage(rec, msg);
    return e === null ? null : [e];
  },
};
