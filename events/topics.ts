// Kafka topics of the pipeline and the partition key of each (DESIGN §4).
import type { EventKind, MailEvent } from "./event.js";

export const TOPIC_PREFIX = "mailwarden";

export const EVENT_TOPICS: Record<EventKind, string> = {
  auth: `${TOPIC_PREFIX}.events.auth`,
  cred_access: `${TOPIC_PREFIX}.events.cred`,
  net: `${TOPIC_PREFIX}.events.net`,
  mail_out: `${TOPIC_PREFIX}.events.mail_out`,
  agent: `${TOPIC_PREFIX}.events.agent`,
};
export const ALERTS_TOPIC = `${TOPIC_PREFIX}.alerts`;
export const DEADLETTER_TOPIC = `${TOPIC_PREFIX}.deadletter`;

/**
 * Partition key per topic. The state a detection keeps must live on one
 * partition, so the key is the entity the first-stage state is keyed by:
 * - auth: the account (takeover, per-account rarity and slow distributed
 *   guessing are per user; per-source detections re-key through a
 *   repartition topic);
 * - cred / net / agent: the host (baselines are per host and host×process);
 * - mail_out: the sender.
 * An event without its key entity falls back to the host.
 */
export function partitionKey(e: MailEvent): string {
  switch (e.kind) {
    case "auth":
      return e.user ? `u:${e.user.toLowerCase()}` : `h:${e.host}`;
    case "mail_out":
      return e.user ? `s:${e.user.toLowerCase()}` : `h:${e.host}`;
    default:
      return `h:${e.host}`;
  }
}

/**
 * Internal topics of the detector. Auth events are produced keyed by account;
 * detections keyed by source network or mail domain read them again from a
 * repartition topic with that key, so their state is never shared between
 * detector instances. Findings of every instance meet on one partition, where
 * the correlator turns them into incidents.
 */
export const REPARTITION_TOPICS = {
  source: `${TOPIC_PREFIX}.repartition.source`,
  domain: `${TOPIC_PREFIX}.repartition.domain`,
} as const;
export const FINDINGS_TOPIC = `${TOPIC_PREFIX}.findings`;

export const ALL_TOPICS = [
  ...Object.values(EVENT_TOPICS),
  ALERTS_TOPIC,
  DEADLETTER_TOPIC,
  ...Object.values(REPARTITION_TOPICS),
  FINDINGS_TOPIC,
];
