// OpenLDAP slapd `loglevel stats` → bind events (auth / "bind") and search
// events (cred_access / "ldap_search"). slapd logs one operation over several
// lines of one connection, so this parser keeps per-stream state keyed by
// connection number:
//   conn=1009 fd=12 ACCEPT from IP=192.0.2.1:46050 (IP=0.0.0.0:389)     → remember the peer
//   conn=1009 fd=12 TLS established tls_ssf=256 ssf=256                 → remember TLS
//   conn=1009 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=com" method=128  → remember the dn
//   conn=1009 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=com" mech=SIMPLE bind_ssf=0 ssf=0 (success only)
//   conn=1009 op=0 RESULT tag=97 err=49 text=                            → emit: failure for that dn from that peer
//   conn=1009 op=0 RESULT tag=97 err=0 qtime=0.000022 etime=0.000203 text=  → emit: success; the dn is now bound
//   conn=1009 op=1 SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(objectClass=*)"   → open search op 1
//   conn=1009 op=1 SRCH attr=uid mail userPassword                      → its attribute list (may span lines)
//   conn=1009 op=1 SEARCH RESULT tag=101 err=0 qtime=0.000014 etime=0.012165 nentries=2507 text=  → emit the search
//   conn=1009 op=2 ABANDON msg=1                                        → emit op 1 as abandoned
//   conn=1009 fd=12 closed (connection lost)                             → emit searches without result; forget the connection
// Anonymous binds (empty dn) and SASL in-progress results (err=14) emit no
// bind event (an anonymous bind, or a failed one, leaves the connection anonymous).
//
// A search event: user = the DN bound on that connection, or "anonymous";
// src/dst from the ACCEPT; object = `base?scope?filter` (scope as in LDAP URLs:
// base, one, sub, children); records = nentries; outcome success for err=0,
// else failure (a sizelimit-exceeded search still returned `nentries` entries,
// so records are set whatever the outcome); attrs.password_attrs = true when
// `userPassword`, `authPassword` (or their OIDs), `*`, or no attribute list at
// all (all user attributes) was requested — `+` alone asks for operational
// attributes only, `1.1` for none. attrs.attrs is the requested list.
// Searches without a result (connection closed, abandoned, end of stream)
// ARE emitted: outcome unknown, no `records` (0 would claim nothing was
// returned, and an attacker cutting the connection mid-dump should still
// leave a trace), attrs.result = "none" | "abandoned".
//
// Counting: a failed bind is one attempt (`attrs.attempts = 1`, stage "bind").
// Bounded memory: at most MAX_CONNECTIONS connections are tracked; past that
// the oldest is dropped (its later RESULT then lacks peer and dn, its pending
// searches are lost), at most MAX_SEARCHES_PER_CONNECTION searches wait per
// connection (oldest dropped), and a connection's state is dropped on "closed".
//
// Hostile input: the dn and the filter are the client's. The bind dn is read
// between `dn="` and the LAST `" method=N` / `" mech=...` that ends the line;
// the search base (a DN, whose quotes slapd escapes) ends at the first
// unescaped `"`, and the filter runs from `filter="` to the final `"`; the
// peer address comes only from the ACCEPT line, which the client cannot write into.

import { countOrUndefined, ipOrUndefined, portOrUndefined } from "./fields.js";
import {
  type Attrs,
  type EnvelopeRecord,
  type LineContext,
  type LogParser,
  NO_EVENTS,
  type PartialEvent,
} from "./types.js";

export const MAX_CONNECTIONS = 50_000;
export const MAX_SEARCHES_PER_CONNECTION = 16;
/** Raw text kept per search (its SRCH lines); the event's raw is capped at 2 KiB anyway. */
const MAX_SEARCH_RAW = 4096;

interface Search {
  base: string;
  scope: string;
  filter: string;
  attrs: string[];
  raw: string;
  position: string | number;
  /** Time of the SRCH line: the event time of a search that never got its result. */
  ts: number;
}

interface Connection {
  ip: string | undefined;
  port: number | undefined;
  lip: string | undefined;
  lport: number | undefined;
  tls: boolean;
  op: number;
  dn: string | undefined;
  method: string | undefined;
  /** The DN of the last successful non-anonymous bind; undefined = anonymous. */
  bound: string | undefined;
  searches: Map<number, Search> | undefined;
}

