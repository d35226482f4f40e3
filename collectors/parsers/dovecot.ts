// Dovecot 2.2 / 2.3 / 2.4 authentication lines → auth events.
//
// Login processes (imap-login, pop3-login, submission-login, managesieve-login):
//   2.2/2.3  imap-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, mpid=4242, TLS, session=<...>
//            pop3-login: Aborted login (auth failed, 1 attempts in 17 secs): user=<test>, method=PLAIN, rip=..., lip=..., session=<...>
//            imap-login: Disconnected (auth failed, 2 attempts): user=<bob>, method=PLAIN, rip=..., lip=..., TLS
//            pop3-login: Disconnected: Inactivity (auth failed, 1 attempts in 178 secs): user=<ivo>, ...
//            pop3-login: Aborted login (tried to use disabled plaintext auth): rip=..., lip=...
//   2.4      imap-login: Info: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<...>, ...
// Auth processes (with auth_verbose=yes):
//   2.2/2.3  auth: passwd-file(alice,192.0.2.7,<sess>): unknown user | Password mismatch
//            auth-worker(31326): pam(alice,192.0.2.7): pam_authenticate() failed: Authentication failure (password mismatch?)
//            auth-worker(1668): sql(alice,192.0.2.7): unknown user (given password: ...)
//   2.4      auth(alice,192.0.2.7,sasl:login)<sess>: Info: sql: Password mismatch (given password: ...)
//            auth-worker(alice,192.0.2.7)<4001084><sess>: request [12]: Info: sql: unknown user
//   PAM      pam_unix(dovecot:auth): authentication failure; ... ruser=alice rhost=192.0.2.7
//
// COUNTING RULE — one attempt is one failure. Dovecot may report the same
// failed attempt up to three times (auth-worker, auth, login process). Only the
// login process's summary line counts: it carries `attrs.attempts = N` (the
// attempts of that connection) and `attrs.stage = "login"`. Auth-process,
// auth-worker and PAM lines are evidence about the same attempts — they say
// *why* (`reason` unknown_user / bad_password / pam_failure) — and carry
// `attrs.stage` "auth" / "auth-worker" / "pam" and NO `attempts`. A detection
// counts failed attempts as the sum of `attrs.attempts` over `auth_failure`
// events (every parser follows this rule), and joins the evidence by
// `attrs.session` (same session id in 2.3/2.4 login and auth lines).
// Known gap: failures followed by a success on the same connection produce a
// `Login:` line and no summary, so only the auth-process lines show them.
//
// Hostile input: user names are the client's. Fields are read from the right
// (session, then the LAST `rip=` at an element boundary, then method, then the
// user is whatever is left inside `user=<...>`), so a user name containing
// ", rip=6.6.6.6" cannot move the address. Auth-process prefixes are parsed the
// same way. A "given password" (auth_verbose_passwords) is the one hostile text
// *after* the address; when a line holds more than one "given password: " the
// split is ambiguous and no address is taken from it (`attrs.src_ambiguous`).

import { countOrUndefined, ipOrUndefined, portOrUndefined } from "./fields.js";
import { parsePamFailure } from "./pam.js";
import { type Attrs, type EnvelopeRecord, type LogParser, NO_EVENTS, type PartialEvent } from "./types.js";

const LOGIN_PROCESS = /^(imap|pop3|submission|managesieve)-login: (?:Info: )?/;
const SESSION = /^[\w+/=.-]{1,128}$/;
const METHOD = /^[\w-]{1,32}$/;

const ATTEMPTS = /\(auth failed, (\d{1,9}) attempts?(?: in \d+ secs?)?\)/;
const PLAINTEXT = /\(tried to use (?:disabled|disallowed) plaintext auth\)/;

interface LoginFields {
  user: string | undefined;
  method: string | undefined;
  rip: string | undefined;
  lip: string | undefined;
  rport: number | undefined;
  lport: number | undefined;
  mpid: number | undefined;
  session: string | undefined;
  tls: boolean;
  secured: boolean;
}

function isBoundary(f: string, i: number): boolean {
  return i === 0 || (f.charCodeAt(i - 2) === 0x2c /* , */ && f.charCodeAt(i - 1) === 0x20);
}

