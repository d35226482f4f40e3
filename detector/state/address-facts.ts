// Network facts about a source address, looked up once per address and
// remembered: the ASN lookup and the internal check parse the address (about
// 1.5 µs each), far too slow to repeat for every auth event of the hot path.
// The cache is shared by every user of the same NetworkInfo (one per engine)
// and holds two generations of at most `CACHE_ENTRIES` addresses each: a full
// generation becomes the old one and is dropped on the next turn, so hot
// addresses survive and memory stays bounded. Pure memoization of pure
// functions: it never changes an answer.
import type { NetworkInfo } from "../core/networks.js";

export interface AddressFacts {
  internal: boolean;
  /** /24 (IPv4) or /48 (IPv6), as NetworkInfo.network. */
  network: string;
  /** 0 when the ASN table does not know the address. */
  asn: number;
  country: string;
  asName: string;
  /** "AS64501" when the ASN is known, else the network (NetworkInfo.origin). */
  origin: string;
  /** " (AS64501, JP)" or "" — ready for summaries. */
  where: string;
}

const CACHE_ENTRIES = 100_000;

class FactsCache {
  private young = new Map<string, AddressFacts>();
  private old = new Map<string, AddressFacts>();

  constructor(private readonly networks: NetworkInfo) {}

  get(ip: string): AddressFacts {
    let f = this.young.get(ip);
    if (f !== undefined) return f;
    f = this.old.get(ip) ?? this.compute(ip);
    if (this.young.size >= CACHE_ENTRIES) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(ip, f);
    return f;
  }

  private compute(ip: string): AddressFacts {
    const info = this.networks.asn(ip);
    const network = this.networks.network(ip);
    return {
      internal: this.networks.isInternal(ip),
      network,
      asn: info?.asn ?? 0,
      country: info?.country ?? "",
      asName: info?.name ?? "",
      origin: info ? `AS${info.asn}` : network,
      where: info ? ` (AS${info.asn}, ${info.country})` : "",
    };
  }
}

const caches = new WeakMap<NetworkInfo, FactsCache>();

/** The memoized facts lookup for `networks` (one cache per NetworkInfo). */
export function addressFacts(networks: NetworkInfo): (ip: string) => AddressFacts {
  let cache = caches.get(networks);
  if (!cache) {
    cache = new FactsCache(networks);
    caches.set(networks, cache);
  }
  const c = cache;
  return (ip) => c.get(ip);
}
