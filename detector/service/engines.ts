// How a deployment's detection engines are set up, shared by the service and
// the in-process pipeline: the detections of the config, the hash seed every
// instance shares, which state keys each of the two detection stages runs and
// what the first passes on to the second.
import type { DetectorConfig } from "../../config/roles.js";
import type { MailEvent } from "../../events/event.js";
import type { StateKey } from "../core/detection.js";
import type { EngineOptions } from "../core/engine.js";
import type { NetworkInfo } from "../core/networks.js";
import { hash32 } from "../state/compact-table.js";
import { configuredDetections } from "./detections-config.js";

/** The first stage: the collectors' topics, keyed by account, host or sender. */
export const EVENT_KEYS: StateKey[] = ["user", "host", "sender"];
/** The second stage: auth events re-keyed by source origin and mail domain. */
export const REPARTITION_KEYS: StateKey[] = ["source", "domain"];

export function engineOptions(
  d: DetectorConfig["detector"],
  networks: NetworkInfo,
): Omit<EngineOptions, "keys" | "onRelease"> {
  return {
    detections: configuredDetections(d.detections, d.disabled),
    // Every instance of this deployment hashes alike (see DetectionContext).
    ctx: { networks, seed: d.hashSeed ?? hash32(d.groupId, 0) },
    allowedLatenessMs: d.allowedLatenessSeconds * 1000,
    idleEvictionMs: d.idleEvictionDays * 86_400_000,
  };
}

/**
 * The second stage's copies of an event: auth events, once per key they
 * carry (the source address, the account), each for that key's detections.
 */
export function repartitionCopies(e: MailEvent): { key: "source" | "domain"; entity: string }[] {
  if (e.kind !== "auth") return [];
  const copies: { key: "source" | "domain"; entity: string }[] = [];
  if (e.src_ip) copies.push({ key: "source", entity: e.src_ip });
  if (e.user) copies.push({ key: "domain", entity: e.user });
  return copies;
}
