// `mailwarden eval --labels FILE [--json]`: scores what the detector found
// against the simulator's ground truth. The manifest beside the labels says
// where the data ends; eval asks the running detector's API until its
// watermark has passed that point and its stages are idle, then reads the
// findings and incidents of the simulated span and prints the table (stderr)
// and, with --json, one JSON object (stdout). With no detector listening it
// reads the store directly: whatever is there is final.
//
// With --offline no detector is involved: the directory beside the labels is
// read through the agent's parsers into the detection engines and the
// correlator in this process (detector/service/in-process.ts), with the
// detector config's settings: a platform-scale simulation (tens of millions
// of lines) is scored on one core, without a broker round trip per event.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { mergedEvents, planReplay, REPLAY_HEARTBEAT_SECONDS } from "../../collectors/replay/replay.js";
import type { DetectorConfig } from "../../config/roles.js";
import { resolveApiTokens } from "../../detector/api/config.js";
import type { Finding } from "../../detector/core/finding.js";
import type { NetworkInfo } from "../../detector/core/networks.js";
import type { Incident } from "../../detector/correlator/correlator.js";
import { detectInProcess } from "../../detector/service/in-process.js";
import { configuredNetworks } from "../../detector/service/networks-config.js";
import type { DetectorStatus } from "../../detector/service/service.js";
import { firstLine, openStore } from "../../detector/store/client.js";
import type { Label } from "../../simulator/context.js";
import { evaluate, formatEval, readLabels } from "../../simulator/eval.js";
import type { Manifest } from "../../simulator/simulate.js";
import { ApiClient, ApiUnreachable } from "../api-client.js";
import { loadDetectorConfig } from "../detector-config.js";
import { UserError } from "../errors.js";
import { replayProgress } from "../replay-progress.js";
import { readResults } from "./demo.js";

interface EvalOptions {
  labels: string;
  json?: boolean;
  offline?: boolean;
  config?: string;
  api?: string;
  timeout: string;
}

/** Findings after the data's end come only from its last hour (a slow attack caught as it closes). */
const AFTER_END_MS = 3_600_000;
const POLL_MS = 1000;

type ApiStatus = Omit<DetectorStatus, "watermarks"> & { watermarks: { events: string | null; sources: string | null } };

interface Results {
  findings: Finding[];
  incidents: Incident[];
}

const say = (s: string) => process.stderr.write(`${s}\n`);

function readManifest(labels: string): Manifest {
  const file = join(dirname(labels), "manifest.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Manifest;
  } catch (e) {
    throw new UserError(
      `eval: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? firstLine(e)}): it says where the data ends; keep it beside the labels (mailwarden simulate writes both)`,
    );
  }
}

/**
 * The newest log line: replay's heartbeats run on to the manifest's end only
 * when their interval divides it, the logs themselves stop at their last line.
 */
function dataEnd(m: Manifest): number {
  const lasts = Object.values(m.hosts).flatMap((h) => h.files.flatMap((f) => (f.last ? [Date.parse(f.last)] : [])));
  return lasts.length > 0 ? Math.max(...lasts) : Date.parse(m.end);
}

function labelsOf(file: string): Label[] {
  try {
    return readLabels(file);
  } catch (e) {
    throw new UserError(`eval: ${file} is not a labels file (JSON Lines): ${firstLine(e)}`);
  }
}

/** The detector has evaluated everything up to `end` and nothing is in flight between its stages. */
function caughtUp(s: ApiStatus, end: number): boolean {
  const wm = s.watermarks.events === null ? Number.NEGATIVE_INFINITY : Date.parse(s.watermarks.events);
  return wm >= end && s.buffered === 0 && (s.processed["detect-sources"] ?? 0) >= s.rekeyed && s.findings >= s.emitted;
}

/** Polls until caught up on two polls in a row with nothing consumed in between (a batch may be mid-write). */
async function waitForDetector(api: ApiClient, end: number, timeoutMs: number): Promise<ApiStatus> {
  const deadline = Date.now() + timeoutMs;
  let previous = "";
  let s = await api.get<ApiStatus>("/api/v1/status");
  for (;;) {
    const counts = JSON.stringify(s.processed);
    if (caughtUp(s, end) && counts === previous) return s;
    previous = caughtUp(s, end) ? counts : "";
    if (Date.now() > deadline) {
      throw new UserError(
        `eval: timed out after ${timeoutMs / 1000} s waiting for the detector's watermark to pass ${new Date(end).toISOString()} with its stages idle (watermark ${s.watermarks.events ?? "none"}, buffered ${s.buffered}, findings ${s.findings}/${s.emitted}): was the directory replayed into this detector's topics?`,
        1,
      );
    }
    await sleep(POLL_MS);
    s = await api.get<ApiStatus>("/api/v1/status");
  }
}

async function fromApi(api: ApiClient, from: number, to: number): Promise<Results> {
  const span = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const [findings, incidents] = await Promise.all([
    api.all<Finding>("/api/v1/alerts", span),
    api.all<Incident>("/api/v1/incidents", span),
  ]);
  return { findings, incidents };
}

