import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, HOUR, ldapSearch, MIN, range, run, runResumed, sqlSelect, T0 } from "../testing.js";
import { slowReadDetection } from "./slow-read.js";

const WEBMAIL = "cn=webmail,ou=services,dc=example,dc=net";
const BACKUP = "cn=backup,ou=services,dc=example,dc=net";
const byTime = (events: MailEvent[]): MailEvent[] => events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));

/** Per-login lookups (one entry each) for `days` days: never counted, but they start the host's learning. */
const lookups = (days: number, perHour = 20): MailEvent[] =>
  range(days * 24 * perHour).map((i) => ldapSearch(T0 + (i * HOUR) / perHour, WEBMAIL, "10.0.1.5", 1));

test("positive: 2,000 entries every hour fires within hours of the start (limit 10,000)", () => {
  const start = T0 + 3 * DAY + 7 * HOUR;
  const chunks = range(48).map((i) => ldapSearch(start + i * HOUR, WEBMAIL, "10.0.1.5", 2000));
  const findings = run(slowReadDetection, byTime([...lookups(5), ...chunks]));
  assert.ok(findings.length >= 1);
  const [f] = findings;
  assert.equal(f?.ts, chunks[4]?.ts, "the 5th chunk reaches 10,000");
  assert.ok(Date.parse(f?.ts ?? "") - start <= DAY, "within 24 h of the start");
  assert.equal(f?.observed, 10_000);
  assert.equal(f?.window_start, chunks[0]?.ts);
  assert.equal(
    f?.summary,
    "slapd on ldap1: cn=webmail,ou=services,dc=example,dc=net from 10.0.1.5 read userPassword of 10,000 entries in 5 multi-entry searches over 4 h (7-day total; no earlier multi-entry reads; limit 10,000)",
  );
  // Later emissions are the same finding, rising as the total doubles.
  assert.deepEqual(
    findings.map((x) => x.observed),
    [10_000, 20_000, 40_000, 80_000],
  );
  assert.equal(new Set(findings.map((x) => x.id)).size, 1);
  assert.ok((findings.at(-1)?.score ?? 0) > (f?.score ?? 0));
});

test("positive: chunks through a principal that routinely does small multi-entry reads", () => {
  // 20-entry lookups 10 times an hour: 33,600 a week is this principal's normal.
  const routine = range(10 * 24 * 10).map((i) => ldapSearch(T0 + i * 6 * MIN, WEBMAIL, "10.0.1.5", 20));
  const start = T0 + 8 * DAY + 30 * MIN;
  const chunks = range(30).map((i) => ldapSearch(start + i * HOUR, WEBMAIL, "10.0.1.5", 2000));
  const findings = run(slowReadDetection, byTime([...routine, ...chunks]));
  assert.ok(findings.length >= 1);
  const f = findings[0];
  assert.ok(Date.parse(f?.ts ?? "") - start <= DAY, `fired ${f?.ts}`);
  assert.equal(f?.expected, 33_600);
  assert.match(f?.summary ?? "", /usual 33,600 per 7 d; limit 67,200\)/);
});

test("positive: SQL chunks of the mailbox table, with the store size configured", () => {
  const events = [
    sqlSelect(T0, "postfix", "127.0.0.1", 1),
    ...range(10).map((i) => sqlSelect(T0 + DAY + 2 * HOUR + i * 3 * HOUR, "roundcube", "10.0.1.5", 50)),
  ];
  assert.deepEqual(run(slowReadDetection, events), [], "500 rows is below 10,000");
  const findings = run(slowReadDetection, events, { storeSize: 2500 });
  assert.deepEqual(
    findings.map((f) => f.observed),
    [150, 300],
  );
  assert.equal(findings[0]?.ts, events[3]?.ts, "5% of 2,500 = 125 rows: the 3rd chunk");
  assert.match(
    findings[0]?.summary ?? "",
    /^mariadb-audit on db1: roundcube@10\.0\.1\.5 selected 150 rows of postfix\.mailbox\.password in 3 multi-row queries over 6 h/,
  );
});

test("negative: per-login single-entry lookups never count, however many", () => {
  assert.deepEqual(run(slowReadDetection, lookups(10, 200)), []);
});

test("negative: a few chunks in a week stay below the limit", () => {
  const events = [...lookups(2), ...range(4).map((i) => ldapSearch(T0 + 2 * DAY + i * DAY, WEBMAIL, "10.0.1.5", 2000))];
  assert.deepEqual(run(slowReadDetection, byTime(events)), []);
});

const nightlyBackups = (nights: number, entries: number): MailEvent[] =>
  range(nights).map((n) => ldapSearch(T0 + n * DAY + 2 * HOUR, BACKUP, "10.9.0.20", entries));

test("benign look-alike: a nightly backup with a long steady history does not fire", () => {
  const events = byTime([...lookups(30, 2), ...nightlyBackups(30, 50_000)]);
  assert.deepEqual(run(slowReadDetection, events), []);
});

test("benign look-alike: a nightly backup seen for the first time after learning fires unless allow-listed", () => {
  const events = byTime([...lookups(3, 2), ...nightlyBackups(3, 50_000).slice(1)]);
  const findings = run(slowReadDetection, events);
  assert.equal(findings[0]?.observed, 50_000, "a new principal reading 50,000 entries");
  assert.equal(new Set(findings.map((f) => f.id)).size, 1);
  assert.deepEqual(run(slowReadDetection, events, { allowedPrincipals: [{ src_cidr: "10.9.0.0/24" }] }), []);
  assert.deepEqual(run(slowReadDetection, events, { allowedPrincipals: [{ principal: BACKUP }] }), []);
});

test("an episode that ages out of the window ends; a later one is a new finding", () => {
  const burst = (from: number) => range(6).map((i) => ldapSearch(from + i * HOUR, WEBMAIL, "203.0.113.7", 2000));
  const events = [...lookups(2, 1), ...burst(T0 + 2 * DAY), ...burst(T0 + 20 * DAY)];
  const findings = run(slowReadDetection, byTime(events));
  assert.equal(findings.length, 2);
  assert.notEqual(findings[0]?.id, findings[1]?.id);
});

test("the same input gives the same findings, and a restore mid-stream changes nothing", () => {
  const events = byTime([
    ...lookups(12, 2),
    ...nightlyBackups(12, 30_000),
    ...range(60).map((i) => ldapSearch(T0 + 4 * DAY + i * 3 * HOUR, WEBMAIL, "203.0.113.7", 1500)),
    ...range(20).map((i) => sqlSelect(T0 + 2 * DAY + i * 5 * HOUR, "roundcube", "10.0.1.5", 800)),
  ]);
  const whole = run(slowReadDetection, events);
  assert.ok(whole.length >= 3, `${whole.length} findings`);
  assert.deepEqual(run(slowReadDetection, events), whole);
  for (const split of [1, 200, Math.floor(events.length / 2), events.length - 40]) {
    assert.deepEqual(runResumed(slowReadDetection, events, split), whole, `split at ${split}`);
  }
});
