// MariaDB → reads of the account store's credential columns (`cred_access` /
// `db_select`), from two logs under one source id, `mariadb-audit`
// (`attrs.log` says which):
//
// server_audit plugin (`server_audit_events=QUERY` at least), file or syslog:
//   20260617 03:12:45,db1,postfix,127.0.0.1,6,15,QUERY,postfix,'SELECT username, password FROM mailbox',0
//   Jun 17 03:12:45 db1 mysql-server_auditing:  db1,postfix,127.0.0.1,6,15,QUERY,postfix,'SELECT ...',0
// (`<local time>,<server>,<user>,<client host or ip[:port since 12.0]>,<connection id>,
// <query id>,QUERY,<current db>,'<query, \' \\ \n escaped>',<error code>`). Every
// statement, with who, from where and whether it failed — but no row count.
// records stays unset; user, src_ip (when the client is an address),
// attrs.connection_id / query_id / retcode; outcome failure when retcode ≠ 0.
// CONNECT/DISCONNECT/FAILED_CONNECT and TABLE events are recognized, not emitted.
//
// Slow query log — the row counts. MariaDB writes one entry per statement:
//   # Time: 260617  3:12:45                 (only when the second changed; local time)
//   # User@Host: postfix[postfix] @  [203.0.113.7]
//   # Thread_id: 6  Schema: postfix  QC_hit: No
//   # Query_time: 0.001218  Lock_time: 0.000096  Rows_sent: 2503  Rows_examined: 2503
//   # Rows_affected: 0  Bytes_sent: 187860
//   [# Full_scan: ... / # Filesort: ... / # Tmp_tables: ... with log_slow_verbosity]
//   [use `postfix`;                          (only when the schema changed)]
//   SET timestamp=1781665965;               (always: the event time, epoch seconds)
//   SELECT username, password FROM mailbox;  (the query, verbatim, possibly many lines, ends with ";")
// MySQL-style variants are read too (`# Time: 2026-06-17T03:12:45.123456Z`,
// `# User@Host: u[u] @ h [ip]  Id: 8`). records = Rows_sent; attrs.thread_id,
// rows_examined. An entry is emitted when its query line ends with ";" (a
// multi-line query with an inner line ending in ";" is cut there), or when the
// next entry starts, or at the end of the stream.
//
// RECOMMENDED SETUP and its cost. In my.cnf (10.11 names; older servers:
// slow_query_log, min_examined_row_limit):
//   log_slow_query = ON
//   long_query_time = 0
//   log_slow_min_examined_row_limit = 1000
// long_query_time = 0 makes every statement a candidate, and the row limit
// keeps only those that examined ≥ N rows: a login's single-row lookup is
// never written, a bulk SELECT of the account table always is (it examines
// the whole table). Measured on MariaDB 10.11.19 (Debian 12) with a 20 000-row
// `mailbox` table, 40 000 primary-key lookups of the password column per run
// from 4 clients (mariadb-slap), three series of 8–12 interleaved runs on a
// shared 2-core machine:
//   bytes written per 40 000 lookups: row limit 1000 → 0 (slow log);
//     every statement (no limit) → 12.1 MB (~300 B each); server_audit QUERY → 5.9 MB (~146 B each)
//   median run time vs both logs off: row limit 1000 → -4 %, +10 %, +22 % in the
//     three series (runs of "off" alone spread over 0.8–1.9 s within one series:
//     no cost we could separate from that noise; the check is a counter compare
//     after the statement ran); every statement → +12 %, +34 %, +71 %;
//     server_audit QUERY → +7 %, +27 %, +34 %.
// So the slow log with a row limit is the cheap source of counts, and the
// audit plugin (which writes every statement) is the expensive one: enable its
// QUERY events where attribution of every read is wanted, e.g. with
// server_audit_incl_users / excl_users to leave out the mail daemons' own
// accounts.
//
// Joining the two: the slow log's Thread_id is the audit log's connection id
// (both are the server's connection id), and the query text is the same
// (the audit copy escaped and capped at server_audit_query_log_limit). A
// detection that wants counts uses the slow-log events (they carry user, host
// and records on their own); it needs the audit events only for statements
// below the row limit (many small reads: count events per principal) and for
// failures. Do not sum `records` over both logs: audit events have none.
//
// Credential columns are configured as `[db.]table.column` (default
// Postfixadmin-style `mailbox.password`, plus `users.password`,
// `accounts.password`, `virtual_users.password`); see sql.ts for what counts
// as reading one. object = `db.table.column`.
//
// Hostile input and secrets: the query text is the client's. It is only ever
// the last field (the audit line is read from the left up to the quoted
// query, and its error code from the right), and every query that reaches an
// event — object, attrs.query and raw — has password literals redacted
// (`WHERE password = '...'`, `SET password=...`, `PASSWORD('...')`,
// `IDENTIFIED BY '...'`; server_audit already masks the last ones as *****).
import { z } from "zod";
import { countOrUndefined, ipOrUndefined, portOrUndefined } from "./fields.js";
import { redactSql } from "./redact.js";
import { type ColumnRead, type CredColumn, credentialReads, parseCredColumn } from "./sql.js";
import {
  type Attrs,
  type EnvelopeRecord,
  type LineContext,
  type LogParser,
  NO_EVENTS,
  ParserOptionError,
  type PartialEvent,
} from "./types.js";

