// The shape of a detection (STYLE: Elastic rules / Sigma): a named unit with
// its rationale, ATT&CK mapping, false positives, triage text, defaults and a
// factory for its per-entity state. Detections are pure: they import nothing
// from Kafka, ClickHouse or HTTP, read time only from events, and return
// findings.
import type { z } from "zod";
import type { EventKind, MailEvent } from "../../events/event.js";
import type { Finding, Stage } from "./finding.js";
import type { NetworkInfo } from "./networks.js";

/**
 * Which entity a detection's state is keyed by. Events reach a detector
 * instance partitioned by this key (DESIGN §4): auth events are produced
 * keyed by user, so `source` and `domain` keyed detections read them through
 * a repartition topic.
 */
export type StateKey = "user" | "source" | "domain" | "host" | "sender";

export interface DetectionContext {
  networks: NetworkInfo;
  /**
   * Seed of the hashed state (approximate sets, compact tables). Instances of
   * one deployment share it, so a scaled-out detector counts exactly as one
   * process would; default random.
   */
  seed?: number;
}

export interface DetectionInstance {
  /** One event, in event-time order per key. `now` is the event's time (ms). */
  onEvent(e: MailEvent, now: number): Finding[];
  /** The watermark moved to `now` (ms): time-driven findings (silence, closed windows). */
  onTime?(now: number): Finding[];
  /** Forgets entities idle since before `before` (ms); returns how many. */
  evict(before: number): number;
  /** Entities currently tracked. */
  size(): number;
  snapshot(): unknown;
  restore(state: unknown): void;
}

/**
 * Per-account context a source-keyed detection needs (e.g. "is this network
 * new for this account?") is computed where the account's events are, and
 * travels on the event as attributes to the stage keyed by source.
 */
export interface Enricher {
  /** Adds attributes to `e` (in place) from, and into, this key's state. */
  onEvent(e: MailEvent, now: number): void;
  evict(before: number): number;
  size(): number;
  snapshot(): unknown;
  restore(state: unknown): void;
}

export interface Detection<C = unknown> {
  id: string;
  title: string;
  stage: Stage;
  /** MITRE ATT&CK technique ids. */
  attack: string[];
  /** What it catches and why it matters, for the docs and the alert. */
  rationale: string;
  /** Known benign causes, shown to the on-call engineer. */
  falsePositives: string[];
  /** First steps of triage and response. */
  triage: string;
  /** Baselined per entity, or a rule with fixed thresholds. */
  method: "baseline" | "rule";
  kinds: EventKind[];
  key: StateKey;
  config: z.ZodType<C>;
  defaults: C;
  create(cfg: C, ctx: DetectionContext): DetectionInstance;
  /** Optional first stage on another key (always `user` today), run before any detection sees the event. */
  enrich?: { key: StateKey; create(cfg: C, ctx: DetectionContext): Enricher };
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds detections of every config type
export type AnyDetection = Detection<any>;
