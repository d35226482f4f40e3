// Envelopes: the transport wrapping around what a daemon wrote. One line in,
// `{ ts, host?, program, pid?, message }` out, or null when the line has no
// envelope we know. Recognized, by the line's first character:
//   `Jun 17 03:12:45 host prog[pid]: msg`                RFC 3164 (optional <PRI>, host optional)
//   `2026-06-17T03:12:45.123456+00:00 host prog[pid]: msg` rsyslog high-precision ISO-8601
//   `<34>1 2026-06-17T03:12:45.123Z host app 123 - - msg`  RFC 5424
//   `{"__REALTIME_TIMESTAMP":"...","MESSAGE":...}`        `journalctl -o json` (audit records
//                                                         rebuilt as auditd's `type=... msg=audit(...)`)
//   `[17-Jun-2026 03:12:45 +0000]: <sess> msg`             Roundcube's own log files
//   `Jun 17 03:12:45 imap-login: Info: ...`               Dovecot's own log file (log_path)
//   `2026-06-17 03:12:45 auth-worker(...)...`             the same with an ISO log_timestamp
//   `65f2c40b.003c8fe8 0x7f5c077fe6c0 conn=...`           slapd's own log file (OpenLDAP 2.6 `logfile`)
// Time stamps without a zone (RFC 3164, Dovecot's file) are read in a fixed
// offset from UTC (default 0), and RFC 3164's missing year comes from
// `YearInference` — both explicit, both overridable.

import type { EnvelopeRecord } from "./types.js";

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const DAY_MS = 86_400_000;

export interface YearInferenceOptions {
  /** The year of the stream's first RFC 3164 line; inferred from `now` when absent. */
  year?: number;
  /** Injected clock (tests, replay); only read for the first line of a stream. */
  now: () => Date;
  /** Offset of zone-less time stamps from UTC, minutes (e.g. 120 for CEST). Default 0. */
  utcOffsetMinutes?: number;
}

/**
 * Gives RFC 3164 time stamps their missing year, for one stream.
 * - With an explicit `year`, the stream's first line is in that year.
 * - Otherwise the first line is in `now`'s year, unless that puts it more
 *   than one day in the future (a log cannot be from the future; one day
 *   absorbs clock skew and zone confusion): then it is last year's — so a
 *   "Dec 31" line read on January 2nd is last December.
 * - After that, within the stream, a step from December back to January
 *   is a new year; other backward steps (reordered lines) keep the year.
 */
export class YearInference {
  private year: number | undefined;
  private lastMonth = -1;
  readonly utcOffsetMs: number;

  constructor(private readonly opts: YearInferenceOptions) {
    this.year = opts.year;
    this.utcOffsetMs = (opts.utcOffsetMinutes ?? 0) * 60_000;
  }

  /** Epoch ms of a zone-less, year-less time stamp; `month` is 0-based. */
  resolve(month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
    let year = this.year;
    if (year === undefined) {
      const now = this.opts.now();
      year = now.getUTCFullYear();
      const t = Date.UTC(year, month, day, hour, minute, second, ms) - this.utcOffsetMs;
      if (t > now.getTime() + DAY_MS) year -= 1;
    } else if (this.lastMonth === 11 && month === 0) {
      year += 1;
    }
    this.year = year;
    this.lastMonth = month;
    return Date.UTC(year, month, day, hour, minute, second, ms) - this.utcOffsetMs;
  }
}

// --- RFC 3164 / rsyslog ISO / Dovecot file ----------------------------------

