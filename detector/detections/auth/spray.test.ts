import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, fail, HOUR, login, MIN, range, runAll, runResumed, T0 } from "../testing.js";
import { sprayDetection } from "./spray.js";
import { takeoverDetection } from "./takeover.js";

// Spray reads the account-origins enricher's attributes, which auth.takeover declares.
const DETECTIONS = [takeoverDetection, sprayDetection];
const sprayOnly = (events: MailEvent[]) => runAll(DETECTIONS, events).filter((f) => f.detection === "auth.spray");

const acct = (i: number, domain = "example.net") => `user${i}@${domain}`;
/** A subscriber's home network: 40 different /24s of providers the ASN table does not know. */
const home = (i: number) => `60.70.${i % 40}.${1 + (i % 200)}`;
/** Three days of ordinary logins from home. */
const history = (n: number): MailEvent[] =>
  range(n).flatMap((i) => range(3 * 4).map((k) => login(T0 + k * 6 * HOUR + i * 1000, acct(i), home(i))));
const ATTACK = T0 + 4 * DAY;
/** A sprayer's addresses: 25 hosting /24s. */
const sprayer = (i: number) => `${90 + (i % 25)}.1.1.${1 + (i % 250)}`;

test("positive: 80 accounts, one attempt each, from 25 networks within 50 minutes", () => {
  const events = [...history(100), ...range(80).map((i) => fail(ATTACK + i * 37_000, acct(i), sprayer(i)))];
  const findings = sprayOnly(events);
  assert.deepEqual(
    findings.map((f) => f.observed),
    [50],
  );
  const [f] = findings;
  assert.equal(f?.entity, "example.net");
  assert.equal(f?.entity_type, "domain");
  assert.equal(f?.ts, new Date(ATTACK + 49 * 37_000).toISOString());
  assert.equal(f?.window_start, new Date(ATTACK).toISOString());
  assert.equal(f?.evidence.length, 50);
  assert.equal(f?.severity, "medium");
  assert.equal(
    f?.summary,
    "example.net: 50 accounts failed 1–3 times each from 25 networks within 30 min, none from a network known for the account nor followed by its owner's login (threshold 50 per 60 min)",
  );
});

test("positive: accounts the platform has never seen (a list of guessed names) count too", () => {
  const events = range(60).map((i) => fail(ATTACK + i * 20_000, acct(i, "example.org"), sprayer(i), 2));
  const findings = sprayOnly(events);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.entity, "example.org");
});

test("negative: 40 accounts are below the threshold", () => {
  const events = [...history(100), ...range(40).map((i) => fail(ATTACK + i * MIN, acct(i), sprayer(i)))];
  assert.deepEqual(sprayOnly(events), []);
});

test("negative: 80 accounts from 3 networks is not spread (that is stuffing)", () => {
  const events = range(80).map((i) => fail(ATTACK + i * 30_000, acct(i), `203.0.113.${i % 3}`));
  assert.deepEqual(sprayOnly(events), []);
});

test("negative: accounts hammered more than 3 times each are brute force, not spray", () => {
  const events = range(60).flatMap((i) => range(5).map((k) => fail(ATTACK + i * 40_000 + k, acct(i), sprayer(i))));
  assert.deepEqual(sprayOnly(events), []);
});

test("negative: 80 accounts over 4 hours never fill one window", () => {
  const events = range(80).map((i) => fail(ATTACK + i * 3 * MIN, acct(i), sprayer(i)));
  assert.deepEqual(sprayOnly(events), []);
});

test("benign look-alike: a forced password reset — 300 users' clients fail once or twice from home, fixed hours later", () => {
  // Built twice: enrichment writes its attributes onto the events.
  const day = () => [
    ...history(300),
    ...range(300).flatMap((i) => {
      const t = ATTACK + i * 10_000;
      const misses = 1 + (i % 2);
      return [...range(misses).map((k) => fail(t + k * 5000, acct(i), home(i))), login(t + 6 * HOUR, acct(i), home(i))];
    }),
  ];
  assert.deepEqual(sprayOnly(day()), []);
  assert.ok(
    runAll([sprayDetection], day()).length > 0,
    "without the accounts' known origins (no enricher) the same day looks like a spray",
  );
});

test("benign look-alike: the same day on a freshly deployed detector (no history): the follow-up logins explain it", () => {
  const events = range(300).flatMap((i) => {
    const t = ATTACK + i * 10_000;
    return [fail(t, acct(i), home(i)), login(t + 8000, acct(i), home(i))];
  });
  assert.deepEqual(sprayOnly(events), []);
});

test("a sprayer's rare success explains only that account; the spray still fires", () => {
  const events = [
    ...history(100),
    ...range(70).flatMap((i) => [
      fail(ATTACK + i * 30_000, acct(i), sprayer(i)),
      ...(i % 10 === 0 ? [login(ATTACK + i * 30_000 + 1000, acct(i), sprayer(i))] : []),
    ]),
  ];
  const findings = sprayOnly(events);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.observed, 50);
  assert.equal(
    findings[0]?.ts,
    new Date(ATTACK + 55 * 30_000).toISOString(),
    "six explained accounts: six more needed",
  );
});

test("snapshot mid-stream: a restored engine finds the same as an uninterrupted one", () => {
  const events = [
    ...history(120),
    ...range(120).map((i) => fail(ATTACK + i * 20_000, acct(i), sprayer(i))),
    ...range(60).flatMap((i) => [
      fail(ATTACK + 2 * HOUR + i * 10_000, acct(i + 200), home(i)),
      login(ATTACK + 2 * HOUR + i * 10_000 + 3000, acct(i + 200), home(i)),
    ]),
  ];
  const whole = runAll(DETECTIONS, events);
  assert.equal(whole.filter((f) => f.detection === "auth.spray").length, 2, "at 50 and at 100");
  for (const split of [events.length - 150, events.length - 90, 1000]) {
    assert.deepEqual(runResumed(DETECTIONS, events, split), whole);
  }
});
