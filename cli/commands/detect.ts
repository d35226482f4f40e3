// `mailwarden detect --config detector.yaml`: the central service — detection
// stages, correlator, archiver and API in one process (the embedded store can
// only be held by one). SIGTERM/SIGINT checkpoint and exit 0.
import type { Command } from "commander";
import { type RunningDetector, startDetector } from "../../detector/service/run.js";
import { firstLine, openStore } from "../../detector/store/client.js";
import { createLogger } from "../../telemetry/log.js";
import { createKafka } from "../../transport/kafka/client.js";
import { loadDetectorConfig } from "../detector-config.js";
import { UserError } from "../errors.js";

export function registerDetect(program: Command): void {
  program
    .command("detect")
    .description("the central service: detections, incidents, archiver and API")
    .option("--config <file>", "detector YAML (see deploy/examples/detector.yaml); defaults + environment when omitted")
    .action(async (opts: { config?: string }) => {
      const cfg = loadDetectorConfig(opts.config);
      const log = createLogger({ name: "detect", level: cfg.log.level });
      const store = await openStore(cfg.store);
      const kafka = createKafka({ brokers: cfg.kafka.brokers, clientId: cfg.kafka.clientId, logLevel: "nothing" });
      let running: RunningDetector;
      try {
        running = await startDetector(cfg, { kafka, store, log });
      } catch (e) {
        await store.close();
        if (e instanceof UserError) throw e;
        throw new UserError(
          `detect: cannot start: ${firstLine(e)} (is Kafka at ${cfg.kafka.brokers.join(",")} up?)`,
          1,
        );
      }
      log.info({ store: store.location, brokers: cfg.kafka.brokers, api: running.api.url }, "detector started");
      await new Promise<void>((resolve) => {
        for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => resolve());
      });
      await running.stop();
      await store.close();
      log.info(running.service.status(), "detector stopped");
      log.flush();
    });
}
