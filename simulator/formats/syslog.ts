// The syslog envelope the simulated hosts' rsyslog writes (Debian 12 default
// RSYSLOG_FileFormat): `2026-11-01T09:12:45.123456+00:00 host tag[pid]: msg`.
import { rfc3339Micro } from "./time.js";

export function syslogLine(ts: number, host: string, tag: string, pid: number, msg: string): string {
  return `${rfc3339Micro(ts)} ${host} ${tag}[${pid}]: ${msg}`;
}
