// Helpers for detection tests: compact event builders and a runner that feeds
// events through the real engine (reorder buffer, enrichers, dedup) and
// returns the findings. Named without `.test` so the runner does not load it.
import type { MailEvent } from "../../events/event.js";
import { eventId } from "../../events/event.js";
import type { AnyDetection } from "../core/detection.js";
import { DetectorEngine } from "../core/engine.js";
import type { Finding } from "../core/finding.js";
import { type AsnRow, createNetworkInfo } from "../core/networks.js";

export const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** A small ASN table for tests: two ISPs' home networks and two hostile hosters. */
export const TEST_ASNS: AsnRow[] = [
  { cidr: "198.51.100.0/24", asn: 64501, country: "JP", name: "Home ISP A" },
  { cidr: "192.0.2.0/24", asn: 64502, country: "JP", name: "Mobile ISP B" },
  { cidr: "203.0.113.0/24", asn: 64666, country: "NL", name: "Bulletproof Hosting" },
  { cidr: "100.64.0.0/10", asn: 64777, country: "US", name: "Cloud C" },
];

let seq = 0;
export function ev(at: number, fields: Partial<MailEvent> & Pick<MailEvent, "kind" | "action" | "outcome">): MailEvent {
  seq += 1;
  const host = fields.host ?? "imap1";
  return {
    id: eventId(host, "test", seq, JSON.stringify(fields)),
    ts: new Date(at).toISOString(),
    host,
    source: "dovecot",
    ...fields,
  };
}

/** A failed login as the Dovecot login process summarizes it (counts `attempts`). */
export function fail(at: number, user: string, ip: string, attempts = 1, extra: Partial<MailEvent> = {}): MailEvent {
  return ev(at, {
    kind: "auth",
    action: "auth_failure",
    outcome: "failure",
    user,
    src_ip: ip,
    proto: "imap",
    attrs: { stage: "login", attempts },
    ...extra,
  });
}

export function login(at: number, user: string, ip: string, extra: Partial<MailEvent> = {}): MailEvent {
  return ev(at, {
    kind: "auth",
    action: "login",
    outcome: "success",
    user,
    src_ip: ip,
    proto: "imap",
    attrs: { stage: "login" },
    ...extra,
  });
}

/** Runs `detection` (defaults merged with `overrides`) over `events` in order; returns every finding. */
export function run(detection: AnyDetection, events: MailEvent[], overrides: object = {}): Finding[] {
  const engine = new DetectorEngine({
    detections: [{ detection, config: detection.config.parse({ ...detection.defaults, ...overrides }) }],
    ctx: { networks: createNetworkInfo({ asnTable: TEST_ASNS }) },
    allowedLatenessMs: 0,
    idleEvictionMs: 30 * DAY,
  });
  const out: Finding[] = [];
  for (const e of events) out.push(...engine.ingest(e));
  out.push(...engine.flush());
  return out;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
