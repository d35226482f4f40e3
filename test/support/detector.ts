// Runs the built `mailwarden detect` as real child processes on a simulated
// platform's input, each with its own topics, consumer groups, checkpoints and
// embedded store, and reads back what they produced: the findings in the
// store (through `mailwarden query`) and the records on the alerts topic.
import { type ChildProcess, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import { parse, stringify } from "yaml";
import { replayDirectory } from "../../cli/commands/replay.js";
import { loadDetectorConfig } from "../../cli/detector-config.js";
import { mergedEvents, planReplay, REPLAY_HEARTBEAT_SECONDS } from "../../collectors/replay/replay.js";
import { kafkaSchema } from "../../config/common.js";
import { detectInProcess } from "../../detector/service/in-process.js";
import { configuredNetworks } from "../../detector/service/networks-config.js";
import { topicsFor } from "../../events/topics.js";
import { simulate } from "../../simulator/simulate.js";
import { CLI, type CliChild, spawnCli } from "./agent.js";
import { brokers } from "./kafka.js";

export const PARTITIONS = 3;

/**
 * A small mixed platform (every attack of the catalogue, benign noise) written
 * to `dir`; `days` sets its size (the noise is most of it, per day).
 */
export async function simulateSmallPlatform(dir: string, days = 2): Promise<void> {
  await simulate({
    scenario: "mixed",
    seed: 7,
    out: dir,
    hosts: 4,
    accounts: 300,
    days,
    start: Date.parse("2026-11-01T00:00:00Z"),
  });
}

/**
 * What the detector should find, as "detection id" → score: the in-process
 * pipeline over the same logs with the same config, where every event is in
 * order (no lane can go quiet, nothing is late). A deployment on the broker
 * must find the same.
 */
export async function referenceFindings(simDir: string, config: string): Promise<Map<string, number>> {
  const cfg = loadDetectorConfig(config);
  const events = mergedEvents(planReplay(simDir), { heartbeatSeconds: REPLAY_HEARTBEAT_SECONDS }).events;
  const { findings } = await detectInProcess(cfg.detector, configuredNetworks(cfg.detector.networks), events);
  return new Map(findings.map((f) => [`${f.detection} ${f.id}`, f.score]));
}

/** A run's own topics and consumer groups, so runs on one broker never see each other. */
export function runNames(label: string): { prefix: string; groupId: string } {
  const id = `${label}-${randomBytes(3).toString("hex")}`;
  return { prefix: `mwtest-${id}`, groupId: `mwtest-${id}` };
}

/** Replays the simulated logs into `prefix`'s topics; resolves with how many records were produced. */
export async function replayInto(simDir: string, prefix: string): Promise<number> {
  const kafka = kafkaSchema.parse({ brokers, topicPrefix: prefix, topics: { partitions: PARTITIONS } });
  const s = await replayDirectory(
    simDir,
    { speed: "max", heartbeatSeconds: String(REPLAY_HEARTBEAT_SECONDS) },
    kafka,
    false,
  );
  return s.events + s.heartbeats;
}

/** A detector.yaml for one process: the simulated site's settings plus this run's names and directories. */
export function writeDetectorConfig(
  dir: string,
  simDir: string,
  run: { prefix: string; groupId: string },
  name: string,
  idleFlushSeconds = 2,
): string {
  const site = parse(readFileSync(join(simDir, "detector.yaml"), "utf8")) as { detector: Record<string, unknown> };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      kafka: { brokers, topicPrefix: run.prefix, topics: { partitions: PARTITIONS } },
      store: { dataDir: join(dir, `${name}-data`) },
      log: { level: "info" },
      detector: {
        ...site.detector,
        networks: { asnTable: join(simDir, "networks.json") },
        stateDir: join(dir, `${name}-state`),
        groupId: run.groupId,
        // Two deployments compared on one input must hash alike (their group ids differ).
        hashSeed: 7,
        checkpointSeconds: 1,
        idleFlushSeconds,
      },
      api: { port: 0 },
    }),
  );
  return file;
}

export function startDetectorProcess(config: string): CliChild {
  return spawnCli(["detect", "--config", config], { TZ: "UTC" });
}

/** Stops a detector with SIGTERM (it checkpoints) and waits for its exit code. */
export function terminate(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const done = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return done;
}

/** Kills a detector like `kill -9` does and waits until it is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  return done;
}

/** The detector's consumer groups and the topics each reads (detector/service/service.ts). */
function stageGroups(prefix: string, groupId: string): { groupId: string; topics: string[] }[] {
  const t = topicsFor(prefix);
  const events = Object.values(t.events);
  return [
    { groupId: `${groupId}.events`, topics: events },
    { groupId: `${groupId}.sources`, topics: Object.values(t.repartition) },
    { groupId: `${groupId}.findings`, topics: [t.findings] },
    { groupId: `${groupId}.archive`, topics: events },
  ];
}