export interface SlapdState {
  readonly connections: Map<number, Connection>;
}

const CONN = /^conn=(\d{1,20}) (?:fd=\d{1,10}|op=(\d{1,10})) /;
// "IP=192.0.2.1:46050 (IP=0.0.0.0:389)", IPv6 in brackets; "PATH=/run/ldapi (PATH=...)" for ldapi.
const ACCEPT =
  /^ACCEPT from (?:IP=\[?([0-9A-Fa-f.:]{2,45})\]?:(\d{1,5})|PATH=\S*) \((?:IP=\[?([0-9A-Fa-f.:]{2,45})\]?:(\d{1,5})|PATH=\S*)\)$/;
const BIND_METHOD = /^BIND dn="(.*)" method=(\d{1,4})$/;
const BIND_MECH = /^BIND dn="(.*)" mech=([\w-]{1,32})(?: bind_ssf=\d+)? ssf=\d+$/;
const RESULT_BIND = /^RESULT tag=97 err=(\d{1,4})(?: qtime=[\d.]+)?(?: etime=[\d.]+)? text=(.{0,256})$/;
const SRCH_BASE = /^SRCH base="((?:[^"\\]|\\.){0,4096})" scope=(\d) deref=\d filter="(.*)"$/;
const SRCH_ATTR = /^SRCH attr=(.*)$/;
const SEARCH_RESULT =
  /^SEARCH RESULT tag=101 err=(\d{1,4})(?: qtime=[\d.]+)?(?: etime=[\d.]+)? nentries=(\d{1,12}) text=(.{0,256})$/;
const ABANDON = /^ABANDON msg=(\d{1,10})$/;
const SCOPES = ["base", "one", "sub", "children"];
const PASSWORD_ATTRS = new Set(["userpassword", "authpassword", "2.5.4.35", "1.3.6.1.4.1.4203.1.3.4", "*"]);
const ACCOUNT_RDN = /^(?:uid|mail|cn|sAMAccountName)=((?:[^,\\]|\\.){1,256})(?:,|$)/;

function reasonOf(err: number): string {
  switch (err) {
    case 49:
      return "bad_password"; // invalidCredentials: wrong password or no such dn
    case 48:
      return "inappropriate_auth";
    case 50:
      return "insufficient_access";
    case 53:
      return "unwilling_to_perform";
    case 3:
      return "time_limit_exceeded";
    case 4:
      return "size_limit_exceeded";
    case 11:
      return "admin_limit_exceeded";
    case 32:
      return "no_such_object";
    default:
      return `ldap_error_${err}`;
  }
}

/** True when the requested attribute list returns password attributes (empty list = all user attributes). */
export function requestsPasswords(attrs: readonly string[]): boolean {
  if (attrs.length === 0) return true;
  for (const a of attrs) {
    const semi = a.indexOf(";");
    if (PASSWORD_ATTRS.has((semi === -1 ? a : a.slice(0, semi)).toLowerCase())) return true;
  }
  return false;
}

function searchEvent(c: Connection | undefined, id: number, op: number, s: Search): PartialEvent {
  const attrs: Attrs = {
    session: String(id),
    op,
    password_attrs: requestsPasswords(s.attrs),
    tls: c?.tls ?? false,
  };
  if (s.attrs.length > 0) attrs.attrs = s.attrs.join(" ").slice(0, 1024);
  const e: PartialEvent = {
    kind: "cred_access",
    action: "ldap_search",
    outcome: "unknown",
    user: c?.bound ?? "anonymous",
    proto: "ldap",
    object: `${s.base}?${s.scope}?${s.filter}`.slice(0, 4096),
    attrs,
  };
  if (c !== undefined) {
    if (c.ip !== undefined) e.src_ip = c.ip;
    if (c.port !== undefined) e.src_port = c.port;
    if (c.lip !== undefined) e.dst_ip = c.lip;
    if (c.lport !== undefined) e.dst_port = c.lport;
  }
  return e;
}