/** `user=<..>, method=.., rip=.., lip=.., mpid=.., TLS, session=<..>`, read from the right. */
export function parseLoginFields(f: string): LoginFields | null {
  let end = f.length;
  let session: string | undefined;
  if (f.endsWith(">")) {
    const si = f.lastIndexOf("session=<");
    if (si !== -1 && isBoundary(f, si)) {
      const s = f.slice(si + 9, -1);
      if (SESSION.test(s)) {
        session = s;
        end = si === 0 ? 0 : si - 2;
      }
    }
  }
  let ri = f.lastIndexOf("rip=", end - 4);
  while (ri > 0 && !isBoundary(f, ri)) ri = f.lastIndexOf("rip=", ri - 1);
  if (ri === -1) return null;
  const out: LoginFields = {
    user: undefined,
    method: undefined,
    rip: undefined,
    lip: undefined,
    rport: undefined,
    lport: undefined,
    mpid: undefined,
    session,
    tls: false,
    secured: false,
  };
  for (const el of f.slice(ri, end).split(", ")) {
    const eq = el.indexOf("=");
    const key = eq === -1 ? el : el.slice(0, eq);
    const value = eq === -1 ? "" : el.slice(eq + 1);
    switch (key) {
      case "rip":
        out.rip = ipOrUndefined(value);
        break;
      case "lip":
        out.lip = ipOrUndefined(value);
        break;
      case "rport":
        out.rport = portOrUndefined(value);
        break;
      case "lport":
        out.lport = portOrUndefined(value);
        break;
      case "mpid":
        out.mpid = countOrUndefined(value);
        break;
      case "secured":
        out.secured = true;
        break;
      default:
        // "TLS", "TLS: Disconnected", "TLSv1.2 with cipher ..."; not "TLS handshaking: ..." (never established).
        if (el === "TLS" || el.startsWith("TLS: ") || el.startsWith("TLSv")) out.tls = true;
    }
  }
  // Left of rip: "user=<U>, method=M", "user=<U>", "method=M" or nothing.
  let head = ri === 0 ? "" : f.slice(0, ri - 2);
  const mi = head.lastIndexOf("method=");
  if (mi !== -1 && isBoundary(head, mi) && METHOD.test(head.slice(mi + 7))) {
    out.method = head.slice(mi + 7);
    head = mi === 0 ? "" : head.slice(0, mi - 2);
  }
  if (head.startsWith("user=<") && head.endsWith(">")) {
    const u = head.slice(6, -1);
    out.user = u.length > 0 ? u : undefined;
  }
  return out;
}

function loginAttrs(f: LoginFields, stage: string): Attrs {
  const attrs: Attrs = { stage, tls: f.tls };
  if (f.secured) attrs.secured = true;
  if (f.session !== undefined) attrs.session = f.session;
  if (f.method !== undefined) attrs.method = f.method;
  if (f.mpid !== undefined) attrs.mpid = f.mpid;
  return attrs;
}

function withAddresses(e: PartialEvent, f: LoginFields): PartialEvent {
  if (f.user !== undefined) e.user = f.user;
  if (f.rip !== undefined) e.src_ip = f.rip;
  if (f.rport !== undefined) e.src_port = f.rport;
  if (f.lip !== undefined) e.dst_ip = f.lip;
  if (f.lport !== undefined) e.dst_port = f.lport;
  return e;
}

function parseLoginLine(msg: string): readonly PartialEvent[] | null {
  const m = LOGIN_PROCESS.exec(msg);
  if (m === null) return null;
  const proto = m[1] ?? "";
  const rest = msg.slice(m[0].length);
  if (rest.startsWith("Login: ")) {
    const f = parseLoginFields(rest.slice(7));
    if (f === null) return null;
    const e: PartialEvent = { kind: "auth", action: "login", outcome: "success", proto, attrs: loginAttrs(f, "login") };
    return [withAddresses(e, f)];
  }
  if (!(rest.startsWith("Aborted login") || rest.startsWith("Disconnected") || rest.startsWith("Login aborted"))) {
    return null;
  }
  // The head (server text) ends at the first "): "; the fields follow.
  const hi = rest.indexOf("): ");
  if (hi === -1) return null;
  const head = rest.slice(0, hi + 1);
  const f = parseLoginFields(rest.slice(hi + 3));
  if (f === null) return null;
  let attempts: number | undefined;
  let reason: string;
  const a = ATTEMPTS.exec(head);
  if (a !== null) {
    attempts = Number(a[1]);
    reason = head.includes(": Inactivity (") ? "inactivity" : "auth_failed";
  } else if (PLAINTEXT.test(head)) {
    attempts = 1;
    reason = "disabled_plaintext";
  } else {
    return NO_EVENTS; // no auth attempts, client didn't finish SASL, ...: not a credential attempt
  }
  const attrs = loginAttrs(f, "login");
  attrs.attempts = attempts;
  const e: PartialEvent = { kind: "auth", action: "auth_failure", outcome: "failure", proto, reason, attrs };
  return [withAddresses(e, f)];
}

// --- auth / auth-worker -----------------------------------------------------------------

// Ends of auth-process messages we report, and what they mean.
const AUTH_MESSAGE =
  "(unknown user|Password mismatch\\??|invalid credentials|pam_authenticate\\(\\) failed: [^\\n]{1,512})";
