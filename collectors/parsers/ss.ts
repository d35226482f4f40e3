// The kernel's TCP socket table, as `ss` prints it, → egress events (`net`).
// One stream is a sequence of samples, each a header line carrying the sample
// time followed by the `ss -tinpe` lines of that sample:
//
//   # ss sample ts=2026-06-17T03:12:45.123Z
//   ESTAB 0 0 192.0.2.2:45288 203.0.113.7:443 users:(("curl",pid=2210,fd=5)) ino:92515 sk:1058 cgroup:/ <-> ts sack cubic ... bytes_sent:1000 bytes_acked:1001 bytes_received:52 segs_out:3 ...
//
// The socket poller (sources/socket-poller.ts) writes exactly this; so can the
// simulator, and `mailwarden parse --source ss FILE` reads it. A socket may
// also take two lines (`ss` without `-O`: the info on a following line that
// starts with a tab); both forms are read. The parser is stateful per stream:
// it keeps the previous sample's counters per socket and emits
//   `conn`        a socket seen for the first time, with its counters so far
//                 as bytes (a connection that opened and mostly finished
//                 between two samples still counts what it sent);
//   `conn_sample` bytes out/in since the previous sample (deltas), only when
//                 something moved;
//   `conn_untracked` once per sample in which sockets were left untracked
//                 because the tracking cap was reached (so the loss is seen).
// All of them kind `net`, source `ss`, event time = the sample header's ts,
// src = the local end, dst = the peer (IPv4-mapped IPv6 shown as IPv4),
// process = {name, pid, uid}, proto from the server side's well-known port.
// attrs: `state` (ESTAB, SYN-SENT, FIN-WAIT-1...); `direction` in|out (the
// local end is / is not a listening address; only when the stream lists
// listening sockets, as the poller's does); `ino` (conn); `users`+`pids` (a
// socket shared by several processes); `interval_ms` (conn_sample); and the
// flags `orphan`, `reused`, `first_sample`, `late_attribution`, `users_malformed`,
// `closed` (see below).
//
// Bytes. bytes_out = min(bytes_acked, bytes_sent − bytes_retrans): what the
// peer acknowledged, i.e. data that left the host AND arrived. bytes_sent
// alone counts retransmissions (a lossy or tarpitting path inflates it) and
// data still in flight; bytes_acked alone counts the SYN and FIN sequence
// numbers (+1 each). The minimum of the two is exact for a connection whose
// data has been acknowledged and never overstates. Both are monotonic, so the
// deltas are never negative on a live socket. bytes_in = bytes_received. `ss`
// omits a zero counter, so a missing one is 0 (bytes_sent needs Linux ≥ 4.19).
//
// Identity. A socket is its 4-tuple (its two addresses as `ss` prints them,
// which it does the same way every sample). The same 4-tuple is a NEW connection when
// its inode changed (`ino:`, with `ss -e`), a counter went down, or — without
// inodes — its owning pid changed. An orphaned socket (closed by its process,
// still draining in FIN-WAIT: `ino:0`, no users) keeps the attribution it had.
// A socket absent from a sample is forgotten at the next header; at most
// `maxSockets` sockets are tracked (the maps hold ≤ 2 × maxSockets entries
// while a sample is read); past that, new sockets are counted, not tracked.
//
// Cheap for what does not matter: listening sockets (remembered only to tell
// inbound from outbound), TIME-WAIT/SYN-RECV mini-sockets (no counters) and
// sockets whose peer is in the internal networks (default RFC 1918, loopback,
// link-local, ULA; one cached answer per peer address) are dropped before any
// field past the addresses is read; a known socket whose counters did not move
// costs a map look-up and a scan of its counters.
//
// Attribution races. `ss -p` reads /proc for owners before it dumps the
// sockets, so a socket opened in between is listed without users once; its
// `conn` then has no process, and the first sample that names the owner emits
// a `conn_sample` even if no byte moved (attrs.late_attribution).
//
// Closed sockets. A stream may also carry the kernel's socket-destroy
// notifications (`ss -E`, see sources/ss-closed.ts), each a socket's final
// counters, in sections between samples:
//
//   # ss closed ts=2026-06-17T03:12:47.002Z
//   UNCONN 0 0 192.0.2.2:45288 203.0.113.7:443 ino:0 sk:1058 ts sack ... bytes_sent:1000 bytes_acked:1001 ...
//
// A tracked socket's last bytes become a final `conn_sample` and the socket
// is forgotten; a socket no sample saw (opened and closed in between) becomes
// a `conn` with all its bytes but no process (its owner is gone by then). Both
// carry attrs.closed = true and the section's time.
//
// What a poller misses. Without the closed sections, a connection that opens
// and closes between two samples is never seen and bytes sent after the last
// sample before close are never counted; with them, both are counted but a
// short connection has no process. A socket is first seen up to one interval
// late. A destroy notification that reaches the stream only after the second
// sample past it counts that socket's bytes twice (in practice the
// notification arrives within milliseconds). Cover the rest with a network
// sensor's Zeek conn.log (source `zeek-conn`: every connection, its full byte
// counts, no process) or auditd `connect` records (every connect(2) with its
// process, no bytes). Counters of connections that exist
// when a stream starts are counted again after an agent restart (state is not
// persisted): their `conn` events carry attrs.first_sample = true.
//
// Hostile input. Process names are the processes' own (comm, ≤ 15 bytes, any
// byte but NUL). `ss` prints them raw between quotes, cut at the first `)`, and
// a newline in a name splits the line: the parser re-joins such a line (the
// newline becomes the two characters `\n` in the name). A name never ends an
// entry early: an entry is `("name",pid=N,fd=N)` where the name has no `)`,
// and when a socket has several users the event is attributed to the LAST
// one, whose pid `ss` itself wrote after the name (it is also the lowest pid:
// usually the process that opened the socket). Counters are read from the last
// `bytes_…segs_out:` run of the line, which `ss` prints after every field a
// process or cgroup name can reach.

