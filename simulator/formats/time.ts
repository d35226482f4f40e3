// Time stamps as each daemon writes them. Every simulated time is UTC epoch
// milliseconds (fractions allowed: slapd and rsyslog carry microseconds); the
// simulated hosts run in UTC, so zone-less stamps are UTC too.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

let cachedSecond = Number.NaN;
let cachedParts: { y: number; mo: number; d: number; h: number; mi: number; s: number } = {
  y: 0,
  mo: 0,
  d: 0,
  h: 0,
  mi: 0,
  s: 0,
};

/** Calendar parts of the second holding `ts` (cached: consecutive lines share seconds). */
function parts(ts: number): typeof cachedParts {
  const sec = Math.floor(ts / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(sec * 1000);
    cachedSecond = sec;
    cachedParts = {
      y: d.getUTCFullYear(),
      mo: d.getUTCMonth(),
      d: d.getUTCDate(),
      h: d.getUTCHours(),
      mi: d.getUTCMinutes(),
      s: d.getUTCSeconds(),
    };
  }
  return cachedParts;
}

/** Microseconds within the second, as 6 digits. */
function micros(ts: number): string {
  const us = Math.floor((ts - Math.floor(ts / 1000) * 1000) * 1000);
  return String(Math.min(999_999, Math.max(0, us))).padStart(6, "0");
}

/** `2026-11-01T09:12:45.123456+00:00`: rsyslog's RSYSLOG_FileFormat (Debian 12's default). */
export function rfc3339Micro(ts: number): string {
  const p = parts(ts);
  return `${p.y}-${pad2(p.mo + 1)}-${pad2(p.d)}T${pad2(p.h)}:${pad2(p.mi)}:${pad2(p.s)}.${micros(ts)}+00:00`;
}

/** `2026-11-01 09:12:45`: Dovecot with log_timestamp = "%Y-%m-%d %H:%M:%S ". */
export function isoLocalSeconds(ts: number): string {
  const p = parts(ts);
  return `${p.y}-${pad2(p.mo + 1)}-${pad2(p.d)} ${pad2(p.h)}:${pad2(p.mi)}:${pad2(p.s)}`;
}

/** `01-Nov-2026 09:12:45 +0000`: Roundcube's log_date_format 'd-M-Y H:i:s O'. */
export function roundcubeDate(ts: number): string {
  const p = parts(ts);
  return `${pad2(p.d)}-${MONTHS[p.mo]}-${p.y} ${pad2(p.h)}:${pad2(p.mi)}:${pad2(p.s)} +0000`;
}

/** `20261101 09:12:45`: the MariaDB audit plugin's file stamp. */
export function mariadbAuditDate(ts: number): string {
  const p = parts(ts);
  return `${p.y}${pad2(p.mo + 1)}${pad2(p.d)} ${pad2(p.h)}:${pad2(p.mi)}:${pad2(p.s)}`;
}

/** `261101  9:12:45`: the MariaDB slow log's `# Time:` stamp (hour space-padded). */
export function mariadbSlowDate(ts: number): string {
  const p = parts(ts);
  const h = p.h < 10 ? ` ${p.h}` : String(p.h);
  return `${pad2(p.y % 100)}${pad2(p.mo + 1)}${pad2(p.d)} ${h}:${pad2(p.mi)}:${pad2(p.s)}`;
}

/** `1761988365.123`: auditd's `msg=audit(<epoch>.<ms>:<serial>)` seconds part. */
export function epochMillis(ts: number): string {
  const ms = Math.floor(ts);
  const s = Math.floor(ms / 1000);
  return `${s}.${String(ms - s * 1000).padStart(3, "0")}`;
}

/** `1761988365.123456`: Zeek's `ts` column. */
export function epochMicros(ts: number): string {
  return `${Math.floor(ts / 1000)}.${micros(ts)}`;
}

/** ISO-8601 with milliseconds, as in the event model and labels. */
export function iso(ts: number): string {
  return new Date(Math.floor(ts)).toISOString();
}
