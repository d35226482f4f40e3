// Dovecot 2.3 log_path lines with log_timestamp = "%Y-%m-%d %H:%M:%S " (the
// default "%b %d %H:%M:%S " has no year; the simulated platform sets the ISO
// stamp). Passdb is LDAP (auth_bind = no), auth_verbose = yes. Formats as in
// test/lab/samples/dovecot.log.
import { isoLocalSeconds } from "./time.js";

export type LoginProto = "imap" | "pop3";

export interface DovecotConn {
  proto: LoginProto;
  user: string;
  rip: string;
  lip: string;
  session: string;
  tls: boolean;
}

function fields(c: DovecotConn): string {
  return `user=<${c.user}>, method=PLAIN, rip=${c.rip}, lip=${c.lip}`;
}

/** `imap-login: Info: Login: user=<u>, method=PLAIN, rip=.., lip=.., mpid=.., TLS, session=<..>` */
export function dovecotLogin(ts: number, c: DovecotConn, mpid: number): string {
  return `${isoLocalSeconds(ts)} ${c.proto}-login: Info: Login: ${fields(c)}, mpid=${mpid}${c.tls ? ", TLS" : ""}, session=<${c.session}>`;
}

/** `auth: Info: ldap(u,ip,<session>): Password mismatch` / `unknown user`. */
export function dovecotAuthFailure(ts: number, c: DovecotConn, why: "Password mismatch" | "unknown user"): string {
  return `${isoLocalSeconds(ts)} auth: Info: ldap(${c.user},${c.rip},<${c.session}>): ${why}`;
}

/** The login process's summary of a connection whose authentication failed. */
export function dovecotLoginFailed(ts: number, c: DovecotConn, attempts: number, secs: number): string {
  return `${isoLocalSeconds(ts)} ${c.proto}-login: Info: Disconnected: Connection closed (auth failed, ${attempts} attempts in ${secs} secs): ${fields(c)}${c.tls ? ", TLS" : ""}, session=<${c.session}>`;
}
