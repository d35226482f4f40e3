// Kafka topics of the pipeline and the partition key of each (DESIGN §4).
import type { EventKind, MailEvent } from "./event.js";

export const DEFAULT_TOPIC_PREFIX = "mailwarden";

/**
 * The pipeline's topic names under one prefix (`kafka.topicPrefix`): several
 * deployments — production and staging, or a demo run — can share a cluster
 * without reading each other's events.
 *
 * Auth events are produced keyed by account; detections keyed by source
 * network or mail domain read them again from a repartition topic with that
 * key, so their state is never shared between detector instances. Findings of
 * every instance meet on one partition, where the correlator turns them into
 * incidents.
 */
export function topicsFor(prefix = DEFAULT_TOPIC_PREFIX) {
  const events: Record<EventKind, string> = {
    auth: `${prefix}.events.auth`,
    cred_access: `${prefix}.events.cred`,
    net: `${prefix}.events.net`,
    mail_out: `${prefix}.events.mail_out`,
    agent: `${prefix}.events.agent`,
  };
  const repartition = { source: `${prefix}.repartition.source`, domain: `${prefix}.repartition.domain` } as const;
  const alerts = `${prefix}.alerts`;
  const deadletter = `${prefix}.deadletter`;
  const findings = `${prefix}.findings`;
  return {
    events,
    repartition,
    alerts,
    deadletter,
    findings,
    all: [...Object.values(events), alerts, deadletter, ...Object.values(repartition), findings],
  };
}

export type Topics = ReturnType<typeof topicsFor>;

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
