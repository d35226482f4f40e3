import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, fail, HOUR, login, MIN, range, run, runResumed, T0 } from "../testing.js";
import { bruteforceDetection } from "./bruteforce.js";

const acct = (i: number) => `user${i}@example.net`;

test("positive: one address, 120 failures in 8 minutes against 30 accounts", () => {
  const events = range(120).map((i) => fail(T0 + i * 4000, acct(i % 30), "203.0.113.7"));
  const findings = run(bruteforceDetection, events);
  assert.deepEqual(
    findings.map((f) => [f.entity, f.observed]),
    [
      ["203.0.113.7", 50],
      ["203.0.113.7", 100],
    ],
    "the address only: one address is not a rotation inside its /24 or ASN",
  );
  const [f] = findings;
  assert.equal(f?.entity_type, "src_ip");
  assert.equal(f?.ts, new Date(T0 + 49 * 4000).toISOString());
  assert.equal(f?.expected, 50);
  assert.equal(f?.evidence.length, 50);
  assert.equal(f?.severity, "medium");
  assert.equal(new Set(findings.map((x) => x.id)).size, 1);
  assert.equal(
    f?.summary,
    "203.0.113.7 (AS64666, NL): 50 failed logins in 10 min against 8+ accounts, 0 successes (no history, threshold 50)",
  );
});

test("positive: rotation inside a /24 — 40 addresses, 4 failures each, adds up at the network level", () => {
  const events = range(160).map((i) => fail(T0 + i * 3000, acct(i), `203.0.113.${10 + (i % 40)}`));
  const findings = run(bruteforceDetection, events);
  assert.deepEqual(
    findings.map((f) => [f.entity_type, f.entity, f.observed]),
    [["src_net", "203.0.113.0/24", 100]],
  );
  assert.match(
    findings[0]?.summary ?? "",
    /^203\.0\.113\.0\/24 \(AS64666, NL\): 100 failed logins in 10 min from 8\+ addresses/,
  );
});

test("positive: rotation across a provider — 400 failures from 200 /24s of one ASN", () => {
  const events = range(400).map((i) => fail(T0 + i * 1200, acct(i), `100.64.${i % 200}.${1 + (i % 7)}`));
  const findings = run(bruteforceDetection, events);
  assert.deepEqual(
    findings.map((f) => [f.entity_type, f.entity, f.observed]),
    [["asn", "AS64777", 300]],
  );
  assert.match(findings[0]?.summary ?? "", /^AS64777 \(US, Cloud C\): 300 failed logins/);
});

test("positive: sustained guessing below any 10-minute threshold, across accounts, for a day", () => {
  // One attempt every 6 minutes, rotating over 10 accounts: 10 per hour.
  const events = range(24 * 10).map((i) => fail(T0 + i * 6 * MIN, acct(i % 10), "203.0.113.66"));
  const findings = run(bruteforceDetection, events);
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.details?.path, "sustained");
  assert.equal(f?.observed, 150);
  assert.equal(f?.ts, new Date(T0 + 149 * 6 * MIN).toISOString());
  assert.match(f?.summary ?? "", /203\.0\.113\.66 \(AS64666, NL\): 150 failed logins in 15 h against 8\+ accounts/);
});

test("negative: 30 failures in 10 minutes from one address", () => {
  const events = range(30).map((i) => fail(T0 + i * 20_000, acct(i), "203.0.113.7"));
  assert.deepEqual(run(bruteforceDetection, events), []);
});

test("benign look-alike: a stale-password client retrying all night, every night, from one home address (plus the family's typos)", () => {
  // One account, one attempt every 3 minutes from 22:00 to 07:00, for a week:
  // 180 failures a night, forever. The rate never reaches a burst, and with
  // the family's typos there are 5 accounts in a day, but one of them draws
  // nearly all the attempts: not a sustained attack either (without the
  // top-account share rule this would fire the first night).
  const events: MailEvent[] = [];
  for (let d = 0; d < 7; d++) {
    for (let t = T0 + d * DAY + 22 * HOUR; t < T0 + d * DAY + 31 * HOUR; t += 3 * MIN) {
      events.push(fail(t, "grandma@example.net", "198.51.100.20"));
    }
    // The household's other devices work fine; the rest of the family mistypes now and then.
    events.push(login(T0 + d * DAY + 9 * HOUR, "grandma@example.net", "198.51.100.20"));
    for (const [k, who] of ["mum", "dad", "kid1", "kid2"].entries()) {
      events.push(fail(T0 + d * DAY + (10 + k) * HOUR, `${who}@example.net`, "198.51.100.20"));
    }
  }
  events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  assert.deepEqual(run(bruteforceDetection, events), []);
  assert.equal(run(bruteforceDetection, events, { maxTopAccountShare: 1 }).length, 1, "what the share rule prevents");
});

