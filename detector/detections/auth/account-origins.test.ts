import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { createNetworkInfo } from "../../core/networks.js";
import { DAY, ev, fail, HOUR, login, MIN, range, T0, TEST_ASNS } from "../testing.js";
import { AccountOriginsEnricher } from "./account-origins.js";

const CFG = { warmLogins: 5, warmDays: 2, maxAccounts: 10_000, accountRetentionDays: 90 };
const enricher = () => new AccountOriginsEnricher(CFG, { networks: createNetworkInfo({ asnTable: TEST_ASNS }) }, 11);

function feed(en: AccountOriginsEnricher, events: MailEvent[]): MailEvent[] {
  for (const e of events) en.onEvent(e, Date.parse(e.ts));
  return events;
}

const HOME = "198.51.100.20"; // AS64501
const ABROAD = "203.0.113.9"; // AS64666

test("an account's first logins are cold and from unknown origins", () => {
  const en = enricher();
  const [first, second] = feed(en, [login(T0, "Alice@example.net", HOME), login(T0 + MIN, "alice@example.net", HOME)]);
  assert.deepEqual(first?.attrs, {
    stage: "login",
    origin: "AS64501",
    origin_known: false,
    account_warm: false,
    fails_before: 0,
    fails_origin: 0,
  });
  assert.equal(second?.attrs?.origin_known, true, "names compare case-insensitively");
  assert.equal(second?.attrs?.account_warm, false);
  assert.equal(en.size(), 1);
});

test("warm takes both enough logins and enough days of history", () => {
  const en = enricher();
  feed(
    en,
    range(10).map((i) => login(T0 + i * MIN, "alice@example.net", HOME)),
  );
  const [sameDay] = feed(en, [login(T0 + HOUR, "alice@example.net", HOME)]);
  assert.equal(sameDay?.attrs?.account_warm, false, "10 logins but first seen an hour ago");
  const [later] = feed(en, [login(T0 + 2 * DAY, "alice@example.net", ABROAD)]);
  assert.equal(later?.attrs?.account_warm, true);
  assert.equal(later?.attrs?.origin, "AS64666");
  assert.equal(later?.attrs?.origin_known, false);
});

test("failures: per account in the last hour, and per origin in the current run", () => {
  const en = enricher();
  feed(en, [
    fail(T0, "bob@example.net", "100.64.1.1", 2),
    fail(T0 + 10 * MIN, "bob@example.net", "100.64.9.9", 3), // same ASN (AS64777): same origin
    fail(T0 + 20 * MIN, "bob@example.net", "5.6.7.8", 1), // another origin: a new run
  ]);
  const [a] = feed(en, [login(T0 + 25 * MIN, "bob@example.net", "100.64.1.1")]);
  assert.equal(a?.attrs?.fails_before, 6);
  assert.equal(a?.attrs?.fails_origin, 0, "the run from AS64777 was interrupted by 5.6.7.0/24");
  const [b] = feed(en, [login(T0 + 26 * MIN, "bob@example.net", "5.6.7.9")]);
  assert.equal(b?.attrs?.origin, "5.6.7.0/24");
  assert.equal(b?.attrs?.fails_origin, 1);
  assert.equal(b?.attrs?.fails_origin_since, T0 + 20 * MIN);
  const [c] = feed(en, [login(T0 + 27 * MIN, "bob@example.net", "5.6.7.9")]);
  assert.equal(c?.attrs?.fails_origin, 0, "the success ended the run");
  const [d] = feed(en, [login(T0 + 2 * HOUR, "bob@example.net", HOME)]);
  assert.equal(d?.attrs?.fails_before, 0, "an hour later the failures are gone");
});

test("evidence lines are annotated but not counted; internal sources are not origins", () => {
  const en = enricher();
  const evidence = ev(T0, {
    kind: "auth",
    action: "auth_failure",
    outcome: "failure",
    user: "carol@example.net",
    src_ip: HOME,
    reason: "bad_password",
    attrs: { stage: "auth" },
  });
  const [a, b] = feed(en, [evidence, login(T0 + 1000, "carol@example.net", "10.0.0.5")]);
  assert.equal(a?.attrs?.origin, "AS64501");
  assert.equal(a?.attrs?.fails_before, 0);
  assert.equal(b?.attrs?.origin, undefined);
  assert.equal(en.size(), 0);
});

test("frequent origins stay known while one-off networks come and go", () => {
  const en = enricher();
  const user = "dave@example.net";
  feed(
    en,
    range(30).map((i) => login(T0 + i * MIN, user, HOME)),
  );
  feed(
    en,
    range(8).map((i) => login(T0 + HOUR + i * MIN, user, `${20 + i}.1.2.3`)),
  );
  // Probe with evidence-only lines: they read the history without changing it.
  const probe = (ip: string) =>
    feed(en, [
      ev(T0 + 2 * HOUR, { kind: "auth", action: "auth_failure", outcome: "failure", user, src_ip: ip, attrs: {} }),
    ])[0]?.attrs?.origin_known;
  assert.equal(probe(HOME), true);
  assert.deepEqual(
    range(8).map((i) => probe(`${20 + i}.1.2.9`)),
    [false, false, false, false, false, true, true, true],
    "the three most recent one-off networks",
  );
});

test("snapshot and restore keep every account's history", () => {
  const en = enricher();
  feed(
    en,
    range(2000).map((i) => login(T0 + i * 1000, `user${i}@example.net`, HOME)),
  );
  const copy = new AccountOriginsEnricher(CFG, { networks: createNetworkInfo({ asnTable: TEST_ASNS }) });
  copy.restore(JSON.parse(JSON.stringify(en.snapshot())));
  assert.equal(copy.size(), 2000);
  const [e] = feed(copy, [login(T0 + DAY, "user1234@example.net", HOME)]);
  assert.equal(e?.attrs?.origin_known, true);
});

test("accounts idle past the retention are forgotten", () => {
  const en = enricher();
  feed(en, [login(T0, "old@example.net", HOME), login(T0 + 100 * DAY, "new@example.net", HOME)]);
  assert.equal(en.evict(T0 + 100 * DAY - 30 * DAY), 1);
  assert.equal(en.size(), 1);
});
