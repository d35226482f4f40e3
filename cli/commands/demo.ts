// `mailwarden demo`: all of it, end to end, on the embedded defaults. Starts
// the local Kafka (fetching it the first time) unless KAFKA_BROKERS points at
// one, runs the detector in this process on the embedded store, simulates a
// small platform (days of normal life, then the scenario), replays it at full
// speed while alerts print as they fire, waits until the detector has seen
// everything, then prints the evaluation against the ground truth.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { REPLAY_HEARTBEAT_SECONDS } from "../../collectors/replay/replay.js";
import { loadConfig } from "../../config/load.js";
import { PACKAGE_ROOT } from "../../config/paths.js";
import { detectorConfigSchema } from "../../config/roles.js";
import type { Finding } from "../../detector/core/finding.js";
import type { Incident } from "../../detector/correlator/correlator.js";
import type { Alert } from "../../detector/service/findings-stage.js";
import { configuredNetworks } from "../../detector/service/networks-config.js";
import { type RunningDetector, startDetector } from "../../detector/service/run.js";
import { openStore, type Store } from "../../detector/store/client.js";
import { evaluate, formatEval, readLabels } from "../../simulator/eval.js";
import { SCENARIOS, type Scenario, simulate } from "../../simulator/simulate.js";
import { siteDetections } from "../../simulator/site-settings.js";
import { createLogger } from "../../telemetry/log.js";
import { createKafka } from "../../transport/kafka/client.js";
import { UserError } from "../errors.js";
import { replayDirectory } from "./replay.js";

interface DemoOptions {
  scenario: string;
  seed: string;
  json?: boolean;
  hosts: string;
  accounts: string;
  days: string;
}

