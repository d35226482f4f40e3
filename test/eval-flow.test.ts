// The README's simulate → detect → replay → eval flow, with the built CLI as
// child processes against the real broker and the embedded store, at a small
// scale: the eval JSON is checked field by field against the issue's targets,
// and `eval --offline` (the detector in-process) must give the same JSON.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse, stringify } from "yaml";
import type { EvalResult } from "../simulator/eval.js";
import { CLI, exited } from "./support/agent.js";
import { brokers } from "./support/kafka.js";

const dir = mkdtempSync(join(tmpdir(), "mw-eval-flow-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const DAYS = 3;
/**
 * Time-to-detect targets (event time, seconds) by attack and stage, from the
 * issue; "span": while the stage lasts. The issue's 5 min for spray holds at
 * the default scale (8,000 sprayed accounts in 3 h); 1,000 accounts give 200,
 * and auth.spray's 50 accounts per hour take most of an hour to gather.
 */
const TTD: Record<string, Record<string, number | "span">> = {
  "kddi-breach": { credential_access: 60, exfiltration: 60 },
  stuffing: { credential_access: 300 },
  spray: { credential_access: "span" },
  "slow-distributed": { credential_access: 86_400 },
  "slow-exfil": { exfiltration: 86_400 },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, LOG_FORMAT: "json" },
  });
  assert.equal(r.status, 0, `mailwarden ${args[0]} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r;
}

/** Runs the CLI without blocking this process (whose fake API must answer it). */
function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: "pipe" });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

test("eval flow: simulate mixed, detect, replay, eval --json meets the targets", async (t) => {
  const began = Date.now();
  const lap = (what: string) => t.diagnostic(`${what} at ${((Date.now() - began) / 1000).toFixed(1)} s`);
  const sim = join(dir, "sim");
  cli([
    "simulate",
    "--scenario",
    "mixed",
    "--seed",
    "7",
    "--out",
    sim,
    "--hosts",
    "8",
    "--accounts",
    "1000",
    "--days",
    String(DAYS),
  ]);
  // The simulator's detector.yaml plus a deployment of its own: topics, consumer
  // groups, state, store and API port that no other test uses.
  const run = `mwtest-evalflow-${process.pid}`;
  const port = await freePort();
  const config = join(sim, "flow.yaml");
  const site = parse(readFileSync(join(sim, "detector.yaml"), "utf8"));
  writeFileSync(
    config,
    stringify({
      ...site,
      kafka: { brokers, topicPrefix: run, topics: { partitions: 3 } },
      store: { dataDir: join(dir, "data") },
      detector: { ...site.detector, groupId: run, stateDir: join(dir, "state"), checkpointSeconds: 5 },
      api: { ...site.api, port },
      log: { level: "warn" },
    }),
  );
  const detect = spawn(process.execPath, [CLI, "detect", "--config", config], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LOG_FORMAT: "json" },
  });
  let detectErr = "";
  detect.stderr.on("data", (d: Buffer) => {
    detectErr += d.toString();
  });
  try {
    lap("simulated");
    cli(["replay", sim, "--config", config]);
    lap("replayed");
    const r = cli(["eval", "--labels", join(sim, "labels.jsonl"), "--config", config, "--json", "--timeout", "90"]);
    lap("evaluated");
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as EvalResult;
    assert.match(r.stderr, /recall .* precision .* false incidents\/day/);

    assert.equal(result.days, DAYS);
    assert.equal(result.recall, 1, `every stage detected: ${JSON.stringify(result.attacks)}`);
    assert.ok(
      result.false_incidents_per_day <= 1,
      `at most one false incident per day: ${JSON.stringify(result.false_incidents)}`,
    );
    assert.ok(result.precision > 0 && result.precision <= 1, `precision ${result.precision}`);
    const scenarios = result.attacks.map((a) => a.attack).sort();
    assert.deepEqual(scenarios, [
      "agent-kill",
      "kddi-breach",
      "slow-distributed",
      "slow-exfil",
      "smtp-exfil",
      "spray",
      "stuffing",
    ]);
    for (const a of result.attacks) {
      for (const s of a.stages) {
        assert.ok(s.detected, `${a.attack} ${s.stage} detected`);
        assert.equal(typeof s.ttd_seconds, "number", `${a.attack} ${s.stage} has a time to detect`);
        assert.ok(s.detection, `${a.attack} ${s.stage} names the detection`);
        const target = TTD[a.attack]?.[s.stage];
        const limit = target === "span" ? (Date.parse(s.end) - Date.parse(s.start)) / 1000 : target;
        if (limit !== undefined) {
          assert.ok((s.ttd_seconds ?? Number.POSITIVE_INFINITY) <= limit, `${a.attack} ${s.stage}: ${s.ttd_seconds} s`);
        }
      }
    }
    assert.ok(result.benign_findings.length > 0, "the benign look-alikes are scored");
    assert.deepEqual(
      result.benign_findings.filter((b) => b.count !== 0),
      [],
      "no finding on a benign look-alike",
    );

    // The in-process pipeline (what scores platform-scale runs) finds what the deployed detector found.
    const offline = cli(["eval", "--offline", "--labels", join(sim, "labels.jsonl"), "--config", config, "--json"]);
    lap("evaluated offline");
    assert.deepEqual(JSON.parse(offline.stdout.trim().split("\n").at(-1) ?? "{}"), result);
  } finally {
    detect.kill("SIGTERM");
    assert.equal(await exited(detect), 0, detectErr.slice(-2000));
  }
});

test("eval: one line and exit 2 for user mistakes, exit 1 when the detector never passes the end", async () => {
  const labels = join(dir, "sim", "labels.jsonl");
  const lonely = join(dir, "lonely");
  mkdirSync(lonely);
  copyFileSync(labels, join(lonely, "labels.jsonl"));
  writeFileSync(join(lonely, "broken.jsonl"), "not json\n");
  // A detector API whose watermark never moves.
  const api = createHttpServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        watermarks: { events: null, sources: null },
        processed: {},
        buffered: 0,
        rekeyed: 0,
        emitted: 0,
        findings: 0,
        alerts: 0,
        archived: 0,
        late: 0,
      }),
    );
  });
  const port = await freePort();
  await new Promise<void>((resolve) => api.listen(port, "127.0.0.1", resolve));
  const noStore = { MAILWARDEN_DATA: join(dir, "no-store") };
  const cases: [string[], number, RegExp][] = [
    [["--labels", join(dir, "nosuch.jsonl")], 2, /^mailwarden: eval: labels file .* not found$/],
    [["--labels", join(lonely, "labels.jsonl")], 2, /^mailwarden: eval: cannot read .*manifest\.json/],
    [["--labels", join(lonely, "broken.jsonl")], 2, /^mailwarden: eval: .* is not a labels file/],
    [["--labels", labels, "--api", `http://127.0.0.1:${await freePort()}`], 2, /no detector API .* and no store at/],
    [["--labels", labels, "--timeout", "0"], 2, /--timeout must be a positive number/],
    [
      ["--labels", labels, "--api", `http://127.0.0.1:${port}`, "--timeout", "2"],
      1,
      /timed out after 2 s waiting for the detector's watermark to pass 2026-11-03T23:59:59\.\d+Z/,
    ],
  ];
  try {
    for (const [args, code, pattern] of cases) {
      const r = await cliAsync(["eval", ...args], noStore);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr.trim(), pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    }
  } finally {
    api.close();
  }
});
