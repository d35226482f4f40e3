import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, fail, HOUR, login, MIN, range, runAll, runResumed, T0 } from "../testing.js";
import { slowDistributedDetection } from "./slow-distributed.js";
import { takeoverDetection } from "./takeover.js";

// Reads the account-origins enricher's attributes, which auth.takeover declares.
const DETECTIONS = [takeoverDetection, slowDistributedDetection];
const slowOnly = (events: MailEvent[]) =>
  runAll(DETECTIONS, events).filter((f) => f.detection === "auth.slow_distributed");

const VICTIM = "alice@example.net";
/** Three days of ordinary logins from home (AS64501) and the phone (AS64502). */
const history = (user = VICTIM): MailEvent[] =>
  range(3 * 8).flatMap((k) => [
    login(T0 + k * 3 * HOUR, user, "198.51.100.20"),
    login(T0 + k * 3 * HOUR + 600_000, user, "192.0.2.33"),
  ]);
const START = T0 + 4 * DAY;
/** An always-new botnet address: a different /24 (and provider) every time. */
const bot = (i: number) => `${11 + (i % 80)}.${(i * 37) % 250}.${(i * 11) % 250}.${1 + (i % 200)}`;

test("positive: one attempt every 5 minutes from always-new addresses is caught within hours", () => {
  const events = [...history(), ...range(12 * 24).map((i) => fail(START + i * 5 * MIN, VICTIM, bot(i)))];
  const findings = slowOnly(events);
  assert.ok(findings.length >= 1);
  const [f] = findings;
  assert.equal(f?.entity, VICTIM);
  assert.equal(f?.entity_type, "user");
  assert.equal(f?.observed, 20);
  assert.ok(Date.parse(f?.ts ?? "") - START < 24 * HOUR, "within 24 h of the start");
  assert.equal(f?.ts, new Date(START + 19 * 5 * MIN).toISOString());
  assert.equal(f?.window_start, new Date(START).toISOString());
  assert.ok(f && f.evidence.length > 0 && f.severity === "medium");
  assert.equal(
    f?.summary,
    "alice@example.net: failed logins from 20 networks (20 providers) in 2 h, 1 attempt each (never more than 2); usual networks among them: 0 (threshold 20 networks per 7 days)",
  );
  // It goes on all day: one episode, re-reported as it doubles, up to what
  // the exact tier holds (2 × minNetworks networks, then "40+").
  assert.deepEqual(
    findings.map((x) => [x.observed, x.id]),
    [
      [20, f?.id],
      [40, f?.id],
    ],
  );
  assert.match(findings[1]?.summary ?? "", /from 40\+ networks/);
});

test("positive: much slower — one attempt every 6 hours, over a week", () => {
  const events = [...history(), ...range(28).map((i) => fail(START + i * 6 * HOUR, VICTIM, bot(i), 1 + (i % 2)))];
  const findings = slowOnly(events);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.summary ?? "",
    /from 20 networks \(20 providers\) in 5 days, 1\.5 attempts each on average/,
  );
});

test("negative: 15 networks in a week", () => {
  const events = [...history(), ...range(15).map((i) => fail(START + i * 10 * HOUR, VICTIM, bot(i)))];
  assert.deepEqual(slowOnly(events), []);
});

test("negative: the same 20 networks spread over more than the window", () => {
  const events = [...history(), ...range(20).map((i) => fail(START + i * 9 * HOUR, VICTIM, bot(i)))];
  assert.deepEqual(slowOnly(events), []);
});

test("negative: networks with more than 2 attempts each are not low-and-slow (brute force's)", () => {
  const events = [
    ...history(),
    ...range(25).flatMap((i) => range(4).map((k) => fail(START + i * HOUR + k * MIN, VICTIM, bot(i)))),
  ];
  assert.deepEqual(slowOnly(events), []);
});

test("benign look-alike: a phone retrying with typos from its carrier's rotating addresses", () => {
  // 40 /24s of one carrier ASN (AS64777 plays the carrier here), one or two
  // attempts each over two days: many networks, one provider.
  const events = () => [
    ...history(),
    ...range(40).map((i) => fail(START + i * 70 * MIN, VICTIM, `100.64.${i * 3}.${1 + i}`, 1 + (i % 2))),
  ];
  assert.deepEqual(slowOnly(events()), []);
  const withoutProviderRules = runAll(
    [takeoverDetection, [slowDistributedDetection, { minOrigins: 1, maxOriginShare: 1 }]],
    events(),
  ).filter((f) => f.detection === "auth.slow_distributed");
  assert.ok(withoutProviderRules.length > 0, "what the provider rules prevent");
});

test("benign look-alike: failures from the account's own networks do not count", () => {
  // The phone has logged in from its carrier (AS64777) for days; now a stale
  // app on it fails from 40 of the carrier's /24s. Even with the provider
  // rules switched off, the known origin keeps them out of the count.
  const loose = { minOrigins: 1, maxOriginShare: 1 };
  const events = () => [
    ...range(3 * 8).map((k) => login(T0 + k * 3 * HOUR, VICTIM, `100.64.${k}.7`)),
    ...range(40).map((i) => fail(START + i * 30 * MIN, VICTIM, `100.64.${100 + i}.${1 + i}`)),
  ];
  assert.deepEqual(
    runAll([takeoverDetection, [slowDistributedDetection, loose]], events()).filter(
      (f) => f.detection === "auth.slow_distributed",
    ),
    [],
  );
  assert.ok(runAll([[slowDistributedDetection, loose]], events()).length > 0, "what the known origin prevents");
});

test("the compact tier holds accounts touched once or twice (a spray over 5000 accounts) without findings", () => {
  const events = range(5000).map((i) => fail(START + i * 1000, `user${i}@example.net`, bot(i)));
  assert.deepEqual(slowOnly(events), []);
});

test("snapshot mid-stream: a restored engine finds the same as an uninterrupted one", () => {
  const events = [
    ...history(),
    ...history("bob@example.net"),
    ...range(30).map((i) => fail(START + i * 40 * MIN, VICTIM, bot(i))),
    ...range(90).map((i) => fail(START + i * 15 * MIN, "bob@example.net", bot(i + 500))),
    ...range(300).map((i) => fail(START + i * 1000, `user${i}@example.net`, bot(i))),
  ];
  const whole = runAll(DETECTIONS, events);
  assert.equal(whole.filter((f) => f.detection === "auth.slow_distributed").length, 3, "alice at 20, bob at 20 and 40");
  for (const split of [events.length - 400, events.length - 100, events.length - 5]) {
    assert.deepEqual(runResumed(DETECTIONS, events, split), whole);
  }
});
