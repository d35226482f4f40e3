// Detector core throughput: events/s through the engine with every detection
// of the catalogue, on one core, without Kafka or ClickHouse. The input is a
// simulated platform (normal life, benign noise, every attack: a realistic
// mix of auth, credential-access, net, mail_out and heartbeat events), parsed
// once by the agent's parsers before the clock starts. Each round feeds a
// fresh engine a fresh copy of the events (enrichers annotate them in place).
//   node dist/bench/detector-core.js [--accounts N] [--days N] [--rounds N]
// Prints one JSON line on stdout.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import { mergedEvents, planReplay } from "../collectors/replay/replay.js";
import { DetectorEngine } from "../detector/core/engine.js";
import { configuredDetections } from "../detector/service/detections-config.js";
import { configuredNetworks } from "../detector/service/networks-config.js";
import type { MailEvent } from "../events/event.js";
import { partitionKey } from "../events/topics.js";
import { simulate } from "../simulator/simulate.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const n = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`detector-core: --${name} must be a positive integer\n`);
    process.exit(2);
  }
  return n;
};

/** Input lanes as a 6-partition deployment would see them (the watermark waits for the slowest). */
function laneOf(e: MailEvent): string {
  let h = 0;
  for (const c of partitionKey(e)) h = (h * 31 + c.charCodeAt(0)) | 0;
  return `${e.kind}/${(h >>> 0) % 6}`;
}

export async function measure(opts: { accounts: number; days: number; rounds: number }) {
  const dir = mkdtempSync(join(tmpdir(), "mw-bench-core-"));
  try {
    await simulate({ scenario: "mixed", seed: 7, out: dir, hosts: 8, ...opts, start: Date.UTC(2026, 10, 1) });
    const events: MailEvent[] = [];
    for await (const e of mergedEvents(planReplay(dir), { heartbeatSeconds: 30 }).events) events.push(e);
    const site = readFileSync(join(dir, "detector.yaml"), "utf8");
    const networks = configuredNetworks({ asnTable: join(dir, "networks.json") });
    const detections = configuredDetections(
      (parse(site) as { detector: { detections: Record<string, Record<string, unknown>> } }).detector.detections,
      [],
    );
    const lanes = events.map(laneOf);
    const mix: Record<string, number> = {};
    for (const e of events) mix[e.kind] = (mix[e.kind] ?? 0) + 1;
    const rates: number[] = [];
    let findings = 0;
    for (let r = 0; r < opts.rounds; r++) {
      const input = structuredClone(events);
      const engine = new DetectorEngine({
        detections,
        ctx: { networks },
        allowedLatenessMs: 120_000,
        idleEvictionMs: 14 * 86_400_000,
      });
      const start = process.hrtime.bigint();
      findings = 0;
      for (let i = 0; i < input.length; i++) findings += engine.ingest(input[i] as MailEvent, lanes[i]).length;
      findings += engine.flush().length;
      rates.push(input.length / (Number(process.hrtime.bigint() - start) / 1e9));
    }
    rates.sort((a, b) => a - b);
    return {
      bench: "detector-core",
      events: events.length,
      mix,
      findings,
      rounds: opts.rounds,
      events_per_s_median: Math.round(rates[Math.floor(rates.length / 2)] ?? 0),
      events_per_s_best: Math.round(rates.at(-1) ?? 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await measure({ accounts: arg("accounts", 5000), days: arg("days", 3), rounds: arg("rounds", 3) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
