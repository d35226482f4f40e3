// Helpers shared by the benign-noise generators.
import type { LabelEntities, NoiseLabel, Sim } from "../context.js";
import { iso } from "../formats/time.js";
import { networkOf } from "../networks.js";

export function cidrOf(ip: string): string {
  return networkOf(ip)?.cidr ?? `${ip}/32`;
}

export function noiseLabel(
  noise: string,
  start: number,
  end: number,
  description: string,
  evidence: string[],
  resembles: string[],
  e: LabelEntities,
): NoiseLabel {
  return { noise, start: iso(start), end: iso(end), description, evidence, resembles, entities: e };
}

/** The local-midnight-aligned start of the run's day `d` (UTC+9 → 15:00 UTC the day before). */
export function localDayStart(sim: Sim, d: number): number {
  const dayMs = 86_400_000;
  const first = Math.floor((sim.start + 9 * 3_600_000) / dayMs) * dayMs - 9 * 3_600_000;
  return first + d * dayMs;
}