/** Records behind the end of their topics, per stage group (committed offsets). */
export async function lagByGroup(kafka: Kafka, run: { prefix: string; groupId: string }): Promise<Map<string, number>> {
  // A busy shared broker may briefly not know a new group's coordinator.
  for (let attempt = 1; ; attempt++) {
    try {
      return await groupLag(kafka, run);
    } catch (e) {
      if (attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Records behind the end of their topics, summed over every stage's group. */
export async function lag(kafka: Kafka, run: { prefix: string; groupId: string }): Promise<number> {
  return [...(await lagByGroup(kafka, run)).values()].reduce((a, b) => a + b, 0);
}

async function groupLag(kafka: Kafka, run: { prefix: string; groupId: string }): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, number>();
    for (const g of stageGroups(run.prefix, run.groupId)) {
      let behind = 0;
      const committed = await admin.fetchOffsets({ groupId: g.groupId, topics: g.topics });
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const p of partitions) {
          const end = BigInt(ends.find((e) => e.partition === p.partition)?.high ?? "0");
          const at = p.offset === "-1" ? 0n : BigInt(p.offset);
          behind += Number(end - at);
        }
      }
      out.set(g.groupId, behind);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Resolves once every stage's consumer group is stable with `members`
 * members: input replayed after that is never handed from one process to
 * another mid-stream (see "Scaling out" in the README for what a handover costs).
 */
export async function joined(kafka: Kafka, run: { prefix: string; groupId: string }, members: number, ms: number) {
  const deadline = Date.now() + ms;
  const groupIds = stageGroups(run.prefix, run.groupId).map((g) => g.groupId);
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (;;) {
      const { groups } = await admin.describeGroups(groupIds);
      const settled = groups.filter((g) => g.state === "Stable" && g.members.length === members);
      if (settled.length === groupIds.length) return;
      if (Date.now() > deadline) {
        throw new Error(
          `groups not stable after ${ms} ms: ${groups.map((g) => `${g.groupId} ${g.state} ${g.members.length}`).join(", ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Resolves once every stage has committed the end of its input and nothing
 * new arrived for `quietMs` (longer than the idle flush, which releases the
 * reorder buffers at the end of the input and may produce more).
 */
export async function drained(kafka: Kafka, run: { prefix: string; groupId: string }, ms: number, quietMs = 8000) {
  const deadline = Date.now() + ms;
  let since = Date.now();
  for (;;) {
    const groups = await lagByGroup(kafka, run);
    const behind = [...groups.values()].reduce((a, b) => a + b, 0);
    if (behind > 0) since = Date.now();
    else if (Date.now() - since >= quietMs) return;
    if (Date.now() > deadline) {
      const detail = [...groups].filter(([, n]) => n > 0).map(([g, n]) => `${g}: ${n}`);
      throw new Error(`detector not drained after ${ms} ms (records behind: ${detail.join(", ")})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Findings in a stopped detector's store, deduplicated as users read them: id → score. */
export function storedFindings(config: string): Map<string, number> {
  const r = spawnSync(
    process.execPath,
    [CLI, "query", "--config", config, "--sql", "SELECT id, detection, score FROM findings FINAL ORDER BY id"],
    { encoding: "utf8", env: { ...process.env, TZ: "UTC" }, timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`query failed: ${r.stderr}`);
  const rows = r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; detection: string; score: number });
  return new Map(rows.map((f) => [`${f.detection} ${f.id}`, Number(f.score)]));
}

/** Every record of the run's alerts topic as "key score" (a finding re-fired with a higher score is a new alert). */
export async function alertRecords(kafka: Kafka, prefix: string): Promise<string[]> {
  const topic = topicsFor(prefix).alerts;
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  let remaining = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const out: string[] = [];
  if (remaining === 0) return out;
  const consumer = kafka.consumer({ groupId: `mwtest-alerts-${randomBytes(3).toString("hex")}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        const a = JSON.parse(message.value?.toString() ?? "{}") as {
          type: string;
          finding?: { score: number };
          incident?: { score: number; updated_at: string };
        };
        const score = a.finding?.score ?? `${a.incident?.score} ${a.incident?.updated_at}`;
        out.push(`${a.type} ${message.key?.toString()} ${score}`);
        remaining -= 1;
        if (remaining === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Entries of `list` that occur more than once. */
export function repeated(list: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(list.filter((x) => seen.has(x) || !seen.add(x)))];
}
