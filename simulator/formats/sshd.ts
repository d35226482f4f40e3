// OpenSSH 9.2 (Debian 12) lines through rsyslog → auth.log, as in
// test/lab/samples/sshd.log.
import { syslogLine } from "./syslog.js";

export function sshdAcceptedKey(
  ts: number,
  host: string,
  pid: number,
  user: string,
  ip: string,
  port: number,
  fingerprint: string,
): string {
  return syslogLine(
    ts,
    host,
    "sshd",
    pid,
    `Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:${fingerprint}`,
  );
}

export function sshdFailedPassword(
  ts: number,
  host: string,
  pid: number,
  user: string,
  invalid: boolean,
  ip: string,
  port: number,
): string {
  return syslogLine(
    ts,
    host,
    "sshd",
    pid,
    `Failed password for ${invalid ? "invalid user " : ""}${user} from ${ip} port ${port} ssh2`,
  );
}

export function sshdInvalidUser(ts: number, host: string, pid: number, user: string, ip: string, port: number): string {
  return syslogLine(ts, host, "sshd", pid, `Invalid user ${user} from ${ip} port ${port}`);
}
