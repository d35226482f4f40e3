// End to end as a new user meets it: `mailwarden demo --json` simulates a
// platform with the breach, replays it into the real broker, runs the
// detector on the embedded store and scores the findings against the labels.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDemo } from "./support/demo-run.js";

test("demo: the breach's credential dump and exfiltration are caught within 60 s, no benign look-alike fires", () => {
  const { result, stderr } = runDemo(["--accounts", "1000", "--days", "3"]);
  for (const field of ["recall", "precision", "false_incidents_per_day", "days", "attacks", "benign_findings"]) {
    assert.ok(field in result, `eval JSON has ${field}`);
  }
  assert.equal(result.days, 3);
  const kddi = result.attacks.find((a) => a.attack === "kddi-breach");
  assert.ok(kddi, "the kddi-breach attack is scored");
  const stage = (name: string) => kddi.stages.find((s) => s.stage === name);
  for (const name of ["credential_access", "exfiltration"]) {
    const s = stage(name);
    assert.ok(s?.detected, `${name} detected`);
    assert.ok((s?.ttd_seconds ?? Number.POSITIVE_INFINITY) <= 60, `${name} within 60 s: ${s?.ttd_seconds}`);
  }
  assert.ok(stage("initial_access")?.detected, "initial access detected");
  assert.deepEqual(
    result.benign_findings.filter((b) => b.count > 0),
    [],
    "no finding on a benign look-alike",
  );
  // The target is ≤ 1/day at the default scale (still open); a small 3-day run is held to ≤ 3/day.
  assert.ok(
    result.false_incidents_per_day <= 3,
    `false incidents per day ${result.false_incidents_per_day}: ${JSON.stringify(result.false_incidents)}`,
  );
  assert.match(stderr, /recall .* precision .* false incidents\/day/);
});
