import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, fail, HOUR, login, MIN, range, runAll, runResumed, T0 } from "../testing.js";
import { takeoverDetection } from "./takeover.js";

/** Three days of ordinary use: 6 logins a day from home (AS64501) — enough to be warm. */
function history(users: string[], home = (_i: number) => `198.51.100.${20 + (_i % 200)}`): MailEvent[] {
  return users.flatMap((u, i) =>
    range(3 * 6).map((k) => login(T0 + Math.floor(k / 6) * DAY + (k % 6) * 3 * HOUR + i * 1000, u, home(i))),
  );
}
const users = (n: number, prefix = "user") => range(n).map((i) => `${prefix}${i}@example.net`);
const ATTACK = T0 + 4 * DAY;

test("positive: seven established accounts log in from a hosting network new to each of them", () => {
  const victims = users(7);
  const events = [...history(victims), ...victims.map((u, i) => login(ATTACK + i * 4 * MIN, u, `203.0.113.${10 + i}`))];
  const findings = runAll([takeoverDetection], events);
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.entity, "AS64666");
  assert.equal(f?.entity_type, "asn");
  assert.equal(f?.observed, 5, "fires at the threshold, within the attack");
  assert.equal(f?.ts, new Date(ATTACK + 16 * MIN).toISOString());
  assert.equal(f?.window_start, new Date(ATTACK).toISOString());
  assert.equal(f?.evidence.length, 5);
  assert.ok(f && f.score >= 70 && f.severity === "high");
  assert.match(
    f?.summary ?? "",
    /^AS64666 \(NL, Bulletproof Hosting\): 5 established accounts logged in successfully from this network, new for each of them, within 16 min/,
  );
});

test("positive: a guess that worked — six failures from a new network, then success from there", () => {
  const events = [
    ...history(["alice@example.net"]),
    ...range(6).map((i) => fail(ATTACK + i * MIN, "alice@example.net", "100.64.7.7")),
    login(ATTACK + 7 * MIN, "alice@example.net", "100.64.7.7"),
  ];
  const findings = runAll([takeoverDetection], events);
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.entity_type, "user");
  assert.equal(f?.entity, "alice@example.net");
  assert.equal(f?.observed, 6);
  assert.equal(f?.window_start, new Date(ATTACK).toISOString());
  assert.equal(f?.details?.pattern, "guess_then_success");
  assert.match(
    f?.summary ?? "",
    /^alice@example.net logged in from 100\.64\.7\.7 \(AS64777, US\), a network new for the account, after 6 failed attempts from there since 00:00 UTC/,
  );
});

test("negative: four accounts from a new network, and two failures before a new-network success", () => {
  const four = users(4);
  const events = [
    ...history([...four, "bob@example.net"]),
    ...four.map((u, i) => login(ATTACK + i * MIN, u, `203.0.113.${10 + i}`)),
    fail(ATTACK, "bob@example.net", "100.64.7.7"),
    fail(ATTACK + MIN, "bob@example.net", "100.64.7.7"),
    login(ATTACK + 2 * MIN, "bob@example.net", "100.64.7.7"),
  ];
  assert.deepEqual(runAll([takeoverDetection], events), []);
});

test("negative: the same logins spread over more than the window are separate episodes", () => {
  const victims = users(10);
  const events = [...history(victims), ...victims.map((u, i) => login(ATTACK + i * 20 * MIN, u, "203.0.113.10"))];
  assert.deepEqual(runAll([takeoverDetection], events), []);
});

test("benign look-alike: a user travelling abroad (one account, new country, no failures)", () => {
  const events = [
    ...history(["carol@example.net"]),
    ...range(12).map((i) => login(ATTACK + i * 10 * MIN, "carol@example.net", "203.0.113.50")),
  ];
  assert.deepEqual(runAll([takeoverDetection], events), []);
});

test("benign look-alike: new accounts' first logins (cold), even after some failures", () => {
  const fresh = users(20, "new");
  const events = fresh.flatMap((u, i) => [
    ...range(6).map((k) => fail(ATTACK + i * MIN + k * 1000, u, "203.0.113.77")),
    login(ATTACK + i * MIN + 30_000, u, "203.0.113.77"),
    login(ATTACK + i * MIN + 40_000, u, `100.64.${i}.1`),
  ]);
  assert.deepEqual(runAll([takeoverDetection], events), []);
});

test("benign look-alike: monitoring probes logging in every minute", () => {
  const probes = users(10, "probe");
  const events = range(3 * 24 * 60).flatMap((m) =>
    probes.map((p, i) => login(T0 + m * MIN + i * 100, p, "198.51.100.140")),
  );
  assert.deepEqual(runAll([takeoverDetection], events), []);
});

test("baselined: an origin where established accounts routinely show up for the first time needs more", () => {
  // A carrier (AS64777) new subscribers move to: ~6 established accounts a day
  // find it for the first time, every day; then 8 in one hour is ordinary-ish,
  // 40 is not.
  const pool = users(400);
  const events: MailEvent[] = [...history(pool)];
  let next = 0;
  for (let d = 3; d < 10; d++) {
    for (let k = 0; k < 24; k++) {
      const u = pool[next++] as string;
      events.push(login(T0 + d * DAY + k * HOUR + 5 * MIN, u, `100.64.${next % 250}.1`));
    }
  }
  const quietDays = runAll([takeoverDetection], events);
  assert.deepEqual(
    quietDays.filter((f) => f.ts > new Date(T0 + 5 * DAY).toISOString()),
    [],
    "once warm, one a hour is its normal",
  );
  const burst = range(40).map((i) => login(T0 + 10 * DAY + i * MIN, pool[next + i] as string, `100.64.${i}.9`));
  const findings = runAll([takeoverDetection], [...events, ...burst]).filter(
    (f) => f.ts >= new Date(T0 + 10 * DAY).toISOString(),
  );
  assert.ok(findings.length >= 1);
  const [f] = findings;
  assert.equal(f?.expected, 7, "the threshold is the origin's own: median 1 + 6 × MAD floor 1");
  assert.equal(f?.observed, 7);
  assert.equal(new Set(findings.map((x) => x.id)).size, 1, "one episode, rising");
  assert.match(f?.summary ?? "", /within \d+ min \(threshold 7 per 60 min\)/);
  assert.ok(Date.parse(f?.window_start ?? "") >= T0 + 10 * DAY - HOUR, "the window, not the whole week");
});

test("snapshot mid-stream: a restored engine finds the same as an uninterrupted one", () => {
  const victims = users(12);
  const events = [
    ...history([...victims, "alice@example.net"]),
    ...victims.map((u, i) => login(ATTACK + i * 3 * MIN, u, `203.0.113.${10 + i}`)),
    ...range(6).map((i) => fail(ATTACK + i * MIN, "alice@example.net", "100.64.7.7")),
    login(ATTACK + 7 * MIN, "alice@example.net", "100.64.7.7"),
  ];
  const whole = runAll([takeoverDetection], events);
  assert.equal(whole.length, 3, "mass login at 5 and 10, guess then success");
  for (const split of [events.length - 10, events.length - 4, Math.floor(events.length / 2)]) {
    assert.deepEqual(runResumed([takeoverDetection], events, split), whole);
  }
});