export const DEFAULT_CRED_COLUMNS: readonly string[] = [
  "mailbox.password",
  "users.password",
  "accounts.password",
  "virtual_users.password",
];

export const mariadbOptionsSchema = z.strictObject({
  /** Credential columns, `[db.]table.column`. */
  columns: z
    .array(z.string().regex(/^(?:[^.\s]{1,64}\.)?[^.\s]{1,64}\.[^.\s]{1,64}$/, "expected [db.]table.column"))
    .min(1)
    .default([...DEFAULT_CRED_COLUMNS]),
});
export type MariadbOptions = z.infer<typeof mariadbOptionsSchema>;

/** Query text kept per slow-log entry. */
const MAX_QUERY = 16_384;
/** Lines kept per slow-log entry (raw). */
const MAX_ENTRY_LINES = 64;

interface SlowEntry {
  position: string | number;
  ts: number | undefined;
  user: string | undefined;
  host: string | undefined;
  ip: string | undefined;
  thread: number | undefined;
  schema: string | undefined;
  rowsSent: number | undefined;
  rowsExamined: number | undefined;
  queryTime: string | undefined;
  /** Header lines, as written (no secrets). */
  head: string[];
  query: string[];
  queryChars: number;
  phase: "header" | "query";
}

export interface MariadbState {
  readonly columns: readonly CredColumn[];
  /** The slow-log entry being read. */
  entry: SlowEntry | undefined;
  /** Time of the last `# Time:` line (local), for entries without `SET timestamp`. */
  lastTime: number | undefined;
  /** The schema of the last `use db;` line: the slow log repeats it only when it changes. */
  db: string | undefined;
}

// --- server_audit -------------------------------------------------------------------

const AUDIT_FILE_HEAD = /^(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2}),/;
// <server>,<user>,<host>,<conn id>,<query id>,<operation>, — the user is read lazily, the rest anchored.
const AUDIT_FIELDS = /^([^,\s]{0,255}),(.{0,384}?),([^,]{0,255}),(\d{1,20}),(\d{1,20}),([A-Z_]{1,32}),/;
const AUDIT_QUERY = /^([^,']{0,192}),'(.*)',(-?\d{1,10})$/;

/** server_audit's escaping of the query field undone: \' \\ \n \r \t. */
export function unescapeAudit(s: string): string {
  if (!s.includes("\\")) return s;
  return s.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c));
}

