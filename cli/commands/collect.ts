// `mailwarden collect --config collector.yaml`: the host agent. SIGTERM/SIGINT
// stop the sources, flush the spool to Kafka (bounded), and exit 0.
import { accessSync, constants, existsSync } from "node:fs";
import type { Command } from "commander";
import { Agent } from "../../collectors/agent/agent.js";
import { journalctlAvailable } from "../../collectors/sources/journald.js";
import { probeSs, SsUnavailableError } from "../../collectors/sources/socket-poller.js";
import { loadConfig } from "../../config/load.js";
import { collectorConfigSchema } from "../../config/roles.js";
import { createLogger } from "../../telemetry/log.js";
import { createKafka } from "../../transport/kafka/client.js";
import { UserError } from "../errors.js";

export function registerCollect(program: Command): void {
  program
    .command("collect")
    .description("the host agent: tail logs, parse, spool, ship to Kafka")
    .requiredOption("--config <file>", "collector YAML (see deploy/examples/collector.yaml)")
    .action(async (opts: { config: string }) => {
      const cfg = loadConfig(collectorConfigSchema, { file: opts.config });
      for (const [i, s] of cfg.sources.entries()) {
        // A missing file is waited for (its daemon may not have started yet);
        // one we may not read is a configuration mistake.
        if (s.type === "file" && existsSync(s.path)) {
          try {
            accessSync(s.path, constants.R_OK);
          } catch (e) {
            throw new UserError(
              `collect: sources.${i}.path: cannot read ${s.path} (${(e as NodeJS.ErrnoException).code})`,
            );
          }
        }
        if (s.type === "ss") {
          try {
            probeSs(s.ssPath);
          } catch (e) {
            if (e instanceof SsUnavailableError) throw new UserError(`collect: sources.${i}: ${e.message}`);
            throw e;
          }
        }
        if (s.type === "journald" && !journalctlAvailable()) {
          throw new UserError(`collect: sources.${i}: journalctl is not available on this host`);
        }
      }
      const log = createLogger({ name: "collect", level: cfg.log.level });
      const kafka = createKafka({ brokers: cfg.kafka.brokers, clientId: cfg.kafka.clientId, logLevel: "nothing" });
      const agent = new Agent(cfg, { kafka, log });
      const stop = new AbortController();
      for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => stop.abort());
      log.info({ host: agent.host, sources: cfg.sources.length, brokers: cfg.kafka.brokers }, "agent started");
      await agent.run(stop.signal);
      log.info(agent.counters(), "agent stopped");
      log.flush();
    });
}
