import assert from "node:assert/strict";
import { test } from "node:test";
import { fail, login, MIN, range, run, T0 } from "../testing.js";
import { stuffingDetection } from "./stuffing.js";

test("positive: one source fails against 40 accounts in 8 minutes", () => {
  const events = range(40).map((i) => fail(T0 + i * 12_000, `user${i}@example.net`, "203.0.113.7"));
  const findings = run(stuffingDetection, events);
  assert.ok(findings.length >= 1);
  const [first] = findings;
  assert.equal(first?.entity, "203.0.113.7");
  assert.equal(first?.observed, 15, "fires at the threshold, within the attack");
  assert.equal(first?.ts, new Date(T0 + 14 * 12_000).toISOString());
  assert.ok(first && first.score >= 60 && first.evidence.length === 15);
  assert.match(first?.summary ?? "", /203\.0\.113\.7 \(AS64666, NL\) failed logins to 15 accounts/);
  // Re-fires only as it grows (30 = double the threshold), with the same id.
  assert.deepEqual(
    findings.map((f) => f.observed),
    [15, 30],
  );
  assert.equal(new Set(findings.map((f) => f.id)).size, 1);
});

test("negative: a few accounts from one source stay below the threshold", () => {
  const events = range(8).map((i) => fail(T0 + i * MIN, `user${i}@example.net`, "203.0.113.7"));
  assert.deepEqual(run(stuffingDetection, events), []);
});

test("negative: the same accounts spread over more than the window are separate episodes", () => {
  const events = range(30).map((i) => fail(T0 + i * 11 * MIN, `user${i}@example.net`, "203.0.113.7"));
  assert.deepEqual(run(stuffingDetection, events), []);
});

test("benign look-alike: a webmail proxy fronting many users (mostly successes)", () => {
  const events = range(60).flatMap((i) => [
    ...(i % 4 === 0 ? [fail(T0 + i * 5_000, `user${i}@example.net`, "198.51.100.10")] : []),
    login(T0 + i * 5_000 + 1000, `user${i}@example.net`, "198.51.100.10"),
  ]);
  assert.deepEqual(run(stuffingDetection, events), []);
});

test("benign look-alike: a user with a typo, then the right password", () => {
  const events = [
    fail(T0, "alice@example.net", "198.51.100.20"),
    fail(T0 + 5000, "alice@example.net", "198.51.100.20"),
    login(T0 + 9000, "alice@example.net", "198.51.100.20"),
  ];
  assert.deepEqual(run(stuffingDetection, events), []);
});

test("internal addresses are not stuffing sources", () => {
  const events = range(40).map((i) => fail(T0 + i * 1000, `user${i}@example.net`, "10.1.2.3"));
  assert.deepEqual(run(stuffingDetection, events), []);
});

test("positive: a login that succeeds from a source already caught stuffing is stolen credential use", () => {
  const events = [
    ...range(20).map((i) => fail(T0 + i * 10_000, `user${i}@example.net`, "203.0.113.7")),
    login(T0 + 21 * 10_000, "user99@example.net", "203.0.113.7"),
  ];
  const hits = run(stuffingDetection, events).filter((f) => f.stage === "stolen_credential_use");
  assert.equal(hits.length, 1);
  assert.equal(hits[0]?.entity, "user99@example.net");
  assert.equal(hits[0]?.src_ip, "203.0.113.7");
  assert.match(hits[0]?.summary ?? "", /user99@example\.net logged in successfully from 203\.0\.113\.7/);
});

test("negative: a success before the source was caught is not a hit", () => {
  const events = [
    login(T0, "user99@example.net", "203.0.113.7"),
    ...range(20).map((i) => fail(T0 + (i + 1) * 10_000, `user${i}@example.net`, "203.0.113.7")),
  ];
  assert.deepEqual(
    run(stuffingDetection, events).filter((f) => f.stage === "stolen_credential_use"),
    [],
  );
});
