// Small, allocation-light helpers the parsers share for values taken from log
// lines. Everything that reaches an event field goes through one of these, so
// a malformed or hostile value is dropped rather than passed on.
import { isIP } from "node:net";

/** The address if `s` is a literal IPv4/IPv6 address, else undefined. */
export function ipOrUndefined(s: string | undefined): string | undefined {
  if (s === undefined || s.length === 0 || s.length > 64) return undefined;
  return isIP(s) === 0 ? undefined : s;
}

/** A TCP/UDP port from decimal text, else undefined. */
export function portOrUndefined(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0 || s.length > 5) return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/** A non-negative integer from decimal text, else undefined. */
export function countOrUndefined(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0 || s.length > 9) return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