/** From the detector's API once it has caught up, else from the store as it is. */
async function fromDetector(
  opts: EvalOptions,
  cfg: DetectorConfig,
  end: number,
  timeoutMs: number,
  from: number,
  to: number,
): Promise<Results> {
  const token = process.env.MAILWARDEN_API_TOKEN || resolveApiTokens(cfg.api)[0]?.token;
  const api = new ApiClient(opts.api ?? `http://${cfg.api.host}:${cfg.api.port}`, token);
  try {
    const s = await waitForDetector(api, end, timeoutMs);
    // Late events were evaluated out of order: a replay would not give the same findings.
    say(`eval: the detector at ${api.base} has evaluated up to ${s.watermarks.events} (${s.late} events late)`);
    return await fromApi(api, from, to);
  } catch (e) {
    if (!(e instanceof ApiUnreachable)) throw e;
    return await fromStore(cfg, e.message);
  }
}

async function fromStore(cfg: DetectorConfig, reason: string): Promise<Results> {
  if (!cfg.store.url && !existsSync(cfg.store.dataDir)) {
    throw new UserError(
      `eval: no detector API (${reason}) and no store at ${cfg.store.dataDir}: is mailwarden detect running?`,
    );
  }
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(cfg.store);
  } catch (e) {
    throw new UserError(`eval: no detector API (${reason}), and ${(e as Error).message}`);
  }
  say(`eval: no detector API (${reason}): reading the store at ${store.location} as it is`);
  try {
    return await readResults(store, 0);
  } finally {
    await store.close();
  }
}

/** The detector run in this process over the logs in `dir`, with a progress bar on a terminal. */
async function inProcess(dir: string, cfg: DetectorConfig, networks: NetworkInfo): Promise<Results> {
  const plan = planReplay(dir);
  const bar = replayProgress("eval --offline", plan.bytes, process.stderr.isTTY);
  const merged = mergedEvents(plan, { heartbeatSeconds: REPLAY_HEARTBEAT_SECONDS, onBytes: bar.onBytes });
  const started = Date.now();
  let r: Results;
  try {
    r = await detectInProcess(cfg.detector, networks, merged.events);
  } finally {
    bar.done();
  }
  const s = merged.stats();
  const skipped = Object.entries(s.skipped).map(([k, v]) => `${k}=${v}`);
  say(
    `eval: ${s.lines} lines, ${s.events} events + ${s.heartbeats} heartbeats evaluated in this process in ${((Date.now() - started) / 1000).toFixed(1)} s${skipped.length ? `; skipped ${skipped.join(", ")}` : ""}`,
  );
  return r;
}

/** Only what happened in the simulated span: a shared store may hold other runs. */
function within(r: Results, from: number, to: number): Results {
  const findings = r.findings.filter((f) => Date.parse(f.ts) >= from && Date.parse(f.ts) < to);
  const ids = new Set(findings.map((f) => f.id));
  return { findings, incidents: r.incidents.filter((i) => i.finding_ids.some((id) => ids.has(id))) };
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("score the detector's findings and incidents against the simulator's ground truth")
    .requiredOption("--labels <file>", "labels.jsonl of a simulated run (its manifest.json beside it)")
    .option("--json", "also print the evaluation as one JSON object on stdout")
    .option(
      "--config <file>",
      "detector YAML: API address and tokens, store (default: detector.yaml beside the labels)",
    )
    .option(
      "--offline",
      "no detector: run the detections and the correlator in this process over the logs beside the labels",
    )
    .option("--api <url>", "the detector API's address (default: api.host and api.port of the config)")
    .option("--timeout <seconds>", "how long to wait for the detector to pass the end of the data", "600")
    .action(async (opts: EvalOptions) => {
      const timeout = Number(opts.timeout);
      if (!(timeout > 0))
        throw new UserError(`eval: --timeout must be a positive number of seconds, not '${opts.timeout}'`);
      if (!existsSync(opts.labels)) throw new UserError(`eval: labels file ${opts.labels} not found`);
      const labels = labelsOf(opts.labels);
      const manifest = readManifest(opts.labels);
      const beside = join(dirname(opts.labels), "detector.yaml");
      const cfg = loadDetectorConfig(opts.config ?? (existsSync(beside) ? beside : undefined));
      cfg.detector.networks.asnTable ??= join(dirname(opts.labels), manifest.networks);
      const networks = configuredNetworks(cfg.detector.networks);

      const from = Date.parse(manifest.start);
      const to = Date.parse(manifest.end) + AFTER_END_MS;
      const results = opts.offline
        ? await inProcess(dirname(opts.labels), cfg, networks)
        : await fromDetector(opts, cfg, dataEnd(manifest), timeout * 1000, from, to);
      const { findings, incidents } = within(results, from, to);
      const result = evaluate(labels, findings, incidents, { days: manifest.scale.days, networks });
      say(formatEval(result));
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
