// The simulated Internet: a fixed table of address blocks with a made-up
// ASN / organisation / country mapping. It is exported as DIR/networks.json so
// that a detector (or a test) can enrich simulated addresses the way the real
// offline IP → ASN / country data would enrich real ones.
//
// The blocks are arbitrary public /16s chosen for this table; the mapping is
// fiction and says nothing about who really holds them. ASNs come from the
// private-use range (64512–65534) so they cannot be mistaken for real ones;
// the platform itself uses 64496 (reserved for documentation, RFC 5398).
// Attacker infrastructure that must be unmistakably fake sits in the
// documentation ranges 203.0.113.0/24 and 198.51.100.0/24 (RFC 5737).

export type NetworkKind =
  | "platform" // the mail platform's own addresses
  | "residential" // home broadband (subscribers' home networks)
  | "mobile" // mobile carriers (CGNAT pools)
  | "roaming" // foreign residential / mobile networks seen when users travel
  | "hosting" // VPS / cloud / bulletproof hosting (attackers, some partners)
  | "partner"; // known third parties: offsite backup, monitoring, mail relays

export interface Network {
  cidr: string;
  asn: number;
  org: string;
  country: string;
  kind: NetworkKind;
}

const net = (cidr: string, asn: number, org: string, country: string, kind: NetworkKind): Network => ({
  cidr,
  asn,
  org,
  country,
  kind,
});

/** The platform's public service addresses (MX, submission, IMAP, webmail VIPs). */
export const PLATFORM_PUBLIC = "192.0.2.0/24";
/** The platform's back-end network (LDAP, DB, backup, bastion). */
export const PLATFORM_INTERNAL = "10.20.0.0/16";

export const NETWORKS: readonly Network[] = [
  net(PLATFORM_PUBLIC, 64496, "Example Mail Platform", "JP", "platform"),
  net(PLATFORM_INTERNAL, 64496, "Example Mail Platform (internal)", "JP", "platform"),
  // Domestic broadband: where subscribers live.
  net("60.70.0.0/16", 64600, "Sakura Hikari Broadband", "JP", "residential"),
  net("60.71.0.0/16", 64600, "Sakura Hikari Broadband", "JP", "residential"),
  net("61.112.0.0/16", 64601, "Kanto Cable Net", "JP", "residential"),
  net("114.160.0.0/16", 64602, "Nihon FTTH", "JP", "residential"),
  net("114.161.0.0/16", 64602, "Nihon FTTH", "JP", "residential"),
  net("118.240.0.0/16", 64603, "Kansai Fiber", "JP", "residential"),
  net("122.196.0.0/16", 64604, "Tohoku Net Service", "JP", "residential"),
  net("125.204.0.0/16", 64605, "Kyushu Broadband", "JP", "residential"),
  net("153.200.0.0/16", 64606, "Hokkaido Access", "JP", "residential"),
  net("180.30.0.0/16", 64607, "Chubu Communications", "JP", "residential"),
  // Domestic mobile carriers.
  net("49.96.0.0/16", 64620, "Fuji Mobile", "JP", "mobile"),
  net("49.97.0.0/16", 64620, "Fuji Mobile", "JP", "mobile"),
  net("106.128.0.0/16", 64621, "Tsubame Wireless", "JP", "mobile"),
  net("126.200.0.0/16", 64622, "Kaze Mobile", "JP", "mobile"),
  // Abroad: where travelling users show up.
  net("73.160.0.0/16", 64700, "Pacific Cable Co", "US", "roaming"),
  net("79.200.0.0/16", 64701, "Rheinland Telekom", "DE", "roaming"),
  net("86.240.0.0/16", 64702, "Hexagone Telecom", "FR", "roaming"),
  net("121.160.0.0/16", 64703, "Han River Broadband", "KR", "roaming"),
  net("1.46.0.0/16", 64704, "Siam Mobile", "TH", "roaming"),
  net("101.160.0.0/16", 64705, "Southern Cross Net", "AU", "roaming"),
  // Hosting: VPS and residential-proxy networks attackers rent.
  net("45.140.0.0/16", 64800, "Nordic VPS Hosting", "NL", "hosting"),
  net("91.240.0.0/16", 64801, "Volga Datacenter", "RU", "hosting"),
  net("103.140.0.0/16", 64802, "Mekong Cloud", "VN", "hosting"),
  net("185.220.0.0/16", 64803, "Anon Transit Ltd", "SC", "hosting"),
  net("193.32.0.0/16", 64804, "Balkan Servers", "RS", "hosting"),
  net("5.188.0.0/16", 64805, "Baltic Host", "LV", "hosting"),
  net("177.54.0.0/16", 64806, "Pampa Telecom Residential", "BR", "hosting"),
  net("190.100.0.0/16", 64807, "Andes Net Residential", "CL", "hosting"),
  net("112.80.0.0/16", 64808, "Great Wall IDC", "CN", "hosting"),
  net("36.90.0.0/16", 64809, "Nusantara Broadband", "ID", "hosting"),
  net("41.200.0.0/16", 64810, "Sahel Net", "DZ", "hosting"),
  net("95.160.0.0/16", 64811, "Vistula Cable", "PL", "hosting"),
  net("203.0.113.0/24", 64990, "Offshore Bulletproof Hosting", "BZ", "hosting"),
  // Partners: the offsite backup provider, the external monitoring service, mail peers.
  net("198.51.100.0/25", 64900, "Archive Vault Storage (offsite backup)", "JP", "partner"),
  net("198.51.100.128/25", 64901, "UptimeWatch Monitoring", "JP", "partner"),
  net("64.233.0.0/16", 64910, "Big Free Mail Inc.", "US", "partner"),
  net("40.92.0.0/16", 64911, "Cloud Office Mail", "US", "partner"),
  net("210.140.0.0/16", 64912, "Domestic Webmail KK", "JP", "partner"),
];

