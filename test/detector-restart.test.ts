// kill -9 of `mailwarden detect` in the middle of its input, then a restart:
// the checkpoint (state + offsets together) must bring it back to the same
// findings, ids and scores as a run that was never interrupted, and no alert
// may be sent twice. Real broker, real embedded ClickHouse, the built CLI.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  alertRecords,
  drained,
  killHard,
  lag,
  repeated,
  replayInto,
  runNames,
  simulateSmallPlatform,
  startDetectorProcess,
  storedFindings,
  terminate,
  writeDetectorConfig,
} from "./support/detector.js";
import { testKafka } from "./support/kafka.js";

test("detect: kill -9 mid-stream and restart → the same findings as an uninterrupted run, no alert twice", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mw-restart-"));
  const sim = join(dir, "sim");
  await simulateSmallPlatform(sim);
  const kafka = testKafka("restart");
  const reference = runNames("ref");
  const killed = runNames("kill");
  const [produced] = await Promise.all([replayInto(sim, reference.prefix), replayInto(sim, killed.prefix)]);
  assert.ok(produced > 10_000, `input replayed: ${produced}`);

  // The uninterrupted run.
  const refConfig = writeDetectorConfig(dir, sim, reference, "ref");
  const ref = startDetectorProcess(refConfig);
  t.after(() => ref.kill("SIGKILL"));
  await drained(kafka, reference, 180_000);
  assert.equal(await terminate(ref), 0, ref.stderrText().slice(-2000));

  // The same input, killed once the detector is well into it.
  const config = writeDetectorConfig(dir, sim, killed, "kill");
  let child = startDetectorProcess(config);
  t.after(() => child.kill("SIGKILL"));
  const total = await lag(kafka, killed);
  for (let behind = total; behind > total * 0.5; behind = await lag(kafka, killed)) {
    assert.equal(child.exitCode, null, child.stderrText().slice(-2000));
    await new Promise((r) => setTimeout(r, 200));
  }
  await killHard(child);
  assert.ok((await lag(kafka, killed)) > 0, "killed before the end of its input");
  child = startDetectorProcess(config);
  await drained(kafka, killed, 180_000);
  assert.match(child.stderrText(), /restored checkpoint/);
  assert.equal(await terminate(child), 0, child.stderrText().slice(-2000));

  const expected = storedFindings(refConfig);
  const actual = storedFindings(config);
  assert.ok(expected.size > 5, `the input produces findings: ${expected.size}`);
  assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()));

  const alerts = await alertRecords(kafka, killed.prefix);
  assert.deepEqual(repeated(alerts), [], "no alert repeated");
  const findingAlerts = new Set(alerts.filter((a) => a.startsWith("finding ")).map((a) => a.split(" ")[1]));
  assert.equal(findingAlerts.size, expected.size, "every finding alerted once");
});
