// Topic provisioning. The local broker runs with auto.create.topics.enable=false
// (as production clusters should), so every process ensures its topics first.
import type { Admin } from "kafkajs";
import type { Topics } from "../../events/topics.js";

export interface TopicSpec {
  topic: string;
  partitions: number;
  retentionMs: number;
  replicationFactor: number;
}

/**
 * Creates the topics that do not exist yet; existing ones are left as they are
 * (partition counts are never changed behind an operator's back). Returns the
 * names this call created. Safe to run concurrently from several processes.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  // One request per topic: kafkajs reports "already exists" only for a whole
  // request, so this is what tells us exactly which ones a racing process made.
  const results = await Promise.all(
    missing.map(async (s) => {
      const created = await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor,
            configEntries: [{ name: "retention.ms", value: String(s.retentionMs) }],
          },
        ],
      });
      return created ? s.topic : undefined;
    }),
  );
  const created = results.filter((t): t is string => t !== undefined);
  await waitForLeaders(admin, created);
  return created;
}

/**
 * Waits until new topics have a leader for every partition. kafkajs's own
 * wait retries only LEADER_NOT_AVAILABLE, while a KRaft broker first answers
 * UNKNOWN_TOPIC_OR_PARTITION for a topic it is still creating.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 15_000): Promise<void> {
  if (topics.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topics without leaders after ${timeoutMs} ms: ${topics.join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Specs for every pipeline topic with one shape, except the findings topic:
 * one partition, because the correlator must see every finding in one order.
 */
export function defaultTopicSpecs(
  topics: Topics,
  opts: { partitions: number; retentionMs: number; replicationFactor: number },
): TopicSpec[] {
  return topics.all.map((topic) => ({ topic, ...opts, ...(topic === topics.findings ? { partitions: 1 } : {}) }));
}
