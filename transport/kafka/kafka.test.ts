// Integration test against a REAL broker (KAFKA_BROKERS, else the local one
// from `deploy/local/kafka start`, which CI starts first). It checks exactly
// what the pipeline relies on kafkajs for, which is also what pins the Kafka
// version in deploy/local/kafka. Names carry a random suffix so reruns against
// the same broker never see each other's topics, groups or offsets.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import {
  type Admin,
  CompressionTypes,
  type Consumer,
  type EachMessagePayload,
  Partitioners,
  type Producer,
} from "kafkajs";
import { topicsFor } from "../../events/topics.js";
import { brokersFromEnv, createKafka } from "./client.js";
import { defaultTopicSpecs, ensureTopics } from "./topics.js";

const run = randomBytes(4).toString("hex");
const topic = `mailwarden.test.${run}.events`;
const other = `mailwarden.test.${run}.other`;
const groupId = `mailwarden-test-${run}`;
const PARTITIONS = 3;
const KEYS = Array.from({ length: 12 }, (_, i) => `u:user${i}@example.net`);

const kafka = createKafka({ brokers: brokersFromEnv(), clientId: `mailwarden-test-${run}`, retry: { retries: 3 } });
const admin: Admin = kafka.admin();
const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
const consumers: Consumer[] = [];

/** Key → partition, as observed in everything consumed so far. */
const partitionOfKey = new Map<string, number>();
function recordKey(m: EachMessagePayload): void {
  const key = m.message.key?.toString() ?? "";
  const seen = partitionOfKey.get(key);
  if (seen !== undefined) assert.equal(m.partition, seen, `key ${key} moved partition`);
  partitionOfKey.set(key, m.partition);
}

function newConsumer(): Consumer {
  const c = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 200 });
  consumers.push(c);
  return c;
}

/** Resolves when `cond` holds, rejects after `ms` (a bounded wait instead of a hang). */
function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = setInterval(() => {
      if (cond()) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - start > ms) {
        clearInterval(tick);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }
    }, 50);
  });
}

before(async () => {
  await admin.connect();
  await producer.connect();
});

after(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
  await producer.disconnect().catch(() => {});
  await admin.deleteTopics({ topics: [topic, other] }).catch(() => {});
  await admin.disconnect().catch(() => {});
});

test("defaultTopicSpecs covers every pipeline topic", () => {
  const topics = topicsFor("tenant-a");
  const specs = defaultTopicSpecs(topics, { partitions: 6, retentionMs: 86_400_000, replicationFactor: 1 });
  assert.deepEqual(
    specs.map((s) => s.topic),
    topics.all,
  );
  assert.ok(specs.every((s) => s.topic.startsWith("tenant-a.") && s.retentionMs === 86_400_000));
  assert.ok(specs.every((s) => s.partitions === (s.topic === topics.findings ? 1 : 6)));
});

test("ensureTopics creates once, then is a no-op; metadata and listing agree", async () => {
  const specs = [
    { topic, partitions: PARTITIONS, retentionMs: 3_600_000, replicationFactor: 1 },
    { topic: other, partitions: 1, retentionMs: 3_600_000, replicationFactor: 1 },
  ];
  assert.deepEqual((await ensureTopics(admin, specs)).sort(), [topic, other].sort());
  assert.deepEqual(await ensureTopics(admin, specs), []);
  const listed = await admin.listTopics();
  assert.ok(listed.includes(topic) && listed.includes(other));
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(meta.topics[0]?.partitions.length, PARTITIONS);
});

test("keyed gzip batch is consumed in a group, committed, and not re-read after a restart", async () => {
  // 60 keyed messages, acks from all in-sync replicas, gzip.
  const batch = Array.from({ length: 60 }, (_, i) => ({
    key: KEYS[i % KEYS.length] ?? "",
    value: JSON.stringify({ seq: i, run }),
  }));
  await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: batch });

  // First consumer: read everything from the beginning, commit explicitly.
  const first = newConsumer();
  await first.connect();
  await first.subscribe({ topic, fromBeginning: true });
  const seen: number[] = [];
  const next = new Map<number, string>(); // partition → offset to commit (last + 1)
  await first.run({
    autoCommit: false,
    eachMessage: async (m) => {
      recordKey(m);
      seen.push(JSON.parse(m.message.value?.toString() ?? "{}").seq);
      next.set(m.partition, (BigInt(m.message.offset) + 1n).toString());
    },
  });
  await waitFor(() => seen.length >= batch.length, 30_000, "the first batch");
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    batch.map((_, i) => i),
  );
  await first.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset })));
  // OffsetFetch / ListOffsets (both touched by KIP-896) agree with what we committed.
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  for (const p of committed[0]?.partitions ?? []) {
    assert.equal(p.offset, ends.find((e) => e.partition === p.partition)?.high, `partition ${p.partition}`);
  }
  await first.disconnect();

  // Restart: a new member of the same group must resume at the commits. A
  // sentinel produced after it joined must be the first and only message seen.
  const second = newConsumer();
  let joined = false;
  second.on(second.events.GROUP_JOIN, () => {
    joined = true;
  });
  await second.connect();
  await second.subscribe({ topic, fromBeginning: true });
  const afterRestart: string[] = [];
  await second.run({
    eachMessage: async (m) => {
      recordKey(m);
      afterRestart.push(m.message.value?.toString() ?? "");
    },
  });
  await waitFor(() => joined, 30_000, "the restarted consumer to join");
  const sentinelKey = KEYS[0] ?? "";
  await producer.send({
    topic,
    acks: -1,
    compression: CompressionTypes.GZIP,
    messages: [{ key: sentinelKey, value: "sentinel" }],
  });
  await waitFor(() => afterRestart.length > 0, 30_000, "the sentinel");
  // Give a re-read (the bug this guards against) a moment to show up too.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(afterRestart, ["sentinel"]);
  await second.disconnect();
});

test("a key always lands on the same partition", async () => {
  // Every key was seen on exactly one partition across both consumers (checked
  // as messages arrived), and the keys spread over more than one partition.
  assert.equal(partitionOfKey.size, KEYS.length);
  assert.ok(new Set(partitionOfKey.values()).size > 1, "all keys on one partition");
  // Producing again routes by the same hash: the send reports the expected partition.
  const key = KEYS[5] ?? "";
  const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value: "again" }] });
  assert.equal(meta?.partition, partitionOfKey.get(key));
});