const RFC3164_TS = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? +/;
const ISO_TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2}) +/;
const ISO_LOCAL_TS = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))? +/;
// `prog[pid]:` / `prog:` — a syslog tag, with no spaces and no parentheses.
const TAG = /^([^\s[\]:()<>]+)(?:\[(\d{1,10})\])?:(?: |$)/;
// Dovecot's own processes, as its log file names them (`imap-login: ...`).
const DOVECOT_PROCESS =
  /^(?:[a-z0-9]+-login|auth|auth-worker|imap|pop3|lmtp|submission|managesieve|master|lda|doveadm|dict|indexer-worker|indexer|anvil|config|log|stats|director|replicator|aggregator|quota-status|imap-hibernate|imap-urlauth|imap-urlauth-worker)(?:[(<:]|$)/;

/** Date.UTC with range checks (Date.UTC itself rolls "month 13" into next year); NaN when out of range. */
function utc(y: number, mo: number, d: number, h: number, mi: number, sec: number, ms: number): number {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return Number.NaN;
  return Date.UTC(y, mo, d, h, mi, sec, ms);
}

function fraction(s: string | undefined): number {
  if (s === undefined) return 0;
  // Milliseconds from a fraction of any length: "1" → 100, "123456" → 123.
  return Math.floor(Number(`0.${s}`) * 1000 + 1e-6);
}

/**
 * The part after the time stamp: `host tag: msg`, or a host-less `tag: msg`,
 * or Dovecot's own `process(...)...: msg` (kept whole: the prefix holds the user and address).
 */
function afterTimestamp(ts: number, rest: string): EnvelopeRecord | null {
  const sp = rest.indexOf(" ");
  const first = sp === -1 ? rest : rest.slice(0, sp);
  // Dovecot log file: no host, no syslog tag; a process prefix instead.
  if (first.includes("(") || first.includes("<") || (first.endsWith(":") && DOVECOT_PROCESS.test(first))) {
    return DOVECOT_PROCESS.test(first)
      ? { ts, host: undefined, program: "dovecot", pid: undefined, message: rest }
      : null;
  }
  // Host-less syslog line: the first token is already the tag.
  let m = TAG.exec(rest);
  if (m !== null && first.endsWith(":")) {
    return tagged(ts, undefined, m, rest.slice(m[0].length));
  }
  if (sp === -1) return null;
  const host = first;
  const afterHost = rest.slice(sp + 1);
  m = TAG.exec(afterHost);
  if (m === null) {
    // `host msg` with no tag: an envelope, but no program to dispatch on.
    return { ts, host, program: "", pid: undefined, message: afterHost };
  }
  return tagged(ts, host, m, afterHost.slice(m[0].length));
}

function tagged(ts: number, host: string | undefined, m: RegExpExecArray, message: string): EnvelopeRecord {
  const pid = m[2] === undefined ? undefined : Number(m[2]);
  return { ts, host, program: m[1] ?? "", pid, message };
}

function parseRfc3164(line: string, years: YearInference): EnvelopeRecord | null {
  const m = RFC3164_TS.exec(line);
  if (m === null) return null;
  const month = MONTHS[m[1] ?? ""];
  if (month === undefined) return null;
  const day = Number(m[2]);
  const hour = Number(m[3]);
  const minute = Number(m[4]);
  const second = Number(m[5]);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const ts = years.resolve(month, day, hour, minute, second, fraction(m[6]));
  return afterTimestamp(ts, line.slice(m[0].length));
}

function zoneOffsetMs(z: string): number {
  if (z === "Z") return 0;
  const sign = z.startsWith("-") ? -1 : 1;
  const digits = z.replace(":", "");
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
}

function parseIso(line: string, years: YearInference): EnvelopeRecord | null {
  let m = ISO_TS.exec(line);
  if (m !== null) {
    const ts =
      utc(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), fraction(m[7])) -
      zoneOffsetMs(m[8] ?? "Z");
    return Number.isNaN(ts) ? null : afterTimestamp(ts, line.slice(m[0].length));
  }
  // Dovecot's log_timestamp = "%Y-%m-%d %H:%M:%S ": no zone, no host, no tag.
  m = ISO_LOCAL_TS.exec(line);
  if (m === null) return null;
  const ts =
    utc(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), fraction(m[7])) -
    years.utcOffsetMs;
  return Number.isNaN(ts) ? null : afterTimestamp(ts, line.slice(m[0].length));
}

// --- RFC 5424 ------------------------------------------------------------------

const RFC5424_HEAD = /^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) (\S+) /;
const ISO_FULL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Index just past the STRUCTURED-DATA that starts at `i` (`-` or `[...]...`), or -1. */
function skipStructuredData(line: string, i: number): number {
  if (line[i] === "-") return i + 1;
  while (line[i] === "[") {
    let inQuotes = false;
    i++;
    for (; i < line.length; i++) {
      const c = line[i];
      if (c === "\\") i++;
      else if (c === '"') inQuotes = !inQuotes;
      else if (c === "]" && !inQuotes) break;
    }
    if (i >= line.length) return -1;
    i++;
  }
  return i;
}

function parseRfc5424(line: string): EnvelopeRecord | null {
  const m = RFC5424_HEAD.exec(line);
  if (m === null) return null;
  const t = ISO_FULL.exec(m[1] ?? "");
  if (t === null) return null;
  const ts =
    utc(Number(t[1]), Number(t[2]) - 1, Number(t[3]), Number(t[4]), Number(t[5]), Number(t[6]), fraction(t[7])) -
    zoneOffsetMs(t[8] ?? "Z");
  if (Number.isNaN(ts)) return null;
  const end = skipStructuredData(line, m[0].length);
  if (end === -1) return null;
  let message = line[end] === " " ? line.slice(end + 1) : line.slice(end);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  const host = m[2] === "-" ? undefined : m[2];
  const app = m[3] === "-" ? "" : (m[3] ?? "");
  const pid = m[4] !== undefined && /^\d{1,10}$/.test(m[4]) ? Number(m[4]) : undefined;
  return { ts, host, program: app, pid, message };
}

// --- journald JSON ---------------------------------------------------------------

function journalString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  // journald exports non-UTF-8 (or binary) fields as arrays of byte values.
  if (Array.isArray(v) && v.every((b) => typeof b === "number")) return Buffer.from(v as number[]).toString("utf8");
  return undefined;
}

