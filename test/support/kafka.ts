// Test helpers around the real broker: topic provisioning and a consumer that
// gathers the pipeline events of one test (tests tell theirs apart by host).
import { randomBytes } from "node:crypto";
import type { EachMessagePayload, Kafka } from "kafkajs";
import type { MailEvent } from "../../events/event.js";
import { topicsFor } from "../../events/topics.js";
import { brokersFromEnv, createKafka } from "../../transport/kafka/client.js";
import { defaultTopicSpecs, ensureTopics } from "../../transport/kafka/topics.js";

export const brokers = brokersFromEnv();

export function testKafka(name: string): Kafka {
  return createKafka({ brokers, clientId: `mailwarden-test-${name}`, logLevel: "nothing" });
}

/** Each test's own topics (`<prefix>.events.*`): a shared broker's backlog never slows a test down. */
export const testPrefix = (host: string): string => `mwtest-${host}`;

export async function ensurePipelineTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      defaultTopicSpecs(topicsFor(prefix), { partitions: 3, retentionMs: 86_400_000, replicationFactor: 1 }),
    );
  } finally {
    await admin.disconnect();
  }
}

export interface Received {
  event: MailEvent;
  topic: string;
  partition: number;
  offset: bigint;
}

/** Consumes the event topics from the beginning, keeping the events whose host is `host`. */
export async function collectEvents(kafka: Kafka, host: string, prefix = testPrefix(host)) {
  const received: Received[] = [];
  const consumer = kafka.consumer({
    groupId: `mailwarden-test-${host}-${randomBytes(3).toString("hex")}`,
    maxWaitTimeInMs: 200,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topicsFor(prefix).events), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
      const event = JSON.parse(message.value?.toString() ?? "{}") as MailEvent;
      if (event.host === host) received.push({ event, topic, partition, offset: BigInt(message.offset) });
    },
  });
  return {
    received,
    ids: () => new Set(received.filter((r) => r.event.kind !== "agent").map((r) => r.event.id)),
    stop: () => consumer.disconnect(),
  };
}

/** Resolves when `cond` holds; rejects after `ms` with what was awaited. */
export async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
