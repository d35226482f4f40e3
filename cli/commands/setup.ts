// `mailwarden setup`: creates the Kafka topics and brings the store schema up
// to date, idempotently, and says what it found. The first thing to run
// against a new broker or ClickHouse, and a quick "is everything reachable".
import type { Command } from "commander";
import { loadConfig } from "../../config/load.js";
import { detectorConfigSchema } from "../../config/roles.js";
import { firstLine, openStore } from "../../detector/store/client.js";
import { topicsFor } from "../../events/topics.js";
import { createKafka } from "../../transport/kafka/client.js";
import { defaultTopicSpecs, ensureTopics } from "../../transport/kafka/topics.js";
import { UserError } from "../errors.js";

export function registerSetup(program: Command): void {
  program
    .command("setup")
    .description("create the Kafka topics and the store schema (idempotent), then report both")
    .option("--config <file>", "detector YAML; defaults + environment when omitted")
    .option("--no-kafka", "only set up the store")
    .action(async (opts: { config?: string; kafka: boolean }) => {
      const cfg = loadConfig(detectorConfigSchema, opts.config ? { file: opts.config } : {});
      const report: Record<string, unknown> = {};
      if (opts.kafka) {
        const admin = createKafka({ brokers: cfg.kafka.brokers, clientId: cfg.kafka.clientId }).admin();
        try {
          await admin.connect();
          const created = await ensureTopics(
            admin,
            defaultTopicSpecs(topicsFor(cfg.kafka.topicPrefix), {
              partitions: cfg.kafka.topics.partitions,
              replicationFactor: cfg.kafka.topics.replicationFactor,
              retentionMs: cfg.kafka.topics.retentionHours * 3_600_000,
            }),
          );
          report.kafka = { brokers: cfg.kafka.brokers, topicsCreated: created };
        } catch (e) {
          throw new UserError(
            `setup: Kafka at ${cfg.kafka.brokers.join(",")} is not reachable (${firstLine(e)}); start it with deploy/local/kafka start or set KAFKA_BROKERS`,
            1,
          );
        } finally {
          await admin.disconnect();
        }
      }
      const store = await openStore(cfg.store);
      try {
        const rs = await store.client.query({
          query: "SELECT version() AS version, currentDatabase() AS database",
          format: "JSONEachRow",
        });
        const [info] = await rs.json<{ version: string; database: string }>();
        report.store = { mode: store.mode, location: store.location, ...info, ...store.migrations };
      } finally {
        await store.close();
      }
      process.stdout.write(`${JSON.stringify(report)}\n`);
    });
}
