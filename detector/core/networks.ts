// Network facts the detections need about an address: its network (/24 for
// IPv4, /48 for IPv6: the unit attackers rent and rotate within), its ASN and
// country from an offline table, and whether it is one of ours. Pure and
// offline: no lookups leave the process.
import ipaddr from "ipaddr.js";

export interface AsnInfo {
  asn: number;
  country: string;
  name?: string;
}

export interface NetworkInfo {
  /** "203.0.113.0/24", "2001:db8:1::/48"; the address itself when it does not parse. */
  network(ip: string): string;
  asn(ip: string): AsnInfo | undefined;
  /** A stable label for "where from": the ASN when known, else the network. */
  origin(ip: string): string;
  isInternal(ip: string): boolean;
}

export interface AsnRow {
  cidr: string;
  asn: number;
  country: string;
  name?: string;
}

export const DEFAULT_INTERNAL = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
];

interface V4Range {
  start: number;
  end: number;
  info: AsnInfo;
}

function v4ToInt(a: ipaddr.IPv4): number {
  const [b0, b1, b2, b3] = a.octets as [number, number, number, number];
  return ((b0 << 24) >>> 0) + (b1 << 16) + (b2 << 8) + b3;
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4) is treated as the IPv4 address. */
function parse(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  const a = ipaddr.parse(ip);
  return a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

export function createNetworkInfo(opts: { internal?: string[]; asnTable?: AsnRow[] } = {}): NetworkInfo {
  const internal = (opts.internal ?? DEFAULT_INTERNAL).map((c) => ipaddr.parseCIDR(c));
  const v4: V4Range[] = [];
  const v6: { range: [ipaddr.IPv6, number]; info: AsnInfo }[] = [];
  for (const row of opts.asnTable ?? []) {
    const [addr, bits] = ipaddr.parseCIDR(row.cidr);
    const info: AsnInfo = { asn: row.asn, country: row.country, ...(row.name ? { name: row.name } : {}) };
    if (addr.kind() === "ipv4") {
      const start = v4ToInt(addr as ipaddr.IPv4) & (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);
      v4.push({ start: start >>> 0, end: (start >>> 0) + 2 ** (32 - bits) - 1, info });
    } else {
      v6.push({ range: [addr as ipaddr.IPv6, bits], info });
    }
  }
  // ASN tables (ip2asn-style) hold disjoint ranges: sorted by start, the only
  // candidate for an address is the last range starting at or before it.
  v4.sort((a, b) => a.start - b.start);
  const cache = new Map<string, string>();

  const network = (ip: string): string => {
    const hit = cache.get(ip);
    if (hit !== undefined) return hit;
    const a = parse(ip);
    let net = ip;
    if (a?.kind() === "ipv4") {
      const [b0, b1, b2] = (a as ipaddr.IPv4).octets;
      net = `${b0}.${b1}.${b2}.0/24`;
    } else if (a) {
      const p = (a as ipaddr.IPv6).parts;
      net = `${ipaddr.IPv6.parse(`${(p[0] ?? 0).toString(16)}:${(p[1] ?? 0).toString(16)}:${(p[2] ?? 0).toString(16)}::`).toString()}/48`;
    }
    if (cache.size > 100_000) cache.clear();
    cache.set(ip, net);
    return net;
  };

  const asn = (ip: string): AsnInfo | undefined => {
    const a = parse(ip);
    if (!a) return undefined;
    if (a.kind() === "ipv4") {
      const x = v4ToInt(a as ipaddr.IPv4);
      let lo = 0;
      let hi = v4.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if ((v4[mid] as V4Range).start <= x) lo = mid + 1;
        else hi = mid - 1;
      }
      const r = v4[hi];
      return r && x <= r.end ? r.info : undefined;
    }
    return v6.find((r) => (a as ipaddr.IPv6).match(r.range))?.info;
  };

  return {
    network,
    asn,
    origin: (ip) => {
      const info = asn(ip);
      return info ? `AS${info.asn}` : network(ip);
    },
    isInternal: (ip) => {
      const a = parse(ip);
      return a !== undefined && internal.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
    },
  };
}