import { z } from "zod";
import type { EventProcess } from "../../events/event.js";
import {
  type Attrs,
  type EventOrigin,
  type LineContext,
  type LogParser,
  NO_EVENTS,
  ParserOptionError,
  type PartialEvent,
} from "./types.js";

export const SS_SAMPLE_PREFIX = "# ss sample ts=";
export const SS_CLOSED_PREFIX = "# ss closed ts=";

/** The header line that opens a sample taken at `ts`. */
export function ssSampleHeader(ts: Date): string {
  return `${SS_SAMPLE_PREFIX}${ts.toISOString()}`;
}

/** The header line that opens a section of sockets destroyed by `ts`. */
export function ssClosedHeader(ts: Date): string {
  return `${SS_CLOSED_PREFIX}${ts.toISOString()}`;
}

export const DEFAULT_INTERNAL_NETWORKS: readonly string[] = Object.freeze([
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "::1/128",
  "fe80::/10",
  "fc00::/7",
]);

export const DEFAULT_MAX_SOCKETS = 100_000;

/** A socket line longer than this (a socket shared by very many processes) is not parsed. */
export const MAX_SS_LINE_CHARS = 16_384;

// ---------------------------------------------------------------------------
// Internal networks: a CIDR list, IPv4 (as 32-bit numbers) and IPv6 (as 16-bit words).

function invalidNetwork(network: unknown): ParserOptionError {
  return new ParserOptionError(
    `ss: "${String(network).slice(0, 64)}" is not an IPv4/IPv6 network (expected e.g. 10.0.0.0/8 or fc00::/7)`,
  );
}

