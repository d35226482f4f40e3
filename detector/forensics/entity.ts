// The entity a forensic question is about, and the SQL conditions that select
// its events and findings. Conditions are constant text with the values as
// query parameters ({name:Type}); nothing a user typed is ever part of the SQL.
import ipaddr from "ipaddr.js";
import type { QueryParams } from "../api/sql.js";
import { InputError, parseIp, parseName, parseNetwork } from "./input.js";
import { cidrsOf, type ForensicsNetworks } from "./networks.js";

export type Entity =
  | { kind: "host"; value: string }
  | { kind: "user"; value: string }
  | { kind: "ip"; value: string }
  | { kind: "network"; cidrs: string[] };

/** The entity of a timeline request: exactly one of host, user, ip, network (CIDRs or ASNs). */
export function parseEntity(
  q: { host?: string | undefined; user?: string | undefined; ip?: string | undefined; network?: string[] | undefined },
  nets: ForensicsNetworks,
): Entity {
  const given = (["host", "user", "ip", "network"] as const).filter((k) => q[k] !== undefined);
  if (given.length !== 1) throw new InputError("give exactly one of host, user, ip, network");
  if (q.host !== undefined) return { kind: "host", value: parseName(q.host, "host") };
  if (q.user !== undefined) return { kind: "user", value: parseName(q.user, "user") };
  if (q.ip !== undefined) return { kind: "ip", value: parseIp(q.ip) };
  return { kind: "network", cidrs: cidrsOf((q.network ?? []).map(parseNetwork), nets) };
}

export interface Condition {
  sql: string;
  params: QueryParams;
}

/**
 * A text prefix every address of the CIDR starts with ("45.140." for
 * 45.140.0.0/16): a condition on the sorting key of the by-address
 * projection, so a network scan reads only its range. The exact test follows.
 */
function textPrefix(cidr: string): string | undefined {
  const [addr, bits] = ipaddr.parseCIDR(cidr);
  if (addr.kind() !== "ipv4" || bits < 8) return undefined;
  return `${(addr as ipaddr.IPv4).octets.slice(0, Math.floor(bits / 8)).join(".")}.`;
}

/** `column` holds an address inside one of the CIDRs; non-addresses (empty, hostnames) never match. */
export function inNetworks(column: "src_ip" | "dst_ip", cidrs: string[]): Condition {
  const params: QueryParams = { cidrs };
  const exact = `if(isIPv4String(${column}) OR isIPv6String(${column}),
    arrayExists(c -> isIPAddressInRange(${column}, c), {cidrs:Array(String)}), 0)`;
  const prefixes = cidrs.map(textPrefix);
  if (prefixes.some((p) => p === undefined)) return { sql: exact, params };
  const hint = prefixes.map((p, i) => {
    params[`${column}_p${i}`] = p;
    return `startsWith(${column}, {${column}_p${i}:String})`;
  });
  return { sql: `(${hint.join(" OR ")}) AND ${exact}`, params };
}

/**
 * Conditions on `events`, one per UNION ALL branch: an address is matched as
 * source and as destination in separate branches so that each uses its own
 * index (the by-address projection, the destination bloom filter).
 */
export function eventBranches(e: Entity): Condition[] {
  switch (e.kind) {
    case "host":
      return [{ sql: "host = {v:String}", params: { v: e.value } }];
    case "user":
      return [{ sql: "user = {v:String}", params: { v: e.value } }];
    case "ip":
      return [
        { sql: "src_ip = {v:String}", params: { v: e.value } },
        { sql: "dst_ip = {v:String} AND src_ip != {v:String}", params: { v: e.value } },
      ];
    case "network": {
      const src = inNetworks("src_ip", e.cidrs);
      const dst = inNetworks("dst_ip", e.cidrs);
      return [src, { sql: `${dst.sql} AND NOT (${src.sql})`, params: { ...src.params, ...dst.params } }];
    }
  }
}

/** The condition on `findings` for findings about the entity. */
export function findingCondition(e: Entity): Condition {
  switch (e.kind) {
    case "host":
      return { sql: "host = {v:String}", params: { v: e.value } };
    case "user":
      return { sql: "(user = {v:String} OR entity = {v:String})", params: { v: e.value } };
    case "ip":
      return { sql: "(src_ip = {v:String} OR entity = {v:String})", params: { v: e.value } };
    case "network": {
      const src = inNetworks("src_ip", e.cidrs);
      return { sql: `(${src.sql} OR entity IN {cidrs:Array(String)})`, params: src.params };
    }
  }
}

/** `ts` inside an optional [from, to) range. */
export function timeConditions(range: { from?: number; to?: number }): Condition[] {
  const out: Condition[] = [];
  if (range.from !== undefined) {
    out.push({ sql: "ts >= fromUnixTimestamp64Milli({from:Int64})", params: { from: range.from } });
  }
  if (range.to !== undefined) out.push({ sql: "ts < fromUnixTimestamp64Milli({to:Int64})", params: { to: range.to } });
  return out;
}

/** Conditions joined with AND, their parameters merged. */
export function allOf(conditions: Condition[]): Condition {
  return {
    sql: conditions.length === 0 ? "1" : conditions.map((c) => `(${c.sql})`).join(" AND "),
    params: Object.assign({}, ...conditions.map((c) => c.params)),
  };
}