test("benign look-alike: monitoring probes logging in every minute", () => {
  const events = range(3 * 24 * 60).flatMap((m) => [
    login(T0 + m * MIN, "monitor@example.net", "198.51.100.140"),
    login(T0 + m * MIN + 20_000, "monitor@example.net", "198.51.100.140", { proto: "submission" }),
  ]);
  assert.deepEqual(run(bruteforceDetection, events), []);
});

test("benign look-alike: a NAT gateway with many users, some failing", () => {
  const events = range(600).flatMap((i) => [
    ...(i % 5 === 0 ? range(2).map((k) => fail(T0 + i * 1000 + k, acct(i % 40), "198.51.100.99")) : []),
    login(T0 + i * 1000 + 500, acct(i % 40), "198.51.100.99"),
  ]);
  assert.deepEqual(run(bruteforceDetection, events), []);
});

test("internal addresses are not brute-force sources", () => {
  const events = range(200).map((i) => fail(T0 + i * 1000, acct(i), "10.1.2.3"));
  assert.deepEqual(run(bruteforceDetection, events), []);
});

test("baselined: a source with history is judged by it, below and above the absolute threshold", () => {
  // Two days of a stale client (one account, 2 per 10 min): the address is
  // warm with a usual peak of ~2, so 25 failures over 5 accounts now stand out
  // (threshold: the floor, 20) though a cold address would need 50.
  const stale = range(2 * 24 * 12).map((i) => fail(T0 + i * 5 * MIN, "grandma@example.net", "198.51.100.20"));
  const burst = range(25).map((i) => fail(T0 + 2 * DAY + 2 * MIN + i * 10_000, acct(i % 5), "198.51.100.20"));
  const findings = run(bruteforceDetection, [...stale, ...burst]);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.observed, 20);
  assert.equal(findings[0]?.expected, 20);
  assert.match(findings[0]?.summary ?? "", /usual peak 2 per 10 min, threshold 20/);
  // A partner relay failing ~60 per 10 minutes over a few accounts for two
  // days: fires while cold, then its own history says 60-70 is normal.
  const relay = range(2 * 24 * 6 + 12).flatMap((w) =>
    range(60 + (w % 10)).map((k) => fail(T0 + w * 10 * MIN + k * 9000, acct(k % 5), "203.0.113.200")),
  );
  const relayFindings = run(bruteforceDetection, relay);
  assert.ok(relayFindings.length > 0);
  assert.ok(
    relayFindings.every((f) => Date.parse(f.ts) < T0 + DAY + HOUR),
    "nothing once the relay's day of history is there",
  );
});

test("snapshot mid-stream: a restored engine finds the same as an uninterrupted one", () => {
  const events = [
    ...range(2 * 24 * 12).map((i) => fail(T0 + i * 5 * MIN, "grandma@example.net", "198.51.100.20")),
    ...range(30).map((i) => fail(T0 + 2 * DAY + 2 * MIN + i * 10_000, acct(i % 5), "198.51.100.20")),
    ...range(160).map((i) => fail(T0 + 2 * DAY + i * 3000, acct(i), `203.0.113.${10 + (i % 40)}`)),
    ...range(240).map((i) => fail(T0 + 3 * DAY + i * 6 * MIN, acct(i % 10), "203.0.113.66")),
  ].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const whole = run(bruteforceDetection, events);
  assert.ok(whole.length >= 3);
  for (const split of [600, 700, events.length - 100]) {
    assert.deepEqual(runResumed([bruteforceDetection], events, split), whole);
  }
});