/** Search events for the searches of `c` that never got a result. */
function unfinished(c: Connection, id: number, result: string, out: PartialEvent[], only?: number): void {
  if (c.searches === undefined) return;
  for (const [op, s] of c.searches) {
    if (only !== undefined && op !== only) continue;
    const e = searchEvent(c, id, op, s);
    (e.attrs as Attrs).result = result;
    e.from = { raw: s.raw, position: s.position, ts: s.ts };
    out.push(e);
    c.searches.delete(op);
  }
}

function connection(state: SlapdState, id: number): Connection {
  let c = state.connections.get(id);
  if (c === undefined) {
    c = {
      ip: undefined,
      port: undefined,
      lip: undefined,
      lport: undefined,
      tls: false,
      op: -1,
      dn: undefined,
      method: undefined,
      bound: undefined,
      searches: undefined,
    };
    remember(state, id, c);
  }
  return c;
}

function remember(state: SlapdState, id: number, c: Connection): void {
  if (state.connections.size >= MAX_CONNECTIONS && !state.connections.has(id)) {
    const oldest = state.connections.keys().next();
    if (oldest.done !== true) state.connections.delete(oldest.value);
  }
  state.connections.set(id, c);
}

function bindResult(state: SlapdState, id: number, op: number, err: number, text: string): readonly PartialEvent[] {
  if (err === 14) return NO_EVENTS; // saslBindInProgress
  const c = state.connections.get(id);
  const dn = c !== undefined && c.op === op ? c.dn : undefined;
  // A bind (even a failed one) first makes the connection anonymous; success binds the dn.
  if (c !== undefined) c.bound = err === 0 && dn !== undefined && dn !== "" ? dn : undefined;
  if (err === 0 && (dn === undefined || dn === "")) return NO_EVENTS; // anonymous bind
  const attrs: Attrs = { stage: "bind", session: String(id), op, err, tls: c?.tls ?? false };
  if (c?.method !== undefined && c.op === op) attrs.method = c.method;
  if (text.length > 0) attrs.detail = text;
  const e: PartialEvent =
    err === 0
      ? { kind: "auth", action: "bind", outcome: "success", proto: "ldap", attrs }
      : { kind: "auth", action: "bind", outcome: "failure", proto: "ldap", reason: reasonOf(err), attrs };
  if (err !== 0) attrs.attempts = 1;
  if (dn !== undefined && dn.length > 0) {
    e.user = dn;
    const a = ACCOUNT_RDN.exec(dn);
    if (a !== null) attrs.account = a[1] ?? "";
  }
  if (c !== undefined) {
    if (c.ip !== undefined) e.src_ip = c.ip;
    if (c.port !== undefined) e.src_port = c.port;
    if (c.lip !== undefined) e.dst_ip = c.lip;
    if (c.lport !== undefined) e.dst_port = c.lport;
    if (c.op === op) {
      c.dn = undefined;
      c.method = undefined;
    }
  }
  return [e];
}

function srchLine(state: SlapdState, id: number, op: number, rest: string, ts: number, at: LineContext): boolean {
  const b = SRCH_BASE.exec(rest);
  if (b !== null) {
    const c = connection(state, id);
    c.searches ??= new Map();
    if (c.searches.size >= MAX_SEARCHES_PER_CONNECTION && !c.searches.has(op)) {
      const oldest = c.searches.keys().next();
      if (oldest.done !== true) c.searches.delete(oldest.value);
    }
    c.searches.set(op, {
      base: b[1] ?? "",
      scope: SCOPES[Number(b[2])] ?? `scope${b[2]}`,
      filter: b[3] ?? "",
      attrs: [],
      raw: at.line.slice(0, MAX_SEARCH_RAW),
      position: at.position,
      ts,
    });
    return true;
  }
  const a = SRCH_ATTR.exec(rest);
  if (a === null) return false;
  const s = state.connections.get(id)?.searches?.get(op);
  if (s !== undefined) {
    for (const name of (a[1] ?? "").split(" ")) if (name.length > 0 && s.attrs.length < 256) s.attrs.push(name);
    if (s.raw.length < MAX_SEARCH_RAW) s.raw = `${s.raw}\n${at.line}`.slice(0, MAX_SEARCH_RAW);
  }
  return true;
}

