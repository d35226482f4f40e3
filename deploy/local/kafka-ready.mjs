// Readiness probe for deploy/local/kafka: exits 0 only when the broker answers
// real metadata requests through kafkajs (the client the project uses), which
// an open port alone does not prove (KRaft opens listeners before it serves).
// usage: node deploy/local/kafka-ready.mjs 127.0.0.1:9092 [expected-cluster-id]
import kafkajs from "kafkajs";

const { Kafka, logLevel } = kafkajs;
const brokers = (process.argv[2] ?? "127.0.0.1:9092").split(",");
const expectedClusterId = process.argv[3];
const kafka = new Kafka({
  clientId: "mailwarden-ready",
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  requestTimeout: 5000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  await admin.fetchTopicMetadata();
  if (cluster.brokers.length === 0 || cluster.controller == null) throw new Error("no brokers/controller yet");
  if (expectedClusterId && cluster.clusterId !== expectedClusterId) {
    throw new Error(`cluster id ${cluster.clusterId}, expected ${expectedClusterId} (another broker on this port?)`);
  }
  process.exitCode = 0;
} catch (err) {
  console.error(`not ready: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
} finally {
  await admin.disconnect().catch(() => {});
}
