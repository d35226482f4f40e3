// Helpers shared by the attack generators: labels, attacker address pools.
import type { AttackLabel, LabelEntities, Stage } from "../context.js";
import { iso } from "../formats/time.js";
import { addressIn, type Network, networksOf } from "../networks.js";
import type { Rng } from "../rng.js";

export function attackLabel(
  attack: string,
  scenario: string,
  stage: Stage,
  start: number,
  end: number,
  description: string,
  evidence: string[],
  e: LabelEntities,
  extra: { records?: number; bytes?: number } = {},
): AttackLabel {
  const l: AttackLabel = {
    attack,
    scenario,
    stage,
    start: iso(start),
    end: iso(end),
    description,
    evidence,
    entities: e,
  };
  if (extra.records !== undefined) l.records = extra.records;
  if (extra.bytes !== undefined) l.bytes = extra.bytes;
  return l;
}

/** `count` distinct addresses spread over the given networks. */
export function addressPool(rng: Rng, nets: readonly Network[], count: number): string[] {
  const out = new Set<string>();
  let guard = 0;
  while (out.size < count && guard++ < count * 20) {
    const n = nets[rng.int(nets.length)];
    if (n === undefined) break;
    out.add(addressIn(n.cidr, rng.u32()));
  }
  return [...out];
}

export function hostingNetworks(): Network[] {
  return networksOf("hosting").filter((n) => !n.cidr.startsWith("203.0.113."));
}

/** Accumulates times and entities of one stage as the generator goes. */
export class StageTrace {
  first = Number.NaN;
  last = Number.NaN;
  readonly accounts = new Set<string>();
  readonly ips = new Set<string>();
  count = 0;

  hit(ts: number, account?: string, ip?: string): void {
    if (Number.isNaN(this.first) || ts < this.first) this.first = ts;
    if (Number.isNaN(this.last) || ts > this.last) this.last = ts;
    if (account !== undefined) this.accounts.add(account);
    if (ip !== undefined) this.ips.add(ip);
    this.count++;
  }

  get empty(): boolean {
    return Number.isNaN(this.first);
  }
}