function searchResult(
  state: SlapdState,
  id: number,
  op: number,
  r: RegExpExecArray,
  at: LineContext,
): readonly PartialEvent[] {
  const c = state.connections.get(id);
  const s = c?.searches?.get(op);
  // A result whose SRCH was not seen (state lost, file started mid-way): no base, filter or attributes to judge.
  if (c === undefined || s === undefined) return NO_EVENTS;
  c.searches?.delete(op);
  const err = Number(r[1]);
  const e = searchEvent(c, id, op, s);
  const attrs = e.attrs as Attrs;
  attrs.err = err;
  e.outcome = err === 0 ? "success" : "failure";
  if (err !== 0) e.reason = reasonOf(err);
  const n = countOrUndefined(r[2]);
  if (n !== undefined) e.records = n;
  const text = r[3] ?? "";
  if (text.length > 0) attrs.detail = text;
  e.from = { raw: `${s.raw}\n${at.line}`, position: s.position };
  return [e];
}

export const slapdParser: LogParser<SlapdState> = {
  id: "slapd",
  createState: () => ({ connections: new Map() }),
  parse(rec: EnvelopeRecord, state: SlapdState, at: LineContext): readonly PartialEvent[] | null {
    const msg = rec.message;
    const m = CONN.exec(msg);
    if (m === null) return null;
    const id = Number(m[1]);
    const rest = msg.slice(m[0].length);
    if (m[2] === undefined) {
      // fd= lines: ACCEPT, TLS established, closed.
      if (rest.startsWith("closed")) {
        const c = state.connections.get(id);
        state.connections.delete(id);
        if (c?.searches === undefined || c.searches.size === 0) return NO_EVENTS;
        const out: PartialEvent[] = [];
        unfinished(c, id, "none", out);
        return out;
      }
      if (rest.startsWith("TLS established")) {
        connection(state, id).tls = true;
        return NO_EVENTS;
      }
      const a = ACCEPT.exec(rest);
      if (a === null) return null;
      remember(state, id, {
        ip: ipOrUndefined(a[1]),
        port: portOrUndefined(a[2]),
        lip: ipOrUndefined(a[3]),
        lport: portOrUndefined(a[4]),
        tls: false,
        op: -1,
        dn: undefined,
        method: undefined,
        bound: undefined,
        searches: undefined,
      });
      return NO_EVENTS;
    }
    const op = Number(m[2]);
    if (rest.startsWith("SRCH ")) return srchLine(state, id, op, rest, rec.ts, at) ? NO_EVENTS : null;
    if (rest.startsWith("SEARCH RESULT ")) {
      const r = SEARCH_RESULT.exec(rest);
      return r === null ? null : searchResult(state, id, op, r, at);
    }
    if (rest.startsWith("BIND ")) {
      const b = BIND_METHOD.exec(rest);
      if (b !== null) {
        const c = connection(state, id);
        c.op = op;
        c.dn = (b[1] ?? "").slice(0, 512);
        c.method = b[2] === "128" ? "simple" : b[2] === "163" ? "sasl" : `method_${b[2]}`;
        return NO_EVENTS;
      }
      const s = BIND_MECH.exec(rest);
      if (s !== null) {
        const c = connection(state, id);
        c.op = op;
        c.dn = (s[1] ?? "").slice(0, 512);
        c.method = (s[2] ?? "").toLowerCase();
        return NO_EVENTS;
      }
      return null;
    }
    if (rest.startsWith("RESULT tag=97 ")) {
      const r = RESULT_BIND.exec(rest);
      return r === null ? null : bindResult(state, id, op, Number(r[1]), r[2] ?? "");
    }
    if (rest.startsWith("ABANDON ")) {
      const a = ABANDON.exec(rest);
      if (a === null) return null;
      const c = state.connections.get(id);
      if (c === undefined) return NO_EVENTS;
      const out: PartialEvent[] = [];
      unfinished(c, id, "abandoned", out, Number(a[1]));
      return out;
    }
    return null;
  },
  flush(state: SlapdState): readonly PartialEvent[] {
    const out: PartialEvent[] = [];
    for (const [id, c] of state.connections) unfinished(c, id, "none", out);
    return out;
  },
};
