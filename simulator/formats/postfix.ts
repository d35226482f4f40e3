// Postfix 3.7 lines (syslog, mail facility → mail.log), as in
// test/lab/samples/postfix.log: SASL logins and failures on the submission
// service, the queue manager's `from=` line and the delivery agents' `to=` lines.
import { syslogLine } from "./syslog.js";

/** `QID: client=unknown[ip], sasl_method=PLAIN, sasl_username=user` (submission smtpd). */
export function postfixSaslLogin(
  ts: number,
  host: string,
  pid: number,
  qid: string,
  clientIp: string,
  user: string,
): string {
  return syslogLine(
    ts,
    host,
    "postfix/submission/smtpd",
    pid,
    `${qid}: client=unknown[${clientIp}], sasl_method=PLAIN, sasl_username=${user}`,
  );
}

/** `warning: unknown[ip]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=user` */
export function postfixSaslFailed(ts: number, host: string, pid: number, clientIp: string, user: string): string {
  return syslogLine(
    ts,
    host,
    "postfix/submission/smtpd",
    pid,
    `warning: unknown[${clientIp}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=${user}`,
  );
}

/** Inbound MX: `QID: client=name[ip]` (no SASL). */
export function postfixClient(ts: number, host: string, pid: number, qid: string, name: string, ip: string): string {
  return syslogLine(ts, host, "postfix/smtpd", pid, `${qid}: client=${name}[${ip}]`);
}

/** `QID: from=<sender>, size=N, nrcpt=K (queue active)` */
export function postfixQmgrFrom(
  ts: number,
  host: string,
  pid: number,
  qid: string,
  from: string,
  size: number,
  nrcpt: number,
): string {
  return syslogLine(
    ts,
    host,
    "postfix/qmgr",
    pid,
    `${qid}: from=<${from}>, size=${size}, nrcpt=${nrcpt} (queue active)`,
  );
}

export interface Delivery {
  agent: "smtp" | "lmtp";
  to: string;
  relayName: string;
  relayIp: string;
  relayPort: number;
  /** Seconds from arrival to delivery. */
  delay: number;
  reply: string;
}

function secs(n: number): string {
  return n < 10 ? n.toFixed(2) : n.toFixed(1);
}

/** `QID: to=<rcpt>, relay=name[ip]:port, delay=.., delays=a/b/c/d, dsn=2.0.0, status=sent (reply)` */
export function postfixDelivered(ts: number, host: string, pid: number, qid: string, d: Delivery): string {
  const a = d.delay * 0.3;
  const c = d.delay * 0.2;
  const dd = Math.max(0, d.delay - a - c);
  const delays = `${a.toFixed(2)}/0/${c.toFixed(2)}/${dd.toFixed(2)}`;
  return syslogLine(
    ts,
    host,
    `postfix/${d.agent}`,
    pid,
    `${qid}: to=<${d.to}>, relay=${d.relayName}[${d.relayIp}]:${d.relayPort}, delay=${secs(d.delay)}, delays=${delays}, dsn=2.0.0, status=sent (${d.reply})`,
  );
}

/** `QID: removed` */
export function postfixRemoved(ts: number, host: string, pid: number, qid: string): string {
  return syslogLine(ts, host, "postfix/qmgr", pid, `${qid}: removed`);
}