/**
 * journald keeps the kernel's audit records with their serial in fields
 * (`MESSAGE=SYSCALL arch=...`, `_AUDIT_TYPE_NAME`, `_AUDIT_ID`, and the audit
 * time in `_SOURCE_REALTIME_TIMESTAMP`): rebuild auditd's own record text,
 * `type=SYSCALL msg=audit(<s>.<ms>:<serial>): arch=...`, so the auditd parser
 * can join the records of one event.
 */
function journalAudit(r: Record<string, unknown>, message: string): EnvelopeRecord | null {
  const type = journalString(r._AUDIT_TYPE_NAME);
  const serial = journalString(r._AUDIT_ID);
  const usec = journalString(r._SOURCE_REALTIME_TIMESTAMP) ?? journalString(r.__REALTIME_TIMESTAMP);
  if (type === undefined || serial === undefined || usec === undefined) return null;
  if (!/^[A-Z_0-9]{2,32}$/.test(type) || !/^\d{1,20}$/.test(serial) || !/^\d{7,17}$/.test(usec)) return null;
  const ms = Math.floor(Number(usec) / 1000);
  const body = message.startsWith(`${type} `) ? message.slice(type.length + 1) : message === type ? "" : message;
  const stamp = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}`;
  return {
    ts: ms,
    host: journalString(r._HOSTNAME),
    program: "audit",
    pid: undefined,
    message: `type=${type} msg=audit(${stamp}:${serial}): ${body}`,
  };
}

function parseJournalJson(line: string): EnvelopeRecord | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  const message = journalString(r.MESSAGE);
  const usec = journalString(r.__REALTIME_TIMESTAMP);
  if (message === undefined || usec === undefined || !/^\d{1,17}$/.test(usec)) return null;
  const pidText = journalString(r.SYSLOG_PID) ?? journalString(r._PID);
  const audit = r._TRANSPORT === "audit" ? journalAudit(r, message) : null;
  if (audit !== null) return audit;
  return {
    ts: Math.floor(Number(usec) / 1000),
    host: journalString(r._HOSTNAME),
    program: journalString(r.SYSLOG_IDENTIFIER) ?? journalString(r._COMM) ?? "",
    pid: pidText !== undefined && /^\d{1,10}$/.test(pidText) ? Number(pidText) : undefined,
    message,
  };
}

// --- native files: Roundcube, slapd ------------------------------------------------

// Roundcube's default log_date_format 'd-M-Y H:i:s O'.
const ROUNDCUBE_TS =
  /^\[(\d{1,2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: ([+-]\d{4}))?\]: /;

function parseRoundcubeFile(line: string, years: YearInference): EnvelopeRecord | null {
  const m = ROUNDCUBE_TS.exec(line);
  if (m === null) return null;
  const month = MONTHS[m[2] ?? ""];
  if (month === undefined) return null;
  const offset = m[8] === undefined ? years.utcOffsetMs : zoneOffsetMs(m[8]);
  const ts = utc(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), fraction(m[7])) - offset;
  if (Number.isNaN(ts)) return null;
  return { ts, host: undefined, program: "roundcube", pid: undefined, message: line.slice(m[0].length) };
}

// OpenLDAP 2.6 `logfile`: "<hex seconds>.<hex nanoseconds> <hex thread id> message".
const SLAPD_FILE = /^([0-9a-f]{8,12})\.([0-9a-f]{8}) 0x[0-9a-f]{1,16} /;

function parseSlapdFile(line: string): EnvelopeRecord | null {
  const m = SLAPD_FILE.exec(line);
  if (m === null) return null;
  const ns = Number.parseInt(m[2] ?? "0", 16);
  if (ns >= 1e9) return null;
  const ts = Number.parseInt(m[1] ?? "0", 16) * 1000 + Math.floor(ns / 1e6);
  return { ts, host: undefined, program: "slapd", pid: undefined, message: line.slice(m[0].length) };
}

/** The envelope of one line, or null. `years` is the stream's year inference. */
export function parseEnvelope(line: string, years: YearInference): EnvelopeRecord | null {
  const c = line.charCodeAt(0);
  if (c === 0x3c /* < */) {
    return line.charCodeAt(line.indexOf(">") + 1) === 0x31 /* 1 */ && line[line.indexOf(">") + 2] === " "
      ? parseRfc5424(line)
      : parseRfc3164(line, years);
  }
  if (c >= 0x41 && c <= 0x5a /* A-Z */) return parseRfc3164(line, years);
  if (c >= 0x30 && c <= 0x39 /* 0-9 */) {
    if (line.charCodeAt(4) === 0x2d /* - */) return parseIso(line, years);
    return parseSlapdFile(line);
  }
  if (c === 0x7b /* { */) return parseJournalJson(line);
  if (c === 0x5b /* [ */) return parseRoundcubeFile(line, years);
  if (c >= 0x61 && c <= 0x66 /* a-f */) return parseSlapdFile(line);
  return null;
}