/** Dotted-quad IPv4 → unsigned 32-bit number, or -1. */
function parseIPv4(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** IPv6 text (no brackets, no zone) → eight 16-bit words, or undefined. */
function parseIPv6(s: string): number[] | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const words: number[] = [];
  let tail = s;
  let v4: number | undefined;
  const lastColon = s.lastIndexOf(":");
  if (s.indexOf(".", lastColon) !== -1) {
    v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 < 0) return undefined;
    tail = s.slice(0, lastColon + 1);
    if (!tail.endsWith("::")) tail = tail.slice(0, -1);
  }
  const gap = tail.indexOf("::");
  if (gap !== -1 && tail.indexOf("::", gap + 1) !== -1) return undefined;
  const groups = (text: string): number[] | undefined => {
    if (text.length === 0) return [];
    const out: number[] = [];
    for (const g of text.split(":")) {
      if (g.length === 0 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const need = v4 === undefined ? 8 : 6;
  if (gap === -1) {
    const g = groups(tail);
    if (g === undefined || g.length !== need) return undefined;
    words.push(...g);
  } else {
    const head = groups(tail.slice(0, gap));
    const rest = groups(tail.slice(gap + 2));
    if (head === undefined || rest === undefined || head.length + rest.length > need - 1) return undefined;
    words.push(...head, ...new Array<number>(need - head.length - rest.length).fill(0), ...rest);
  }
  if (v4 !== undefined) words.push(Math.floor(v4 / 65536), v4 % 65536);
  return words;
}

interface V6Net {
  words: number[];
  prefix: number;
}

/** A set of IPv4/IPv6 networks; `has` takes an address as `ss` prints it, normalized (see parseEndpoint). */
export class NetworkSet {
  private constructor(
    private readonly v4: ReadonlyArray<readonly [net: number, mask: number]>,
    private readonly v6: readonly V6Net[],
  ) {}

  /** Throws ParserOptionError on the first entry that is not `address[/prefix]`. */
  static parse(cidrs: readonly string[]): NetworkSet {
    const v4: Array<readonly [number, number]> = [];
    const v6: V6Net[] = [];
    for (const cidr of cidrs) {
      if (typeof cidr !== "string") throw invalidNetwork(cidr);
      const slash = cidr.indexOf("/");
      const addr = slash === -1 ? cidr : cidr.slice(0, slash);
      const bitsText = slash === -1 ? undefined : cidr.slice(slash + 1);
      if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) throw invalidNetwork(cidr);
      const a4 = parseIPv4(addr);
      if (a4 >= 0) {
        const bits = bitsText === undefined ? 32 : Number(bitsText);
        if (bits > 32) throw invalidNetwork(cidr);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        v4.push([(a4 & mask) >>> 0, mask]);
        continue;
      }
      const a6 = parseIPv6(addr);
      if (a6 === undefined) throw invalidNetwork(cidr);
      const bits = bitsText === undefined ? 128 : Number(bitsText);
      if (bits > 128) throw invalidNetwork(cidr);
      v6.push({ words: a6, prefix: bits });
    }
    return new NetworkSet(v4, v6);
  }

  has(ip: string): boolean {
    if (ip.indexOf(":") === -1) {
      const a = parseIPv4(ip);
      if (a < 0) return false;
      for (const [net, mask] of this.v4) if ((a & mask) >>> 0 === net) return true;
      return false;
    }
    const w = parseIPv6(ip);
    if (w === undefined) return false;
    for (const n of this.v6) if (v6InPrefix(w, n)) return true;
    return false;
  }
}

function v6InPrefix(w: readonly number[], n: V6Net): boolean {
  let bits = n.prefix;
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const a = w[i] ?? 0;
    const b = n.words[i] ?? 0;
    if (bits >= 16) {
      if (a !== b) return false;
    } else {
      const mask = (0xffff << (16 - bits)) & 0xffff;
      if ((a & mask) !== (b & mask)) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Options and per-stream state.

/** The parser's options (`createState(options)`, the collector config's `ss` section). Unknown keys are rejected. */
export const ssOptionsSchema = z.strictObject({
  /** Peers in these networks are not egress (CIDR, IPv4/IPv6). Default: RFC 1918, loopback, link-local, ULA. */
  internalNetworks: z.array(z.string().min(1).max(64)).max(4096).optional(),
  /** Sockets tracked per stream; past that, new sockets are counted (`conn_untracked`), not followed. */
  maxSockets: z.int().min(1).max(10_000_000).optional(),
});
export type SsOptions = z.infer<typeof ssOptionsSchema>;

export interface CompiledSsOptions {
  readonly internal: NetworkSet;
  readonly maxSockets: number;
}

/** Validates and compiles the options once; throws ParserOptionError (one line). */
export function compileSsOptions(options: unknown = {}): CompiledSsOptions {
  const r = ssOptionsSchema.safeParse(options ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ParserOptionError(
      `ss: options: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`,
    );
  }
  return {
    internal: NetworkSet.parse(r.data.internalNetworks ?? DEFAULT_INTERNAL_NETWORKS),
    maxSockets: r.data.maxSockets ?? DEFAULT_MAX_SOCKETS,
  };
}

const DEFAULT_OPTIONS = compileSsOptions();

interface Tracked {
  /** Socket inode, 0 when unknown. */
  ino: number;
  pid: number | undefined;
  out: number;
  in: number;
  process: EventProcess | undefined;
}

export interface SsState {
  readonly opts: CompiledSsOptions;
  /** Current sample time (epoch ms); NaN before the first header. */
  ts: number;
  /** Inside a closed section (until the next sample header), and its time. */
  closing: boolean;
  closedTs: number;
  prevTs: number;
  samples: number;
  /** Sockets seen in the current sample; `prev` those of the previous one (dropped at the next header). */
  cur: Map<string, Tracked>;
  prev: Map<string, Tracked>;
  /** `ip|port` (ip `*` for a wildcard) of listening sockets in the current / previous sample. */
  listenCur: Set<string>;
  listenPrev: Set<string>;
  /** New sockets left untracked in the current sample (tracking cap). */
  untracked: number;
  /** A socket line waiting for the rest of its name (newline in it) or for its tab-indented info line. */
  pending: string | undefined;
  pendingPosition: string | number;
  pendingJoins: number;
  /** The address part of the external socket on the previous line, for a tab-indented info line after it. */
  lastHead: string | undefined;
  /** Interned process names: a name taken from a line would otherwise keep the whole line alive. */
  names: Map<string, string>;
  /** Peer address as printed → in the internal networks (bounded cache). */
  internalPeers: Map<string, boolean>;
}

/** A stream's state; `options` as in ssOptionsSchema (throws ParserOptionError). */
export function createSsState(options?: unknown): SsState {
  return {
    opts: options === undefined ? DEFAULT_OPTIONS : compileSsOptions(options),
    ts: Number.NaN,
    closing: false,
    closedTs: Number.NaN,
    prevTs: Number.NaN,
    samples: 0,
    cur: new Map(),
    prev: new Map(),
    listenCur: new Set(),
    listenPrev: new Set(),
    untracked: 0,
    pending: undefined,
    pendingPosition: 0,
    pendingJoins: 0,
    lastHead: undefined,
    names: new Map(),
    internalPeers: new Map(),
  };
}

const MAX_NAMES = 4096;
const MAX_PEER_CACHE = 65_536;
const MAX_PENDING_JOINS = 4;
const MAX_USERS = 64;

function intern(state: SsState, name: string): string {
  const known = state.names.get(name);
  if (known !== undefined) return known;
  if (state.names.size >= MAX_NAMES) state.names.clear();
  const flat = Buffer.from(name, "utf8").toString("utf8"); // a copy that does not point into the line
  state.names.set(flat, flat);
  return flat;
}

// ---------------------------------------------------------------------------
// Line grammar.

const SAMPLE_HEADER = /^# ss (?:sample|closed) ts=(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)(?:\s.*)?$/;
// State, Recv-Q, Send-Q, local, peer. `ss` omits the state column when the
// filter selects a single state; the poller always asks for several.
const HEAD = /^([A-Z][A-Z0-9-]{1,11}) +(\d{1,20}) +(\d{1,20}) +(\S{1,100}) +(\S{1,100})/;
const STATES = new Set([
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "UNCONN",
  "CLOSE-WAIT",
  "LAST-ACK",
  "LISTEN",
  "CLOSING",
  "UNKNOWN",
]);
/** Mini-sockets and closed sockets: no counters, nothing to attribute. */
const IGNORED_STATES = new Set(["TIME-WAIT", "SYN-RECV", "UNCONN", "UNKNOWN"]);
const USER_ENTRY = /\("([^)]*)",pid=(\d{1,10}),fd=(\d{1,10})\)/y;
// The `ss -e` details that follow the users (timer with -o or on a busy socket).
const DETAILS = /(?: *timer:\([^)]{0,64}\))?(?: *uid:(\d{1,10}))?(?: *ino:(\d{1,20}))?(?: *sk:[0-9a-f]{1,16})?/y;
const COLUMN_HEADER = /^(?:State|Recv-Q|Netid)\s+(?:Recv-Q|Send-Q)\s/;

interface Endpoint {
  /** Address as text, IPv4-mapped IPv6 as plain IPv4, `*` for a wildcard. */
  ip: string;
  port: number | undefined;
}

/** `10.0.0.1:25`, `[2001:db8::1]:443`, `[::ffff:192.0.2.1]:993`, `[fe80::1]%eth0:22`, `*:*`. */
function parseEndpoint(tok: string): Endpoint | undefined {
  const colon = tok.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const portText = tok.slice(colon + 1);
  let host = tok.slice(0, colon);
  const zone = host.indexOf("%");
  if (zone !== -1) host = host.slice(0, zone);
  let port: number | undefined;
  if (portText !== "*") {
    if (!/^\d{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
    if (port > 65535) return undefined;
  }
  if (host.charCodeAt(0) === 91 /* [ */) {
    if (!host.endsWith("]")) return undefined;
    host = host.slice(1, -1);
  }
  if (host === "*" || host === "0.0.0.0" || host === "::") return { ip: "*", port };
  if (host.indexOf(":") === -1) return parseIPv4(host) >= 0 ? { ip: host, port } : undefined;
  // IPv6 (`ss` brackets it; a bare one is accepted from other writers).
  host = host.toLowerCase();
  if (host.startsWith("::ffff:") && host.indexOf(".") !== -1) {
    const v4 = host.slice(7);
    return parseIPv4(v4) >= 0 ? { ip: v4, port } : undefined;
  }
  return parseIPv6(host) === undefined ? undefined : { ip: host, port };
}

const WELL_KNOWN: ReadonlyMap<number, string> = new Map([
  [25, "smtp"],
  [465, "submission"],
  [587, "submission"],
  [143, "imap"],
  [993, "imap"],
  [110, "pop3"],
  [995, "pop3"],
  [22, "ssh"],
  [80, "http"],
  [443, "http"],
  [8080, "http"],
  [389, "ldap"],
  [636, "ldap"],
  [3306, "mysql"],
  [53, "dns"],
]);

function safeCount(s: string | undefined): number {
  if (s === undefined) return 0;
  const n = Number(s);
  return Math.min(n, Number.MAX_SAFE_INTEGER);
}

/** Decimal digits of line[start, end) as a number (capped at MAX_SAFE_INTEGER), or -1. */
function digits(line: string, start: number, end: number): number {
  if (end <= start || end - start > 20) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return Math.min(n, Number.MAX_SAFE_INTEGER);
}

// `ss` prints, when non-zero and in this order, right before ` segs_out:`:
//   bytes_sent:N bytes_retrans:N bytes_acked:N bytes_received:N
const COUNTER_FIELDS = [
  [" bytes_sent:", "sent"],
  [" bytes_retrans:", "retrans"],
  [" bytes_acked:", "acked"],
  [" bytes_received:", "received"],
] as const;

/** What readCounters read last (scratch, so that a line allocates nothing for its counters). */
const read = { sent: 0, retrans: 0, acked: 0, received: 0 };

/**
 * Reads the `bytes_…` run that ends at the ` segs_out:` at `segs`, right to
 * left, in `ss`'s order, none of it before `from`. The LAST ` segs_out:` of
 * the line is the real one: `ss` prints it after every field a name can reach.
 */
function readCounters(line: string, from: number, segs: number): void {
  read.sent = 0;
  read.retrans = 0;
  read.acked = 0;
  read.received = 0;
  let end = segs;
  let next = COUNTER_FIELDS.length - 1;
  while (end > from) {
    const sp = line.lastIndexOf(" ", end - 1);
    if (sp < from) return;
    let field = COUNTER_FIELDS[next];
    while (field !== undefined && !line.startsWith(field[0], sp)) field = COUNTER_FIELDS[--next];
    if (field === undefined) return;
    const v = digits(line, sp + field[0].length, end);
    if (v < 0) return;
    read[field[1]] = v;
    next--;
    end = sp;
  }
}

/** Data the peer acknowledged, without SYN/FIN and without counting a retransmission twice. */
function bytesOut(): number {
  return Math.max(0, Math.min(read.acked, read.sent - read.retrans));
}

/** The inode after ` ino:` (first one past `from`), or -1 when the line has none. */
function inodeOf(line: string, from: number): number {
  const at = line.indexOf(" ino:", from);
  if (at === -1) return -1;
  let end = at + 5;
  while (end < line.length && line.charCodeAt(end) !== 32) end++;
  return digits(line, at + 5, end);
}

type Users = { entries: Array<{ name: string; pid: number }>; count: number; end: number } | "open" | "malformed";

/** The users list starting right after `users:(`; `open` when the line ends inside a name. */
function parseUsers(line: string, start: number): Users {
  const entries: Array<{ name: string; pid: number }> = [];
  let count = 0;
  let pos = start;
  for (;;) {
    USER_ENTRY.lastIndex = pos;
    const m = USER_ENTRY.exec(line);
    if (m === null) return line.indexOf(")", pos) === -1 ? "open" : "malformed";
    count++;
    if (entries.length < MAX_USERS) entries.push({ name: m[1] ?? "", pid: Number(m[2]) });
    else entries[MAX_USERS - 1] = { name: m[1] ?? "", pid: Number(m[2]) }; // keep the last one
    pos = USER_ENTRY.lastIndex;
    const c = line.charCodeAt(pos);
    if (c === 41 /* ) */) return { entries, count, end: pos + 1 };
    if (c !== 44 /* , */) return "malformed";
    pos++;
  }
}

// ---------------------------------------------------------------------------
// The parser.

/** Where a socket record assembled from several lines starts, and its whole text. */
type Joined = { position: string | number; raw: string } | undefined;

/**
 * Events of one line of an ss stream: `null` when it is not a line of this
 * format; empty when recognized with nothing to emit (a header, a listening or
 * internal socket, an unchanged counter, a line still waiting for the rest of
 * its record). `position` is the line's position in its stream: a record
 * spread over several lines is reported at its first line.
 */
export function parseSsLine(
  input: string,
  state: SsState,
  position: string | number = 0,
): readonly PartialEvent[] | null {
  const line = input.endsWith("\r") ? input.slice(0, -1) : input;
  const lastHead = state.lastHead;
  state.lastHead = undefined;
  const pending = state.pending;
  state.pending = undefined;
  if (pending !== undefined && usersOpen(pending) && !SAMPLE_HEADER.test(line)) {
    // The rest of a process name that held a newline: whatever the line looks
    // like (`#…`, a tab, a state word), it belongs to the name. A name of at
    // most 15 bytes can start a socket line but not forge a sample header.
    if (++state.pendingJoins > MAX_PENDING_JOINS || pending.length + line.length > MAX_SS_LINE_CHARS) return null;
    return socketText(`${pending}\\n${line}`, state, state.pendingPosition);
  }
  if (line.startsWith("#")) {
    if (line.startsWith(SS_SAMPLE_PREFIX)) return sampleHeader(line, state);
    return line.startsWith(SS_CLOSED_PREFIX) ? closedHeader(line, state) : NO_EVENTS;
  }
  if (Number.isNaN(state.ts) && !state.closing) return null; // no header yet: no event time
  if (line.length > MAX_SS_LINE_CHARS) return null;
  // A two-line socket (`ss` without -O): its TCP info. Anything else: the
  // pending socket never got its info; it is dropped and this line read afresh.
  if (pending !== undefined && line.charCodeAt(0) === 9) {
    return socketText(`${pending} ${line.trim()}`, state, state.pendingPosition);
  }
  if (line.charCodeAt(0) === 9) {
    // The info line of a socket that looked complete on its own line: apply
    // it as an update of that socket; else the info of an ignored socket.
    return lastHead === undefined ? NO_EVENTS : socketText(`${lastHead} ${line.trim()}`, state, position);
  }
  const head = HEAD.exec(line);
  if (head === null || !STATES.has(head[1] ?? "")) return COLUMN_HEADER.test(line) ? NO_EVENTS : null;
  state.pendingJoins = 0;
  return socketLine(line, head, state, position, undefined);
}

function usersOpen(text: string): boolean {
  const head = HEAD.exec(text);
  if (head === null) return false;
  const at = skipSpaces(text, head[0].length);
  return text.startsWith("users:(", at) && parseUsers(text, at + 7) === "open";
}

function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === 32) i++;
  return i;
}

/** A socket record assembled from several lines, the first at `position`. */
function socketText(text: string, state: SsState, position: string | number): readonly PartialEvent[] | null {
  const head = HEAD.exec(text);
  if (head === null || !STATES.has(head[1] ?? "")) return null;
  return socketLine(text, head, state, position, { position, raw: text });
}

function socketLine(
  line: string,
  head: RegExpExecArray,
  state: SsState,
  position: string | number,
  joined: Joined,
): readonly PartialEvent[] | null {
  const sockState = head[1] ?? "";
  const localTok = head[4] ?? "";
  const peerTok = head[5] ?? "";
  if (sockState === "LISTEN") {
    const local = parseEndpoint(localTok);
    if (local === undefined) return null;
    state.listenCur.add(`${local.ip}|${local.port}`);
    return NO_EVENTS;
  }
  // A destroyed socket shows as UNCONN (closed); its counters are final.
  const closing = state.closing;
  if (!closing && IGNORED_STATES.has(sockState)) return NO_EVENTS;
  // Keyed by the addresses as printed: `ss` prints a socket the same way every time.
  const key = `${localTok} ${peerTok}`;
  const known = state.cur.get(key) ?? state.prev.get(key);
  const headEnd = head[0].length;
  if (known !== undefined && known.process !== undefined) {
    // Fast path, the common case: a known, attributed socket whose counters
    // did not move. Nothing else of the line is read.
    readCounters(line, headEnd, line.lastIndexOf(" segs_out:"));
    const ino = inodeOf(line, headEnd);
    // Same socket: same inode, or orphaned (`ino:0`). Without inodes (no -e)
    // the owner's pid tells, so the users field must be read: slow path.
    if (bytesOut() === known.out && read.received === known.in && (ino === 0 || (ino > 0 && ino === known.ino))) {
      keep(state, key, known);
      state.lastHead = line.slice(0, headEnd);
      return NO_EVENTS;
    }
  }
  if (known === undefined) {
    // Internal peers are the bulk of a mail host's sockets: one cached answer per peer address.
    const host = peerTok.slice(0, peerTok.lastIndexOf(":"));
    const internal = state.internalPeers.get(host);
    if (internal === true) return NO_EVENTS;
    if (internal === undefined) {
      const p = parseEndpoint(peerTok);
      if (p === undefined) return null;
      const isInternal = p.ip === "*" || state.opts.internal.has(p.ip);
      if (state.internalPeers.size >= MAX_PEER_CACHE) state.internalPeers.clear();
      state.internalPeers.set(host, isInternal);
      if (isInternal) return NO_EVENTS;
    }
  }
  const local = parseEndpoint(localTok);
  const peer = parseEndpoint(peerTok);
  if (local === undefined || peer === undefined) return null;
  if (peer.port === undefined) return NO_EVENTS;

  // An external socket that is new or moved: now the rest of the line.
  let pos = skipSpaces(line, headEnd);
  let users: Users | undefined;
  if (line.startsWith("users:(", pos)) {
    users = parseUsers(line, pos + 7);
    if (users === "open") return hold(line, state, position);
    if (users !== "malformed") pos = users.end;
  }
  let uid: number | undefined;
  let ino = 0;
  let inoShown = false;
  if (users !== "malformed") {
    DETAILS.lastIndex = pos;
    const d = DETAILS.exec(line);
    if (d !== null) {
      if (d[2] !== undefined) {
        ino = safeCount(d[2]);
        inoShown = true;
        uid = d[1] === undefined ? 0 : Number(d[1]); // `ss -e` omits uid 0
      }
      pos = DETAILS.lastIndex;
    }
  }
  const segs = line.lastIndexOf(" segs_out:");
  if (segs < pos && line.indexOf(" cwnd:", pos) === -1) {
    // No TCP info on this line: it comes on the next one (two-line `ss` output).
    return hold(line, state, position);
  }
  readCounters(line, pos, segs);
  const out = bytesOut();
  const received = read.received;
  state.lastHead = line.slice(0, pos);

  let process: EventProcess | undefined;
  const attrs: Attrs = { state: sockState };
  if (typeof users === "object") {
    const owner = users.entries[users.entries.length - 1];
    if (owner !== undefined) {
      process = { name: intern(state, owner.name.slice(0, 256)), pid: owner.pid };
      if (uid !== undefined) process.uid = uid;
    }
    if (users.count > 1) {
      attrs.users = users.count;
      attrs.pids = users.entries
        .map((u) => u.pid)
        .join(",")
        .slice(0, 1024);
    }
  } else if (users === "malformed") {
    attrs.users_malformed = true;
  }
  const direction = directionOf(state, local);
  if (direction !== undefined) attrs.direction = direction;
  const proto = WELL_KNOWN.get((direction === "in" ? local.port : peer.port) ?? -1);
  const ts = closing ? state.closedTs : state.ts;
  const from: EventOrigin = joined === undefined ? { ts } : { ts, ...joined };
  const base: PartialEvent = {
    kind: "net",
    action: "conn",
    outcome: sockState === "SYN-SENT" ? "unknown" : "success",
    src_ip: local.ip,
    dst_ip: peer.ip,
    dst_port: peer.port,
    from,
  };
  if (local.port !== undefined) base.src_port = local.port;
  if (proto !== undefined) base.proto = proto;

  if (known !== undefined) {
    const reused =
      (ino !== 0 && known.ino !== 0 && ino !== known.ino) ||
      out < known.out ||
      received < known.in ||
      (!inoShown && process !== undefined && known.pid !== undefined && process.pid !== known.pid);
    if (!reused) {
      keep(state, key, known);
      const dOut = out - known.out;
      const dIn = received - known.in;
      known.out = out;
      known.in = received;
      if (ino !== 0) known.ino = ino;
      let lateAttribution = false;
      if (process !== undefined) {
        lateAttribution = known.process === undefined;
        known.process = process;
        known.pid = process.pid;
      } else if (known.process !== undefined) {
        // No users: orphaned (closed by its process, still draining; `ino:0`)
        // or owned by a process `ss` cannot see. The last owner it had.
        process = known.process;
        if (closing) attrs.closed = true;
        else if (inoShown && ino === 0) attrs.orphan = true;
      }
      if (dOut === 0 && dIn === 0 && !lateAttribution) return NO_EVENTS;
      if (lateAttribution) attrs.late_attribution = true;
      if (!closing && !Number.isNaN(state.prevTs)) attrs.interval_ms = state.ts - state.prevTs;
      const e: PartialEvent = { ...base, action: "conn_sample", bytes_out: dOut, bytes_in: dIn, attrs };
      if (process !== undefined) e.process = process;
      return [e];
    }
    attrs.reused = true;
  } else if (!closing && state.cur.size >= state.opts.maxSockets) {
    state.untracked++;
    return NO_EVENTS;
  }
  if (closing) {
    // Opened and closed between two samples: all its bytes, nothing to track.
    forget(state, key);
    attrs.closed = true;
  } else {
    state.cur.set(key, { ino, pid: process?.pid, out, in: received, process });
    if (process === undefined && ino === 0 && inoShown) attrs.orphan = true;
    if (state.samples === 1) attrs.first_sample = true;
  }
  if (ino !== 0) attrs.ino = ino;
  const e: PartialEvent = { ...base, bytes_out: out, bytes_in: received, attrs };
  if (process !== undefined) e.process = process;
  return [e];
}

/** A socket seen again: tracked on, unless this is its destroy notification. */
function keep(state: SsState, key: string, known: Tracked): void {
  if (state.closing) forget(state, key);
  else state.cur.set(key, known);
}

function forget(state: SsState, key: string): void {
  state.cur.delete(key);
  state.prev.delete(key);
}

function hold(line: string, state: SsState, position: string | number): readonly PartialEvent[] {
  state.pending = line;
  state.pendingPosition = position;
  return NO_EVENTS;
}

/** `in` when the local end is a listening address, `out` otherwise; unknown when the stream shows no listeners. */
function directionOf(state: SsState, local: Endpoint): "in" | "out" | undefined {
  if (state.listenCur.size === 0 && state.listenPrev.size === 0) return undefined;
  const exact = `${local.ip}|${local.port}`;
  const any = `*|${local.port}`;
  if (state.listenCur.has(exact) || state.listenCur.has(any)) return "in";
  if (state.listenPrev.has(exact) || state.listenPrev.has(any)) return "in";
  return "out";
}

function sampleHeader(line: string, state: SsState): readonly PartialEvent[] | null {
  const m = SAMPLE_HEADER.exec(line);
  const ts = m === null ? Number.NaN : Date.parse(m[1] ?? "");
  if (Number.isNaN(ts)) return null;
  const untracked = state.untracked;
  const lastTs = state.ts;
  // Sockets not seen in the sample that just ended have closed: forget them.
  state.prev = state.cur;
  state.cur = new Map();
  state.listenPrev = state.listenCur;
  state.listenCur = new Set();
  state.untracked = 0;
  state.prevTs = lastTs;
  state.ts = ts;
  state.closing = false;
  state.samples++;
  if (untracked === 0 || Number.isNaN(lastTs)) return NO_EVENTS;
  return [
    {
      kind: "net",
      action: "conn_untracked",
      outcome: "failure",
      reason: "tracking_cap",
      attrs: { untracked, max_sockets: state.opts.maxSockets },
      from: { ts: lastTs },
    },
  ];
}

/** Opens a closed section: the sockets that follow were destroyed by its time. */
function closedHeader(line: string, state: SsState): readonly PartialEvent[] | null {
  const m = SAMPLE_HEADER.exec(line);
  const ts = m === null ? Number.NaN : Date.parse(m[1] ?? "");
  if (Number.isNaN(ts)) return null;
  state.closing = true;
  state.closedTs = ts;
  return NO_EVENTS;
}

/** Lines `auto` may hand to this format: sample headers, socket lines, tab-indented info lines. */
const FIRST_CHARS = "#\tCEFLSTU";

/** The `ss` socket-table reader (native format only: `ss` does not log through syslog). */
export const ssParser: LogParser<SsState> = {
  id: "ss",
  createState: createSsState,
  native: {
    firstChars: FIRST_CHARS,
    detect(line: string, state: SsState): boolean {
      if (line.startsWith(SS_SAMPLE_PREFIX) || line.startsWith(SS_CLOSED_PREFIX)) return true;
      if (Number.isNaN(state.ts) && !state.closing) return false; // a socket table starts with its sample header
      if (line.charCodeAt(0) === 9) return true;
      const sp = line.indexOf(" ");
      return sp > 0 && STATES.has(line.slice(0, sp)) && HEAD.test(line);
    },
    parse: (at: LineContext, state: SsState) => parseSsLine(at.line, state, at.position),
    continues: (state: SsState) => state.pending !== undefined,
  },
};
