// Zeek conn.log → one `net` / `conn` event per connection (Zeek logs a
// connection once, when it ends or times out). Two formats:
//   TSV   a header defines the columns, per file (per stream state here):
//           #separator \x09
//           #set_separator	,
//           #empty_field	(empty)
//           #unset_field	-
//           #path	conn
//           #fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	...
//           #types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	...
//           1611583877.627931	CHhAvVGS1DHFjwGM9	188.166.170.114	45965	188.166.170.115	51194	udp	spicy_wireguard	35.595192	13516	14924	SF	-	-	0	Dd	90	16036	82	17220	-
//         `-` is unset, `(empty)` an empty set; other `#path`s (dns.log...) are not ours.
//         A stream read from its middle (no header yet: an agent that started
//         at the end of the file) uses Zeek's default conn.log columns until a
//         header arrives, and only for rows whose shape fits them.
//   JSON  `LogAscii::use_json=T`, one object per line, unset fields left out,
//         `ts` as epoch seconds or ISO-8601 (`json_timestamps`), optional `_path`:
//           {"ts":1591367999.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76","id.orig_p":36844,...}
// Mapping: src = id.orig_h/p, dst = id.resp_h/p, proto = the (first) service
// Zeek recognized, else the transport; bytes_out = orig_bytes (payload the
// originator sent), bytes_in = resp_bytes; attrs uid, conn_state, duration
// (s), transport, history, local_orig/local_resp. outcome: success when the
// handshake completed (S1 S2 S3 SF RSTO RSTR), failure when it did not (REJ S0
// RSTOS0 RSTRH SH SHR), unknown otherwise. The host is the sensor's: Zeek's
// lines name none, so it is the collector's `host`.
// For `net` events the bytes are "this sample's"; a conn.log line is the
// connection's whole life, which is one sample.
import { ipOrUndefined, portOrUndefined } from "./fields.js";
import { type Attrs, type LineContext, type LogParser, NO_EVENTS, type PartialEvent } from "./types.js";

/** Zeek's default conn.log columns (Zeek 3.0–8.x; 7.1+ may append ip_proto). */
export const DEFAULT_CONN_FIELDS: readonly string[] = [
  "ts",
  "uid",
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "proto",
  "service",
  "duration",
  "orig_bytes",
  "resp_bytes",
  "conn_state",
  "local_orig",
  "local_resp",
  "missed_bytes",
  "history",
  "orig_pkts",
  "orig_ip_bytes",
  "resp_pkts",
  "resp_ip_bytes",
  "tunnel_parents",
];

const CONN_STATES = new Set([
  "S0",
  "S1",
  "SF",
  "REJ",
  "S2",
  "S3",
  "RSTO",
  "RSTR",
  "RSTOS0",
  "RSTRH",
  "SH",
  "SHR",
  "OTH",
]);
const ESTABLISHED = new Set(["S1", "S2", "S3", "SF", "RSTO", "RSTR"]);
const NOT_ESTABLISHED = new Set(["REJ", "S0", "RSTOS0", "RSTRH", "SH", "SHR"]);

interface Columns {
  ts: number;
  uid: number;
  origH: number;
  origP: number;
  respH: number;
  respP: number;
  proto: number;
  service: number;
  duration: number;
  origBytes: number;
  respBytes: number;
  connState: number;
  history: number;
  localOrig: number;
  localResp: number;
}

export interface ZeekState {
  sep: string;
  unset: string;
  empty: string;
  /** `#path` of the current header; undefined before any header. */
  path: string | undefined;
  cols: Columns | undefined;
}

function columnsOf(fields: readonly string[]): Columns | undefined {
  const at = (n: string) => fields.indexOf(n);
  const c: Columns = {
    ts: at("ts"),
    uid: at("uid"),
    origH: at("id.orig_h"),
    origP: at("id.orig_p"),
    respH: at("id.resp_h"),
    respP: at("id.resp_p"),
    proto: at("proto"),
    service: at("service"),
    duration: at("duration"),
    origBytes: at("orig_bytes"),
    respBytes: at("resp_bytes"),
    connState: at("conn_state"),
    history: at("history"),
    localOrig: at("local_orig"),
    localResp: at("local_resp"),
  };
  return c.ts === -1 || c.origH === -1 || c.respH === -1 ? undefined : c;
}