export function networksOf(kind: NetworkKind): Network[] {
  return NETWORKS.filter((n) => n.kind === kind);
}

export function networkByCidr(cidr: string): Network {
  const n = NETWORKS.find((x) => x.cidr === cidr);
  if (n === undefined) throw new Error(`no simulated network ${cidr}`);
  return n;
}

function ipv4ToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

export function intToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** First address and size of an IPv4 CIDR block. */
export function cidrRange(cidr: string): { base: number; size: number } {
  const [addr, bits] = cidr.split("/");
  const b = Number(bits);
  const size = 2 ** (32 - b);
  return { base: (ipv4ToInt(addr ?? "0.0.0.0") & ~(size - 1)) >>> 0, size };
}

/** A host address in `cidr` chosen by `k` (any non-negative integer): never .0 or .255. */
export function addressIn(cidr: string, k: number): string {
  const { base, size } = cidrRange(cidr);
  let off = k % size;
  let ip = (base + off) >>> 0;
  let last = ip & 255;
  if (last === 0 || last === 255) {
    off = (off + 7) % size;
    ip = (base + off) >>> 0;
    last = ip & 255;
    if (last === 0 || last === 255) ip = (base + 1) >>> 0;
  }
  return intToIpv4(ip);
}

/** The simulated network an IPv4 address belongs to (the most specific), or undefined. */
export function networkOf(ip: string): Network | undefined {
  const n = ipv4ToInt(ip);
  let best: Network | undefined;
  let bestSize = Number.POSITIVE_INFINITY;
  for (const net of NETWORKS) {
    const { base, size } = cidrRange(net.cidr);
    if (n >= base && n < base + size && size < bestSize) {
      best = net;
      bestSize = size;
    }
  }
  return best;
}

/** DIR/networks.json: cidr → { asn, org, country, kind }. */
export function networksJson(): string {
  const out: Record<string, { asn: number; org: string; country: string; kind: NetworkKind }> = {};
  for (const n of NETWORKS) out[n.cidr] = { asn: n.asn, org: n.org, country: n.country, kind: n.kind };
  return `${JSON.stringify(out, null, 2)}\n`;
}