function escapeAudit(s: string): string {
  return s.replace(/[\\'\n\r\t]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : `\\${c}`));
}

/** The client's address (and port, MariaDB ≥ 12) or its host name. */
function clientOf(host: string): { ip?: string; port?: number; name?: string } {
  const ip = ipOrUndefined(host);
  if (ip !== undefined) return { ip };
  const colon = host.lastIndexOf(":");
  if (colon > 0) {
    const port = portOrUndefined(host.slice(colon + 1));
    const left = host.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    const ipl = ipOrUndefined(left);
    if (port !== undefined) return ipl !== undefined ? { ip: ipl, port } : { name: left, port };
  }
  return host.length > 0 ? { name: host } : {};
}

function errorReason(code: number): string {
  switch (code) {
    case 1044:
    case 1142:
    case 1143:
      return "access_denied";
    case 1146:
      return "no_such_table";
    case 1054:
      return "no_such_column";
    default:
      return `mysql_error_${code}`;
  }
}

function objectOf(r: ColumnRead): string {
  return r.db === undefined ? `${r.table}.${r.column}` : `${r.db}.${r.table}.${r.column}`;
}

/** One server_audit record without its time stamp: `<server>,<user>,...`. */
function auditRecord(state: MariadbState, body: string, ts: number, prefix: string): readonly PartialEvent[] | null {
  const f = AUDIT_FIELDS.exec(body);
  if (f === null) return null;
  const op = f[6] ?? "";
  if (op !== "QUERY") return NO_EVENTS;
  const rest = body.slice(f[0].length);
  const q = AUDIT_QUERY.exec(rest);
  if (q === null) return null;
  const db = q[1] ?? "";
  const query = unescapeAudit(q[2] ?? "");
  const reads = credentialReads(query, db, state.columns);
  const first = reads[0];
  if (first === undefined) return NO_EVENTS;
  const retcode = Number(q[3]);
  const redacted = redactSql(query);
  const attrs: Attrs = {
    log: "server_audit",
    connection_id: f[4] ?? "",
    query_id: f[5] ?? "",
    retcode,
    query: redacted.slice(0, 1024),
  };
  if (reads.length > 1) attrs.objects = reads.map(objectOf).join(" ").slice(0, 1024);
  const e: PartialEvent = {
    kind: "cred_access",
    action: "db_select",
    outcome: retcode === 0 ? "success" : "failure",
    proto: "mysql",
    object: objectOf(first),
    attrs,
    from: {
      ts,
      // The line with its query redacted: the original never leaves the parser.
      raw: `${prefix}${body.slice(0, f[0].length)}${db},'${escapeAudit(redacted)}',${q[3]}`,
    },
  };
  const user = f[2] ?? "";
  if (user.length > 0) e.user = user;
  const c = clientOf(f[3] ?? "");
  if (c.ip !== undefined) e.src_ip = c.ip;
  if (c.port !== undefined) e.src_port = c.port;
  if (c.name !== undefined) attrs.client_host = c.name;
  if (f[1] !== undefined && f[1].length > 0) attrs.server = f[1];
  if (retcode !== 0) e.reason = errorReason(retcode);
  return [e];
}

function localTime(y: number, mo: number, d: number, h: number, mi: number, s: number, offsetMs: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return Number.NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s) - offsetMs;
}

function auditFileLine(state: MariadbState, at: LineContext): readonly PartialEvent[] | null {
  const m = AUDIT_FILE_HEAD.exec(at.line);
  if (m === null) return null;
  const ts = localTime(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
    at.utcOffsetMs ?? 0,
  );
  if (Number.isNaN(ts)) return null;
  return auditRecord(state, at.line.slice(m[0].length), ts, m[0]);
}

// --- slow log ----------------------------------------------------------------------

const SLOW_TIME_MARIADB = /^# Time: (\d{2})(\d{2})(\d{2}) {1,2}(\d{1,2}):(\d{2}):(\d{2})$/;
const SLOW_TIME_ISO = /^# Time: (\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/;
// `priv_user[user] @ host [ip]`, MySQL appends `  Id: N`.
const SLOW_USER_HOST =
  /^# User@Host: ([^[\s]{0,384})\[([^\]]{0,384})\] @ (\S{0,255}) ?\[([^\]]{0,64})\](?:\s+Id:\s+(\d{1,20}))?$/;
const SLOW_THREAD = /^# Thread_id: (\d{1,20}) {1,2}Schema: (\S{0,192}) {1,3}QC_hit: \w+/;
const SLOW_ROWS =
  /^# Query_time: ([\d.]{1,20}) {1,2}Lock_time: [\d.]{1,20} {1,2}Rows_sent: (\d{1,20}) {1,2}Rows_examined: (\d{1,20})/;
const SLOW_USE = /^use ([^;]{1,200});$/;
const SLOW_SET_TIMESTAMP = /^SET (?:[a-z_]{1,32}=\d{1,20},){0,4}timestamp=(\d{1,12});$/;
// The file's own header, repeated when the log is (re)opened.
const SLOW_FILE_HEADER =
  /^(?:\S+, Version: .* started with:|Tcp port: \d+\s+Unix socket: .*|Time\s+Id\s+Command\s+Argument)$/;

function newEntry(position: string | number, ts: number | undefined): SlowEntry {
  return {
    position,
    ts,
    user: undefined,
    host: undefined,
    ip: undefined,
    thread: undefined,
    schema: undefined,
    rowsSent: undefined,
    rowsExamined: undefined,
    queryTime: undefined,
    head: [],
    query: [],
    queryChars: 0,
    phase: "header",
  };
}

function unquoteIdent(s: string): string {
  return s.startsWith("`") && s.endsWith("`") ? s.slice(1, -1).replace(/``/g, "`") : s;
}

/** The event of a complete slow-log entry, if its query reads a credential column. */
function finishEntry(state: MariadbState, out: PartialEvent[]): void {
  const en = state.entry;
  state.entry = undefined;
  if (en === undefined || en.query.length === 0 || en.ts === undefined) return;
  let query = en.query.join("\n");
  if (query.endsWith(";")) query = query.slice(0, -1);
  const db = en.schema !== undefined && en.schema.length > 0 ? en.schema : state.db;
  const reads = credentialReads(query, db, state.columns);
  const first = reads[0];
  if (first === undefined) return;
  const redacted = redactSql(query);
  const attrs: Attrs = { log: "slow", query: redacted.slice(0, 1024) };
  if (en.thread !== undefined) attrs.thread_id = String(en.thread);
  if (en.rowsExamined !== undefined) attrs.rows_examined = en.rowsExamined;
  if (en.queryTime !== undefined) attrs.query_time = Number(en.queryTime);
  if (reads.length > 1) attrs.objects = reads.map(objectOf).join(" ").slice(0, 1024);
  const e: PartialEvent = {
    kind: "cred_access",
    action: "db_select",
    // The slow log does not say whether a statement failed; rows sent say it read.
    outcome: en.rowsSent !== undefined && en.rowsSent > 0 ? "success" : "unknown",
    proto: "mysql",
    object: objectOf(first),
    attrs,
    from: { ts: en.ts, position: en.position, raw: `${en.head.join("\n")}\n${redacted};` },
  };
  if (en.rowsSent !== undefined) e.records = en.rowsSent;
  if (en.user !== undefined && en.user.length > 0) e.user = en.user;
  const ip = ipOrUndefined(en.ip);
  if (ip !== undefined) e.src_ip = ip;
  if (en.host !== undefined && en.host.length > 0 && en.host !== ip) attrs.client_host = en.host;
  out.push(e);
}

function slowTime(line: string, offsetMs: number): number | undefined {
  let m = SLOW_TIME_MARIADB.exec(line);
  if (m !== null) {
    const t = localTime(
      2000 + Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      offsetMs,
    );
    return Number.isNaN(t) ? undefined : t;
  }
  m = SLOW_TIME_ISO.exec(line);
  if (m === null) return undefined;
  const zone = m[8];
  let off = offsetMs;
  if (zone === "Z") off = 0;
  else if (zone !== undefined) {
    const sign = zone.startsWith("-") ? -1 : 1;
    off = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const t = localTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), off);
  return Number.isNaN(t) ? undefined : t + ms;
}

