// Networks as forensics needs them: an ASN named by the operator becomes the
// prefixes the ASN table lists for it, and an attacker's address widens to the
// network it came from (its ASN table prefix, else its /24 or /48), because
// attackers rotate addresses inside what they rent.
import ipaddr from "ipaddr.js";
import { type AsnRow, createNetworkInfo, DEFAULT_INTERNAL } from "../core/networks.js";
import { readAsnTable } from "../service/networks-config.js";
import { InputError, MAX_NETWORKS, type NetworkSpec } from "./input.js";

export interface ForensicsNetworks {
  /** The detector's offline ASN table (`detector.networks.asnTable`); may be empty. */
  asnTable: AsnRow[];
  /** Our own networks (`detector.networks.internal`): never an attacker's. */
  internal: string[];
}

export const NO_NETWORK_FACTS: ForensicsNetworks = { asnTable: [], internal: DEFAULT_INTERNAL };

/** The CIDRs of the given networks; an ASN missing from the table is an input error. */
export function cidrsOf(specs: NetworkSpec[], nets: ForensicsNetworks): string[] {
  const out = new Set<string>();
  for (const s of specs) {
    if ("cidr" in s) {
      out.add(s.cidr);
      continue;
    }
    const rows = nets.asnTable.filter((r) => r.asn === s.asn);
    if (rows.length === 0) {
      throw new InputError(`network: AS${s.asn} is not in the ASN table (detector.networks.asnTable); give its CIDRs`);
    }
    for (const r of rows) out.add(r.cidr);
  }
  if (out.size > MAX_NETWORKS) throw new InputError(`network: at most ${MAX_NETWORKS} prefixes, got ${out.size}`);
  return [...out];
}

const contains = (cidr: string, a: ipaddr.IPv4 | ipaddr.IPv6): boolean => {
  const [net, bits] = ipaddr.parseCIDR(cidr);
  return net.kind() === a.kind() && a.match(net, bits);
};

/** Where an address came from: its ASN table prefix, else its /24 (IPv4) or /48 (IPv6); undefined when internal or not an address. */
export function attackerNetworkOf(ip: string, nets: ForensicsNetworks): string | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  const a = ipaddr.process(ip);
  if (nets.internal.some((c) => contains(c, a))) return undefined;
  const row = nets.asnTable.find((r) => contains(r.cidr, a));
  return row ? row.cidr : createNetworkInfo().network(a.toString());
}

/** The detector's network facts from its configuration (`detector.networks`). */
export function networksFromConfig(cfg: {
  internal?: string[] | undefined;
  asnTable?: string | undefined;
}): ForensicsNetworks {
  return {
    asnTable: cfg.asnTable ? readAsnTable(cfg.asnTable) : [],
    internal: cfg.internal ?? DEFAULT_INTERNAL,
  };
}
