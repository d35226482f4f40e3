// What a detection reports (DESIGN §5): a scored, explained, evidenced
// statement about one entity in one window. Findings are pure data: the same
// events in the same order always produce the same findings, ids and scores.
import { hash } from "node:crypto";

/** Kill-chain stages, in the order an intrusion moves through them. */
export const STAGES = [
  "initial_access",
  "credential_access",
  "staging",
  "exfiltration",
  "stolen_credential_use",
  "defense_evasion",
] as const;
export type Stage = (typeof STAGES)[number];

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type EntityType =
  | "user"
  | "src_ip"
  | "src_net"
  | "asn"
  | "host"
  | "host_process"
  | "host_destination"
  | "sender"
  | "domain"
  | "principal";

export interface Finding {
  id: string;
  /** Event time at which the finding fired (ISO-8601 UTC, ms). */
  ts: string;
  detection: string;
  stage: Stage;
  entity_type: EntityType;
  entity: string;
  host?: string;
  user?: string;
  src_ip?: string;
  score: number;
  severity: Severity;
  observed: number;
  expected: number;
  window_start: string;
  window_end: string;
  /** Ids of the events that show it (capped; the first ones of the window). */
  evidence: string[];
  /** One sentence an on-call engineer can act on. */
  summary: string;
  details?: Record<string, string | number | boolean>;
}

export const MAX_EVIDENCE = 50;

/** Deterministic: the same detection, entity and window always get the same id. */
export function findingId(detection: string, entity: string, windowStart: number): string {
  return hash("sha256", `${detection}\u0000${entity}\u0000${windowStart}`).slice(0, 32);
}

/** Severity bands of the 0–100 score (the same bands for every detection). */
export function severityOf(score: number): Severity {
  if (score >= 90) return "critical";
  if (score >= 70) return "high";
  if (score >= 40) return "medium";
  return "low";
}

/**
 * Maps "how far above expectation" to 0–100: `base` at the threshold, rising
 * with the log of the excess and capped. Deterministic and monotonic, so
 * bigger anomalies always rank higher.
 */
export function scoreAbove(observed: number, threshold: number, base: number, max = 99): number {
  if (observed < threshold || threshold <= 0) return Math.min(max, base);
  const excess = Math.log2(observed / threshold);
  return Math.min(max, Math.round(base + 12 * excess));
}

export const iso = (ms: number): string => new Date(ms).toISOString();