function slowLine(state: MariadbState, at: LineContext): readonly PartialEvent[] | null {
  const line = at.line;
  const en = state.entry;
  if (line.startsWith("# Time: ")) {
    const t = slowTime(line, at.utcOffsetMs ?? 0);
    if (t === undefined) return null;
    const out: PartialEvent[] = [];
    finishEntry(state, out);
    state.lastTime = t;
    return out;
  }
  if (line.startsWith("# User@Host: ")) {
    const m = SLOW_USER_HOST.exec(line);
    if (m === null) return null;
    const out: PartialEvent[] = [];
    finishEntry(state, out);
    const e = newEntry(at.position, state.lastTime);
    e.user = m[2] !== undefined && m[2].length > 0 ? m[2] : m[1];
    e.host = m[3];
    e.ip = m[4];
    if (m[5] !== undefined) e.thread = Number(m[5]);
    e.head.push(line);
    state.entry = e;
    return out;
  }
  if (en === undefined) {
    if (SLOW_FILE_HEADER.test(line)) return NO_EVENTS;
    return null;
  }
  if (en.phase === "query") {
    if (en.query.length < MAX_ENTRY_LINES && en.queryChars < MAX_QUERY) {
      en.query.push(line);
      en.queryChars += line.length + 1;
    }
    if (!line.endsWith(";")) return NO_EVENTS;
    const out: PartialEvent[] = [];
    finishEntry(state, out);
    return out;
  }
  // Header phase.
  if (line.startsWith("# ")) {
    const t = SLOW_THREAD.exec(line);
    if (t !== null) {
      en.thread = Number(t[1]);
      en.schema = t[2];
    } else {
      const r = SLOW_ROWS.exec(line);
      if (r !== null) {
        en.queryTime = r[1];
        en.rowsSent = countOrUndefined(r[2]) ?? Number(r[2]);
        en.rowsExamined = countOrUndefined(r[3]) ?? Number(r[3]);
      }
    }
    if (en.head.length < MAX_ENTRY_LINES) en.head.push(line);
    return NO_EVENTS;
  }
  const u = SLOW_USE.exec(line);
  if (u !== null) {
    state.db = unquoteIdent(u[1] ?? "");
    en.head.push(line);
    return NO_EVENTS;
  }
  const s = SLOW_SET_TIMESTAMP.exec(line);
  if (s !== null) {
    en.ts = Number(s[1]) * 1000;
    en.head.push(line);
    en.phase = "query";
    return NO_EVENTS;
  }
  // A query right after the header (no SET line: short log format).
  if (en.ts !== undefined) {
    en.phase = "query";
    return slowLine(state, at);
  }
  return null;
}

