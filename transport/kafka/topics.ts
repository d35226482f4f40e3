// Topic provisioning. The local broker runs with auto.create.topics.enable=false
// (as production clusters should), so every process ensures its topics first.
import type { Admin } from "kafkajs";
import { ALL_TOPICS } from "../../events/topics.js";

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
        waitForLeaders: true,
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
  return results.filter((t): t is string => t !== undefined);
}

/** Specs for every pipeline topic (events, alerts, dead letters) with one shape. */
export function defaultTopicSpecs(opts: {
  partitions: number;
  retentionMs: number;
  replicationFactor: number;
}): TopicSpec[] {
  return ALL_TOPICS.map((topic) => ({ topic, ...opts }));
}
