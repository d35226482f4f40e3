// Scale-out: two `mailwarden detect` processes in one consumer group over
// 3-partition topics, each with its own embedded store, find the same
// findings (the union of their stores) as one process on the same input —
// including the detections keyed across hosts (per source origin, per mail
// domain) that only meet through the repartition topics, and those keyed per
// account. Real broker, real embedded ClickHouse, the built CLI.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { CliChild } from "./support/agent.js";
import {
  drained,
  joined,
  referenceFindings,
  replayInto,
  runNames,
  simulateSmallPlatform,
  startDetectorProcess,
  storedFindings,
  terminate,
  writeDetectorConfig,
} from "./support/detector.js";
import { testKafka } from "./support/kafka.js";

test("detect: two processes in one group find what one process finds", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mw-scale-"));
  const sim = join(dir, "sim");
  // One day: three detector processes share two cores with other work and must drain well inside the limit.
  await simulateSmallPlatform(sim, 1);
  const kafka = testKafka("scale-out");
  const single = runNames("one");
  const pair = runNames("two");

  // The detectors start before their input exists (as in production) and a
  // lane that stays quiet for the idle period is retired so it cannot hold
  // the others back; its later events are then evaluated late. Here no lane
  // with input may go quiet before it delivers: the idle period is longer
  // than the replay takes to reach every partition.
  const idle = 20;
  const oneConfig = writeDetectorConfig(dir, sim, single, "one", idle);
  const one = startDetectorProcess(oneConfig);
  const configs = ["a", "b"].map((name) => writeDetectorConfig(dir, sim, pair, name, idle));
  const two = configs.map(startDetectorProcess);
  t.after(() => {
    for (const child of [one, ...two]) child.kill("SIGKILL");
  });
  // Both members own their partitions before any input exists.
  await Promise.all([joined(kafka, single, 1, 60_000), joined(kafka, pair, 2, 60_000)]);
  await Promise.all([replayInto(sim, single.prefix), replayInto(sim, pair.prefix)]);
  await Promise.all([
    drained(kafka, single, 180_000, (idle + 8) * 1000),
    drained(kafka, pair, 180_000, (idle + 8) * 1000),
  ]);
  for (const child of [one, ...two]) assert.equal(await terminate(child), 0, child.stderrText().slice(-2000));

  const expected = storedFindings(oneConfig);
  const union = new Map<string, number>();
  for (const config of configs) {
    for (const [id, score] of storedFindings(config)) union.set(id, Math.max(score, union.get(id) ?? 0));
  }
  const detections = new Set([...expected.keys()].map((k) => k.split(" ")[0]));
  for (const keyedAcrossHosts of ["auth.bruteforce", "auth.stuffing", "auth.slow_distributed"]) {
    assert.ok(detections.has(keyedAcrossHosts), `the input produces ${keyedAcrossHosts}`);
  }
  // Each finds what the detector finds with every event in order (no lane quiet, nothing late).
  const reference = new Map([...(await referenceFindings(sim, oneConfig))].sort());
  const stopped = (c: CliChild) => c.stderrText().match(/.*"detector stopped".*/)?.[0];
  assert.deepEqual(new Map([...expected].sort()), reference, `one process: ${stopped(one)}`);
  assert.deepEqual(new Map([...union].sort()), reference, `two processes: ${two.map(stopped).join("\n")}`);
});
