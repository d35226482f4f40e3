// One `mailwarden demo --json` run in a directory of its own, as a fixture:
// a store loaded through the real pipeline (broker → detector → embedded
// ClickHouse) with simulated events, findings and incidents, plus the
// simulator's ground truth. Tests that need realistic data in the store
// (forensics, dashboards) start from here rather than building their own.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Label } from "../../simulator/context.js";
import { type EvalResult, readLabels } from "../../simulator/eval.js";
import { CLI } from "./agent.js";

export interface DemoRun {
  /** The demo's working directory. */
  cwd: string;
  /** The embedded store's data directory (pass as `store.dataDir` or `MAILWARDEN_DATA`). */
  dataDir: string;
  /** The simulated logs, `labels.jsonl`, `manifest.json`, `networks.json`. */
  simDir: string;
  labels: Label[];
  result: EvalResult;
  stderr: string;
}

/** Runs the demo (≈ 1 min on two cores); throws with its stderr's tail if it fails. */
export function runDemo(args: string[] = []): DemoRun {
  const cwd = mkdtempSync(join(tmpdir(), "mw-demo-"));
  const r = spawnSync(process.execPath, [CLI, "demo", "--json", ...args], {
    cwd,
    encoding: "utf8",
    timeout: 300_000,
    env: { ...process.env, LOG_FORMAT: "json", MAILWARDEN_DATA: join(cwd, "data") },
  });
  if (r.status !== 0) throw new Error(`demo exited ${r.status}: ${r.stderr.slice(-3000)}`);
  const runs = readdirSync(join(cwd, "demo-runs"));
  if (runs.length !== 1) throw new Error(`expected one demo run in ${cwd}, found ${runs.length}`);
  const simDir = join(cwd, "demo-runs", runs[0] as string, "sim");
  return {
    cwd,
    dataDir: join(cwd, "data"),
    simDir,
    labels: readLabels(join(simDir, "labels.jsonl")),
    result: JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as EvalResult,
    stderr: r.stderr,
  };
}
