// `mailwarden replay DIR [--speed max|N]`: a directory of logs through the
// agent's parsers and producer into Kafka, in event-time order.
import { existsSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { mergedEvents, planReplay, REPLAY_HEARTBEAT_SECONDS } from "../../collectors/replay/replay.js";
import { createEventProducer, sendEvents } from "../../collectors/sinks/kafka.js";
import type { KafkaConfig } from "../../config/common.js";
import { loadConfig } from "../../config/load.js";
import { detectorConfigSchema } from "../../config/roles.js";
import { firstLine } from "../../detector/store/client.js";
import type { MailEvent } from "../../events/event.js";
import { topicsFor } from "../../events/topics.js";
import { createKafka } from "../../transport/kafka/client.js";
import { defaultTopicSpecs, ensureTopics } from "../../transport/kafka/topics.js";
import { UserError } from "../errors.js";
import { replayProgress } from "../replay-progress.js";

const BATCH = 10_000;

export interface ReplayOptions {
  speed: string;
  heartbeatSeconds: string;
}

export async function replayDirectory(
  dir: string,
  opts: ReplayOptions,
  kafkaCfg: KafkaConfig,
  progress = process.stderr.isTTY,
) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`replay: ${dir} is not a directory`);
  const speed = opts.speed === "max" ? Number.POSITIVE_INFINITY : Number(opts.speed);
  if (!(speed > 0)) throw new UserError(`replay: --speed must be "max" or a positive factor, not '${opts.speed}'`);
  const hb = Number(opts.heartbeatSeconds);
  if (!(Number.isInteger(hb) && hb > 0)) throw new UserError("replay: --heartbeat-seconds must be a positive integer");
  const plan = planReplay(dir);
  const topics = topicsFor(kafkaCfg.topicPrefix);
  if (plan.files.length === 0) throw new UserError(`replay: no log files under ${dir}`);

  const kafka = createKafka({ brokers: kafkaCfg.brokers, clientId: `${kafkaCfg.clientId}-replay` });
  const admin = kafka.admin();
  const producer = createEventProducer(kafka);
  try {
    await admin.connect();
    await ensureTopics(
      admin,
      defaultTopicSpecs(topics, {
        partitions: kafkaCfg.topics.partitions,
        replicationFactor: kafkaCfg.topics.replicationFactor,
        retentionMs: kafkaCfg.topics.retentionHours * 3_600_000,
      }),
    );
    await producer.connect();
  } catch (e) {
    throw new UserError(`replay: Kafka at ${kafkaCfg.brokers.join(",")} is not reachable (${firstLine(e)})`, 1);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  const bar = replayProgress("replay", plan.bytes, progress);
  const merged = mergedEvents(plan, { heartbeatSeconds: hb, onBytes: bar.onBytes });
  const startWall = Date.now();
  let startEvent: number | undefined;
  let batch: MailEvent[] = [];
  let first: string | undefined;
  let last: string | undefined;
  // One batch in flight while the next is parsed: Kafka I/O overlaps parsing.
  let inflight: Promise<void> = Promise.resolve();
  try {
    for await (const e of merged.events) {
      first ??= e.ts;
      last = e.ts;
      batch.push(e);
      if (batch.length < BATCH) continue;
      await pace(e);
      await inflight;
      inflight = sendEvents(producer, batch, topics);
      // Awaited before the next send; handled now so a failure while parsing is not an unhandled rejection.
      inflight.catch(() => undefined);
      batch = [];
    }
    await inflight;
    if (batch.length > 0) await sendEvents(producer, batch, topics);
  } catch (e) {
    // The broker went away mid-replay: a user's problem, not a bug.
    if (!(e instanceof Error && e.name.startsWith("KafkaJS"))) throw e;
    throw new UserError(`replay: sending to Kafka at ${kafkaCfg.brokers.join(",")} failed (${firstLine(e)})`, 1);
  } finally {
    bar.done();
    await producer.disconnect().catch(() => undefined);
  }
  return { ...merged.stats(), first, last, files: plan.files.length, seconds: (Date.now() - startWall) / 1000 };

  async function pace(e: MailEvent): Promise<void> {
    if (!Number.isFinite(speed)) return;
    const t = Date.parse(e.ts);
    startEvent ??= t;
    const due = startWall + (t - startEvent) / speed;
    if (due > Date.now()) await sleep(due - Date.now());
  }
}

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description("feed a directory of logs through the agent's parsers into Kafka, event time preserved")
    .argument("<dir>", "directory of <host>/<file>.log (a simulator output, with its manifest.json)")
    .option("--speed <max|N>", "max, or N times real time", "max")
    .option(
      "--heartbeat-seconds <n>",
      "agent heartbeat interval emitted per host while it has lines",
      String(REPLAY_HEARTBEAT_SECONDS),
    )
    .option("--config <file>", "detector YAML (for the kafka section)")
    .action(async (dir: string, opts: ReplayOptions & { config?: string }) => {
      const cfg = loadConfig(detectorConfigSchema, opts.config ? { file: opts.config } : {});
      const s = await replayDirectory(dir, opts, cfg.kafka);
      const skipped = Object.entries(s.skipped).map(([k, v]) => `${k}=${v}`);
      process.stderr.write(
        `replay: ${s.files} files, ${s.lines} lines, ${s.events} events + ${s.heartbeats} heartbeats from ${s.first} to ${s.last} in ${s.seconds.toFixed(1)} s${skipped.length ? `; skipped ${skipped.join(", ")}` : ""}\n`,
      );
    });
}