// Zeek's header lines after `#separator` (unambiguous: no other format writes these).
const ZEEK_HEADER = /^#(?:set_separator|empty_field|unset_field|path|open|close|fields|types)(?:[^a-z_]|$)/;

const DEFAULT_COLUMNS = columnsOf(DEFAULT_CONN_FIELDS) as Columns;

/** `\x09` → tab (Zeek writes the separator escaped). */
function unescapeHeader(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** A byte/packet count: a non-negative safe integer. */
function bytesOf(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== "string" || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

function portOf(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined;
  return typeof v === "string" ? portOrUndefined(v) : undefined;
}

/** Epoch ms from Zeek's `time` (epoch seconds with a fraction, or ISO-8601 in JSON). */
function timeOf(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && v > 0 ? Math.floor(v * 1000 + 1e-6) : undefined;
  if (typeof v !== "string") return undefined;
  if (/^\d{1,12}(?:\.\d{1,9})?$/.test(v)) return Math.floor(Number(v) * 1000 + 1e-6);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** The first service Zeek confirmed (`ssl,http` → ssl; `-smtp` was removed by DPD). */
function serviceOf(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  for (const s of v.split(",")) {
    if (s.length > 0 && !s.startsWith("-") && /^[\w-]{1,32}$/.test(s)) return s.toLowerCase();
  }
  return undefined;
}

interface ConnFields {
  ts: unknown;
  uid: unknown;
  origH: unknown;
  origP: unknown;
  respH: unknown;
  respP: unknown;
  proto: unknown;
  service: unknown;
  duration: unknown;
  origBytes: unknown;
  respBytes: unknown;
  connState: unknown;
  history: unknown;
  localOrig: unknown;
  localResp: unknown;
}

function connEvent(f: ConnFields): PartialEvent | null {
  const ts = timeOf(f.ts);
  const src = typeof f.origH === "string" ? ipOrUndefined(f.origH) : undefined;
  const dst = typeof f.respH === "string" ? ipOrUndefined(f.respH) : undefined;
  if (ts === undefined || src === undefined || dst === undefined) return null;
  const transport = typeof f.proto === "string" && /^[a-z0-9_]{1,16}$/.test(f.proto) ? f.proto : undefined;
  const state = typeof f.connState === "string" && CONN_STATES.has(f.connState) ? f.connState : undefined;
  const attrs: Attrs = {};
  if (typeof f.uid === "string" && /^[\w-]{1,64}$/.test(f.uid)) attrs.uid = f.uid;
  if (state !== undefined) attrs.conn_state = state;
  const dur = typeof f.duration === "number" ? f.duration : typeof f.duration === "string" ? Number(f.duration) : NaN;
  if (
    Number.isFinite(dur) &&
    dur >= 0 &&
    (typeof f.duration === "number" || /^\d+(?:\.\d+)?$/.test(f.duration as string))
  )
    attrs.duration = dur;
  if (transport !== undefined) attrs.transport = transport;
  if (typeof f.history === "string" && /^[A-Za-z^]{1,64}$/.test(f.history)) attrs.history = f.history;
  const lo =
    f.localOrig === "T" || f.localOrig === true
      ? true
      : f.localOrig === "F" || f.localOrig === false
        ? false
        : undefined;
  const lr =
    f.localResp === "T" || f.localResp === true
      ? true
      : f.localResp === "F" || f.localResp === false
        ? false
        : undefined;
  if (lo !== undefined) attrs.local_orig = lo;
  if (lr !== undefined) attrs.local_resp = lr;
  const e: PartialEvent = {
    kind: "net",
    action: "conn",
    outcome:
      state === undefined
        ? "unknown"
        : ESTABLISHED.has(state)
          ? "success"
          : NOT_ESTABLISHED.has(state)
            ? "failure"
            : "unknown",
    src_ip: src,
    dst_ip: dst,
    attrs,
    from: { ts },
  };
  const sp = portOf(f.origP);
  if (sp !== undefined) e.src_port = sp;
  const dp = portOf(f.respP);
  if (dp !== undefined) e.dst_port = dp;
  const proto = serviceOf(f.service) ?? transport;
  if (proto !== undefined) e.proto = proto;
  const out = bytesOf(f.origBytes);
  if (out !== undefined) e.bytes_out = out;
  const inb = bytesOf(f.respBytes);
  if (inb !== undefined) e.bytes_in = inb;
  return e;
}

function headerLine(state: ZeekState, line: string): boolean {
  if (line.startsWith("#separator ")) {
    const sep = unescapeHeader(line.slice(11));
    if (sep.length === 0) return false;
    state.sep = sep;
    return true;
  }
  const sp = line.indexOf(state.sep);
  if (sp === -1) return line === "#close" || line === "#open";
  const name = line.slice(1, sp);
  const value = line.slice(sp + state.sep.length);
  switch (name) {
    case "set_separator":
    case "open":
    case "close":
    case "types":
      return true;
    case "empty_field":
      state.empty = value;
      return true;
    case "unset_field":
      state.unset = value;
      return true;
    case "path":
      state.path = value;
      state.cols = undefined;
      return true;
    case "fields":
      state.cols = columnsOf(value.split(state.sep));
      return true;
    default:
      return false;
  }
}

function tsvRow(state: ZeekState, line: string): readonly PartialEvent[] | null {
  if (state.path !== undefined && state.path !== "conn") return null;
  const v = line.split(state.sep);
  let cols = state.cols;
  if (cols === undefined) {
    // No header seen: Zeek's default layout, only for rows with its shape.
    if (state.path !== undefined || v.length < 20 || v.length > 24 || !CONN_STATES.has(v[11] ?? "")) return null;
    cols = DEFAULT_COLUMNS;
  }
  const get = (i: number): string | undefined => {
    if (i < 0) return undefined;
    const x = v[i];
    return x === undefined || x === state.unset || x === state.empty ? undefined : x;
  };
  const e = connEvent({
    ts: get(cols.ts),
    uid: get(cols.uid),
    origH: get(cols.origH),
    origP: get(cols.origP),
    respH: get(cols.respH),
    respP: get(cols.respP),
    proto: get(cols.proto),
    service: get(cols.service),
    duration: get(cols.duration),
    origBytes: get(cols.origBytes),
    respBytes: get(cols.respBytes),
    connState: get(cols.connState),
    history: get(cols.history),
    localOrig: get(cols.localOrig),
    localResp: get(cols.localResp),
  });
  return e === null ? null : [e];
}

function jsonRow(line: string): readonly PartialEvent[] | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  if (r._path !== undefined && r._path !== "conn") return null;
  if (r.conn_state === undefined) return null; // dns.log, http.log... share the 4-tuple, not conn_state
  const e = connEvent({
    ts: r.ts,
    uid: r.uid,
    origH: r["id.orig_h"],
    origP: r["id.orig_p"],
    respH: r["id.resp_h"],
    respP: r["id.resp_p"],
    proto: r.proto,
    service: r.service,
    duration: r.duration,
    origBytes: r.orig_bytes,
    respBytes: r.resp_bytes,
    connState: r.conn_state,
    history: r.history,
    localOrig: r.local_orig,
    localResp: r.local_resp,
  });
  return e === null ? null : [e];
}

function parseLine(at: LineContext, state: ZeekState): readonly PartialEvent[] | null {
  const line = at.line;
  const c = line.charCodeAt(0);
  if (c === 0x23 /* # */) return headerLine(state, line) ? NO_EVENTS : null;
  if (c === 0x7b /* { */) return jsonRow(line);
  // A row; `auto` only offers rows that start with the time stamp (Zeek's default column order).
  return tsvRow(state, line);
}

export const zeekConnParser: LogParser<ZeekState> = {
  id: "zeek-conn",
  createState: () => ({ sep: "\t", unset: "-", empty: "(empty)", path: undefined, cols: undefined }),
  native: {
    firstChars: "#{0123456789",
    detect(line, state) {
      const c = line.charCodeAt(0);
      if (c === 0x23 /* # */) {
        return line.startsWith("#separator ") || ZEEK_HEADER.test(line);
      }
      if (c === 0x7b /* { */) {
        if (line.startsWith('{"ts":')) return true;
        return (
          line.startsWith('{"_path":"conn"') ||
          (line.startsWith('{"_') && !line.startsWith('{"__') && line.includes('"id.orig_h":'))
        );
      }
      // `1611583877.627931<sep>`: epoch seconds, a fraction, the separator.
      if (line.charCodeAt(10) !== 0x2e /* . */) return false;
      const sep = line.indexOf(state.sep, 11);
      return sep > 11 && sep <= 20 && /^\d{10}\.\d+$/.test(line.slice(0, sep));
    },
    parse: parseLine,
  },
};