// --- the parser ------------------------------------------------------------------------

export const mariadbAuditParser: LogParser<MariadbState> = {
  id: "mariadb-audit",
  createState(options?: unknown): MariadbState {
    const r = mariadbOptionsSchema.safeParse(options ?? {});
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ParserOptionError(`mariadb-audit options: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
    }
    const columns = r.data.columns.map((c) => parseCredColumn(c)).filter((c): c is CredColumn => c !== undefined);
    return { columns, entry: undefined, lastTime: undefined, db: undefined };
  },
  /** server_audit via syslog: `mysql-server_auditing:  <server>,<user>,...` (an optional syslog_info first). */
  parse(rec: EnvelopeRecord, state: MariadbState): readonly PartialEvent[] | null {
    const msg = rec.message.trimStart();
    const r = auditRecord(state, msg, rec.ts, "");
    if (r !== null) return r;
    const sp = msg.indexOf(" ");
    return sp === -1 ? null : auditRecord(state, msg.slice(sp + 1).trimStart(), rec.ts, "");
  },
  native: {
    firstChars: "0123456789#",
    detect(line, state) {
      const c = line.charCodeAt(0);
      if (c === 0x23 /* # */) {
        return state.entry !== undefined || line.startsWith("# User@Host: ") || line.startsWith("# Time: ");
      }
      // `20260617 03:12:45,`
      return (
        (line.charCodeAt(8) === 0x20 && line.charCodeAt(17) === 0x2c && AUDIT_FILE_HEAD.test(line)) ||
        state.entry !== undefined
      );
    },
    parse(at, state) {
      const c = at.line.charCodeAt(0);
      if (state.entry === undefined && c >= 0x30 && c <= 0x39) {
        const r = auditFileLine(state, at);
        if (r !== null) return r;
      }
      return slowLine(state, at);
    },
    continues: (state) => state.entry !== undefined,
  },
  flush(state: MariadbState): readonly PartialEvent[] {
    const out: PartialEvent[] = [];
    finishEntry(state, out);
    return out;
  },
};