const tty = process.stderr.isTTY;
const paint = (code: number, s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
const SEVERITY_COLOUR: Record<string, number> = { critical: 31, high: 91, medium: 33, low: 36 };
const say = (s: string) => process.stderr.write(`${s}\n`);

function printAlert(a: Alert): void {
  if (a.type === "finding") {
    const f = a.finding;
    say(
      `${paint(SEVERITY_COLOUR[f.severity] ?? 0, `[${f.severity.padEnd(8)}]`)} ${f.ts} ${paint(1, f.detection)}: ${f.summary}`,
    );
  } else {
    const i = a.incident;
    say(
      `${paint(SEVERITY_COLOUR[i.severity] ?? 0, `[INCIDENT ${i.severity}]`)} ${i.id.slice(0, 12)} ${i.stages.join(" → ")}: ${i.summary}`,
    );
  }
}

/** Starts the project's local Kafka unless KAFKA_BROKERS names a cluster; true when this call started it. */
function ensureLocalKafka(): boolean {
  if (process.env.KAFKA_BROKERS) return false;
  const script = join(PACKAGE_ROOT, "deploy", "local", "kafka");
  const running = spawnSync(script, ["status"], { encoding: "utf8" }).status === 0;
  if (running) return false;
  say("demo: starting the local Kafka (the first run fetches it through Maven, about a minute)");
  const r = spawnSync(script, ["start"], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new UserError("demo: the local Kafka did not start (see above); or set KAFKA_BROKERS", 1);
  return true;
}

/**
 * Findings written since `since` and their incidents: the store is the default
 * one (so `mailwarden query` works afterwards) and may hold earlier runs.
 */
export async function readResults(
  store: Store,
  since: number,
): Promise<{ findings: Finding[]; incidents: Incident[] }> {
  const q = async <T>(query: string) =>
    (await store.client.query({ query, query_params: { since }, format: "JSONEachRow" })).json<T>();
  const recent = "SELECT * FROM findings FINAL WHERE created_at >= fromUnixTimestamp64Milli({since:Int64})";
  const rows = await q<Omit<Finding, "ts"> & { ms: number }>(
    `SELECT id, toUnixTimestamp64Milli(ts) AS ms, detection, stage, entity_type, entity, host, user, src_ip, score, severity, summary FROM (${recent})`,
  );
  const incidents = await q<Incident>(
    `SELECT id, severity, score, stages, finding_ids, summary FROM incidents FINAL WHERE merged_into = '' AND id IN (SELECT incident_id FROM (${recent}))`,
  );
  return {
    findings: rows.map(({ ms, ...f }) => ({ ...f, ts: new Date(Number(ms)).toISOString() }) as Finding),
    incidents,
  };
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("end to end on the embedded defaults: simulate a platform and a breach, detect it, score it")
    .option("--scenario <name>", `what to simulate: ${SCENARIOS.join(", ")}`, "kddi-breach")
    .option("--seed <n>", "simulation seed", "7")
    .option("--hosts <n>", "simulated hosts", "8")
    .option("--accounts <n>", "simulated accounts", "2000")
    .option("--days <n>", "simulated days (normal life before and around the attack)", "3")
    .option("--json", "print the evaluation as one JSON object on the last stdout line")
    .action(async (opts: DemoOptions) => {
      if (!(SCENARIOS as readonly string[]).includes(opts.scenario)) {
        throw new UserError(`demo: unknown scenario '${opts.scenario}' (known: ${SCENARIOS.join(", ")})`);
      }
      const started = Date.now();
      const run = `demo-${randomBytes(4).toString("hex")}`;
      const work = resolve("demo-runs", run);
      const simDir = join(work, "sim");
      mkdirSync(work, { recursive: true });
      const startedKafka = ensureLocalKafka();

      say(
        `demo: simulating ${opts.scenario} (seed ${opts.seed}): ${opts.hosts} hosts, ${opts.accounts} accounts, ${opts.days} days`,
      );
      const manifest = await simulate({
        scenario: opts.scenario as Scenario,
        seed: Number(opts.seed),
        out: simDir,
        hosts: Number(opts.hosts),
        accounts: Number(opts.accounts),
        days: Number(opts.days),
        start: Date.parse(process.env.MAILWARDEN_SIM_START ?? "2026-11-01T00:00:00Z"),
      });

      const labels = readLabels(join(simDir, "labels.jsonl"));
      const cfg = loadConfig(detectorConfigSchema, {});
      // Topics of its own: other traffic on a shared broker (live agents) must not move its clock.
      cfg.kafka.topicPrefix = `mailwarden-${run}`;
      cfg.kafka.topics.partitions = 3;
      cfg.detector.groupId = `mailwarden-${run}`;
      cfg.detector.stateDir = join(work, "state");
      cfg.detector.startAt = "latest";
      cfg.detector.checkpointSeconds = 5;
      // Any free port: a running `mailwarden detect` (or another demo) may hold the configured one.
      cfg.api.port = 0;
      cfg.detector.networks.asnTable = join(simDir, "networks.json");
      cfg.detector.detections = siteDetections(labels);
      const log = createLogger({ name: "demo", level: "warn" });
      const store = await openStore(cfg.store);
      const kafka = createKafka({ brokers: cfg.kafka.brokers, clientId: run, logLevel: "nothing" });
      let running: RunningDetector | undefined;
      const stop = async () => {
        await running?.stop();
        await store.close();
        if (startedKafka) spawnSync(join(PACKAGE_ROOT, "deploy", "local", "kafka"), ["stop"], { stdio: "ignore" });
      };
      process.once("SIGINT", () => {
        say("demo: interrupted, stopping what it started");
        stop().finally(() => process.exit(130));
      });
      try {
        running = await startDetector(cfg, {
          kafka,
          store,
          log,
          onAlerts: async (alerts) => {
            for (const a of alerts) printAlert(a);
          },
        });
        const { service } = running;
        say(`demo: detector API at ${running.api.url} while the demo runs (tokens: api.tokens in detector.yaml)`);
        say(`demo: replaying ${manifest.totals.lines} lines into Kafka at full speed; alerts print as they fire`);
        const replayed = await replayDirectory(
          simDir,
          { speed: "max", heartbeatSeconds: String(REPLAY_HEARTBEAT_SECONDS) },
          cfg.kafka,
        );
        const expected = replayed.events + replayed.heartbeats;
        const deadline = Date.now() + 120_000;
        while (!service.drained(expected)) {
          if (Date.now() > deadline) throw new UserError("demo: the detector did not catch up within 2 minutes", 1);
          await sleep(250);
        }
        const { findings, incidents } = await readResults(store, started);
        const result = evaluate(labels, findings, incidents, {
          days: manifest.scale.days,
          networks: configuredNetworks(cfg.detector.networks),
        });
        say("");
        say(formatEval(result));
        say("");
        say(
          `demo: done in ${((Date.now() - started) / 1000).toFixed(0)} s. Store: ${store.location} (try: mailwarden query --sql "SELECT detection, count() FROM findings GROUP BY detection" --format table)`,
        );
        say(`demo: simulated logs and labels in ${simDir}`);
        say("demo: Grafana dashboards and provisioning: mailwarden dashboards --out DIR (as in deploy/grafana)");
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        await stop();
        rmSync(join(work, "state"), { recursive: true, force: true });
      }
    });
}
