// OpenLDAP slapd simple/SASL binds → auth events (action "bind"). slapd logs a
// bind over several lines of one connection, so this parser keeps per-stream
// state keyed by connection number:
//   conn=1009 fd=12 ACCEPT from IP=192.0.2.1:46050 (IP=0.0.0.0:389)     → remember the peer
//   conn=1009 fd=12 TLS established tls_ssf=256 ssf=256                 → remember TLS
//   conn=1009 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=com" method=128  → remember the dn
//   conn=1009 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=com" mech=SIMPLE bind_ssf=0 ssf=0 (success only)
//   conn=1009 op=0 RESULT tag=97 err=49 text=                            → emit: failure for that dn from that peer
//   conn=1009 op=0 RESULT tag=97 err=0 qtime=0.000022 etime=0.000203 text=  → emit: success
//   conn=1009 fd=12 closed (connection lost)                             → forget the connection
// Anonymous binds (empty dn) and SASL in-progress results (err=14) emit nothing.
//
// Counting: a failed bind is one attempt (`attrs.attempts = 1`, stage "bind").
// Bounded memory: at most MAX_CONNECTIONS connections are tracked; past that
// the oldest is dropped (its later RESULT then lacks peer and dn), and a
// connection's state is dropped on "closed".
//
// Hostile input: the dn is the client's. It is read between `dn="` and the LAST
// `" method=N` / `" mech=...` that ends the line; the peer address comes only
// from the ACCEPT line, which the client cannot write into.

import { ipOrUndefined, portOrUndefined } from "./fields.js";
import { type Attrs, type AuthParser, type EnvelopeRecord, NO_EVENTS, type PartialEvent } from "./types.js";

export const MAX_CONNECTIONS = 50_000;

interface Connection {
  ip: string | undefined;
  port: number | undefined;
  lip: string | undefined;
  lport: number | undefined;
  tls: boolean;
  op: number;
  dn: string | undefined;
  method: string | undefined;
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
    default:
      return `ldap_error_${err}`;
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

export const slapdParser: AuthParser<SlapdState> = {
  id: "slapd",
  createState: () => ({ connections: new Map() }),
  parse(rec: EnvelopeRecord, state: SlapdState): readonly PartialEvent[] | null {
    const msg = rec.message;
    const m = CONN.exec(msg);
    if (m === null) return null;
    const id = Number(m[1]);
    const rest = msg.slice(m[0].length);
    if (m[2] === undefined) {
      // fd= lines: ACCEPT, TLS established, closed.
      if (rest.startsWith("closed")) {
        state.connections.delete(id);
        return NO_EVENTS;
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
      });
      return NO_EVENTS;
    }
    const op = Number(m[2]);
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
    return null;
  },
};