// 2.2 / 2.3 prefixes: "auth: ", "auth-worker(1234): ", "auth(default): ", then optional level.
const AUTH_23_PROCESS = /^(auth(?:-worker)?)(?:\((?:\d{1,10}|default)\))?: (?:(?:Info|Warning|Error): )?/;
const AUTH_23_DRIVER =
  /(?:^|: )(passwd-file|passwd|shadow|pam|sql|ldap|checkpassword|bsdauth|static|lua|oauth2|imap|dict|vpopmail|sasldb)\(/;
const AUTH_23_BODY = new RegExp(`^(.*),([0-9A-Fa-f.:]{2,45}|\\?)(?:,<([\\w+/=.-]{1,128})>)?\\): ${AUTH_MESSAGE}$`);
// 2.4: "auth(U,IP[,sasl:mech])<sess>: " / "auth-worker(U,IP)<pid><sess>: request [N]: ", level, "driver: ".
const AUTH_24 = new RegExp(
  "^(auth(?:-worker)?)\\((.*),([0-9A-Fa-f.:]{2,45}|\\?)(?:,sasl:([\\w-]{1,32}))?\\)(?:<(\\d{1,10})>)?(?:<([\\w+/=.-]{1,128})>)?: " +
    `(?:request \\[\\d+\\]: )?(?:(?:Info|Warning|Error): )?(?:([\\w.-]{1,64}): )?${AUTH_MESSAGE}$`,
);

function authReason(message: string): { reason: string; detail?: string } {
  if (message === "unknown user") return { reason: "unknown_user" };
  if (message.startsWith("Password mismatch") || message === "invalid credentials") return { reason: "bad_password" };
  const detail = message.slice("pam_authenticate() failed: ".length, 512 + 27);
  if (detail.startsWith("User not known")) return { reason: "unknown_user", detail };
  return { reason: "pam_failure", detail };
}

/** Cuts at the first " (given password: " / " (SHA1 of given password: "; `ambiguous` if it occurs twice. */
function cutGivenPassword(msg: string): { text: string; ambiguous: boolean } {
  const gi = msg.indexOf("given password: ");
  if (gi === -1) return { text: msg, ambiguous: false };
  let cut = gi;
  if (msg.slice(gi - 8, gi) === "SHA1 of ") cut -= 8;
  if (msg.slice(cut - 2, cut) === " (") cut -= 2;
  return { text: msg.slice(0, cut), ambiguous: msg.indexOf("given password: ", gi + 1) !== -1 };
}

function authEvent(
  stage: string,
  driver: string | undefined,
  user: string,
  ip: string,
  session: string | undefined,
  message: string,
  ambiguous: boolean,
): PartialEvent {
  const { reason, detail } = authReason(message);
  const attrs: Attrs = { stage };
  if (driver !== undefined) attrs.driver = driver;
  if (session !== undefined && session.length > 0) attrs.session = session;
  if (detail !== undefined) attrs.detail = detail;
  const e: PartialEvent = { kind: "auth", action: "auth_failure", outcome: "failure", reason, attrs };
  if (user.length > 0) e.user = user;
  const src = ambiguous ? undefined : ipOrUndefined(ip);
  if (src !== undefined) e.src_ip = src;
  if (ambiguous) attrs.src_ambiguous = true;
  return e;
}

function parseAuthLine(msg: string): readonly PartialEvent[] | null {
  if (!msg.startsWith("auth")) return null;
  const { text, ambiguous } = cutGivenPassword(msg);
  const p23 = AUTH_23_PROCESS.exec(text);
  if (p23 !== null) {
    const afterProcess = text.slice(p23[0].length);
    const d = AUTH_23_DRIVER.exec(afterProcess);
    if (d === null) return null;
    const body = afterProcess.slice(d.index + d[0].length);
    const b = AUTH_23_BODY.exec(body);
    if (b === null) return null;
    const stage = p23[1] === "auth-worker" ? "auth-worker" : "auth";
    return [authEvent(stage, d[1], b[1] ?? "", b[2] ?? "", b[3], b[4] ?? "", ambiguous)];
  }
  const m = AUTH_24.exec(text);
  if (m === null) return null;
  const e = authEvent(m[1] ?? "auth", m[7], m[2] ?? "", m[3] ?? "", m[6], m[8] ?? "", ambiguous);
  if (m[4] !== undefined && e.attrs !== undefined) e.attrs.method = m[4].toUpperCase();
  return [e];
}

function parsePamLine(msg: string): readonly PartialEvent[] | null {
  const p = parsePamFailure(msg);
  if (p === null || !p.service.startsWith("dovecot")) return null;
  const attrs: Attrs = { stage: "pam" };
  if (p.ambiguous) attrs.src_ambiguous = true;
  const e: PartialEvent = { kind: "auth", action: "auth_failure", outcome: "failure", reason: "pam_failure", attrs };
  // Dovecot passes the login name as PAM's ruser.
  const user = p.user ?? p.ruser;
  if (user.length > 0) e.user = user;
  if (p.rhost !== undefined) {
    const ip = ipOrUndefined(p.rhost);
    if (ip !== undefined) e.src_ip = ip;
    else attrs.src_host = p.rhost;
  }
  return [e];
}

export const dovecotParser: LogParser<undefined> = {
  id: "dovecot",
  createState: () => undefined,
  parse(rec: EnvelopeRecord): readonly PartialEvent[] | null {
    let msg = rec.message;
    // Old setups log "dovecot: " twice (syslog tag and message prefix).
    if (msg.startsWith("dovecot: ")) msg = msg.slice(9);
    const c = msg.charCodeAt(0);
    if (c === 0x61 /* a */) return parseAuthLine(msg);
    if (c === 0x70 /* p */) return msg.startsWith("pam_unix(") ? parsePamLine(msg) : parseLoginLine(msg);
    return parseLoginLine(msg);
  },
};
