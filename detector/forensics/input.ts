// What forensics accepts from a user (CLI flags, API query strings), checked
// before anything reaches SQL: addresses, networks, times, ids and names are
// parsed here and only their parsed form is passed on as query parameters.
// A bad value is an InputError: exit 2 on the CLI, 400 in the API.
import ipaddr from "ipaddr.js";

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** Longest entity value accepted (the events schema caps user names at 512). */
export const MAX_VALUE = 512;
export const MAX_NETWORKS = 64;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const ID = /^[0-9a-f]{32}$/;
const ASN = /^(?:AS)?(\d{1,10})$/i;

const shown = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

/** An ISO-8601 date or date-time; a date-time without a zone is UTC. Returns ms since the epoch. */
export function parseTime(raw: string, what: string): number {
  const s = raw.trim();
  const ms = ISO_TIME.test(s)
    ? Date.parse(/[T ]\d{2}:\d{2}/.test(s) && !/(Z|[+-]\d{2}:?\d{2})$/.test(s) ? `${s}Z` : s)
    : NaN;
  if (!Number.isFinite(ms)) {
    throw new InputError(`${what}: ${shown(raw)} is not a time (expected ISO-8601, e.g. 2026-05-16T00:00:00Z)`);
  }
  return ms;
}

/** An optional [from, to) range; an empty or inverted range is an error. */
export function parseRange(from: string | undefined, to: string | undefined): { from?: number; to?: number } {
  const f = from === undefined ? undefined : parseTime(from, "from");
  const t = to === undefined ? undefined : parseTime(to, "to");
  if (f !== undefined && t !== undefined && f >= t) throw new InputError("from must be before to");
  return { ...(f === undefined ? {} : { from: f }), ...(t === undefined ? {} : { to: t }) };
}

/** An IPv4 or IPv6 address, in the text form the collectors store (IPv6 lower case, compressed). */
export function parseIp(raw: string): string {
  const s = raw.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return s;
  if (s.includes(":") && ipaddr.IPv6.isValid(s)) return ipaddr.IPv6.parse(s).toString();
  throw new InputError(`ip: ${shown(raw)} is not an IP address`);
}

/** A CIDR, normalized to its network address ("45.140.7.9/16" → "45.140.0.0/16"). */
export function parseCidr(raw: string): string {
  const s = raw.trim();
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(s);
  } catch {
    throw new InputError(`network: ${shown(raw)} is not a CIDR (e.g. 203.0.113.0/24) or an ASN (e.g. AS64500)`);
  }
  const [addr, bits] = parsed;
  if (addr.kind() === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(s.split("/")[0] ?? "")) {
    throw new InputError(`network: ${shown(raw)} is not a CIDR (IPv4 needs four decimal parts)`);
  }
  const network =
    addr.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(s) : ipaddr.IPv6.networkAddressFromCIDR(s);
  return `${network.toString()}/${bits}`;
}

export type NetworkSpec = { cidr: string } | { asn: number };

/** A network as an operator names it: a CIDR or an autonomous system ("AS64500" or "64500"). */
export function parseNetwork(raw: string): NetworkSpec {
  const m = ASN.exec(raw.trim());
  if (m) {
    const asn = Number(m[1]);
    if (asn > 4_294_967_295) throw new InputError(`network: ${shown(raw)} is not an ASN (at most 4294967295)`);
    return { asn };
  }
  return { cidr: parseCidr(raw) };
}

/** A host or account name: non-empty, bounded, no control characters. */
export function parseName(raw: string, what: string): string {
  if (raw.length === 0 || raw.length > MAX_VALUE || /\p{Cc}/u.test(raw)) {
    throw new InputError(`${what}: expected 1 to ${MAX_VALUE} printable characters, got ${shown(raw)}`);
  }
  return raw;
}

/** A finding or incident id: 32 lowercase hex characters. */
export function parseId(raw: string, what: string): string {
  if (!ID.test(raw)) throw new InputError(`${what}: ${shown(raw)} is not an id (32 lowercase hex characters)`);
  return raw;
}

export function parseLimit(raw: string | number, max: number): number {
  const n = typeof raw === "number" ? raw : /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new InputError(`limit: expected 1 to ${max}, got ${shown(String(raw))}`);
  return n;
}
