import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, egressSample, HOUR, heartbeat, MIN, range, run, runResumed, T0 } from "../testing.js";
import { rareProcessDetection } from "./rare-process.js";
import { MB } from "./signals.js";

const byTs = (a: MailEvent, b: MailEvent) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);

/** A database host's usual talkers: the package updater and the monitoring agent. */
function usual(host: string, hours: number): MailEvent[] {
  return range(hours).flatMap((h) => [
    egressSample(T0 + h * HOUR + 10 * MIN, host, "http", "198.51.100.80", 20_000, { dstPort: 80 }),
    egressSample(T0 + h * HOUR + 40 * MIN, host, "node_exporter", "100.64.0.9", 200_000),
  ]);
}

test("positive: mysqld connects out and uploads, on a host long past learning", () => {
  const at = T0 + 2 * DAY + 14 * HOUR;
  const events = [
    ...usual("db1", 72),
    egressSample(at, "db1", "mysqld", "203.0.113.50", 0, { action: "conn" }),
    ...range(20).map((i) => egressSample(at + (i + 1) * 10_000, "db1", "mysqld", "203.0.113.50", 40 * MB)),
  ].sort(byTs);
  const findings = run(rareProcessDetection, events);
  assert.equal(findings[0]?.ts, new Date(at).toISOString(), "fires on the first connection");
  assert.equal(findings[0]?.entity, "db1/mysqld");
  assert.equal(findings[0]?.severity, "high");
  assert.match(
    findings[0]?.summary ?? "",
    /^mysqld on db1 connected out \(first to AS64666 \(Bulletproof Hosting, NL\) at 203\.0\.113\.50:443\) and sent 0 B \(mysqld is configured as never connecting out\)$/,
  );
  // Re-fired as the bytes pass 1 MB, 10 MB, 100 MB: same id, rising score.
  assert.deepEqual(
    findings.map((f) => f.observed / MB),
    [0, 40, 120],
  );
  assert.equal(new Set(findings.map((f) => f.id)).size, 1);
  assert.equal(findings.at(-1)?.severity, "critical");
});

test("positive: a never-connect daemon fires even while its host is still learning", () => {
  const events = [egressSample(T0 + 5 * MIN, "ldap1", "slapd", "45.140.3.3", 2 * MB, { dstPort: 4444 })];
  const findings = run(rareProcessDetection, events);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.details?.never_connects_out, true);
});

test("positive: a process never seen talking out during learning, scored by its bytes", () => {
  const at = T0 + 3 * DAY;
  const events = [
    ...usual("db1", 96),
    ...range(30).map((i) => egressSample(at + i * 10_000, "db1", "python3", "45.140.9.9", MB)),
  ].sort(byTs);
  const findings = run(rareProcessDetection, events);
  assert.deepEqual(
    findings.map((f) => [f.observed / MB, f.severity]),
    [
      [1, "medium"],
      [10, "medium"],
    ],
  );
  assert.match(
    findings[0]?.summary ?? "",
    /first outbound connection of python3 in 3\.0 d of history; 2 known talkers on db1/,
  );
  assert.ok((findings[1]?.score ?? 0) > (findings[0]?.score ?? 0));
});

test("a back-end host with no external socket learns from its agent's heartbeats", () => {
  // The poller reports external peers only: db2's first net event is the implant's.
  const beats = range(2 * 24 * 12).map((i) => heartbeat(T0 + i * 5 * MIN, "db2"));
  const implant = egressSample(T0 + 2 * DAY + HOUR, "db2", "python3", "203.0.113.200", 3 * MB);
  const findings = run(rareProcessDetection, [...beats, implant]);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.summary ?? "",
    /first outbound connection of python3 in 2\.0 d of history; 0 known talkers/,
  );
  assert.deepEqual(run(rareProcessDetection, [implant]), [], "without them it would be the host's first hour");
});

test("negative: the host's usual talkers, internal peers and inbound service connections", () => {
  const events = [
    ...usual("db1", 96),
    // Replication to an internal replica.
    ...range(10).map((i) =>
      egressSample(T0 + 2 * DAY + i * MIN, "db1", "mariadbd", "10.20.0.7", 50 * MB, { dstPort: 3306 }),
    ),
    // A client connected to the database (local port 3306), with and without listener info.
    { ...egressSample(T0 + 2 * DAY, "db1", "mariadbd", "45.140.1.1", 5 * MB), src_port: 3306, dst_port: 50_123 },
    egressSample(T0 + 2 * DAY + 1, "db1", "mariadbd", "45.140.1.2", 5 * MB, { attrs: { direction: "in" } }),
  ].sort(byTs);
  assert.deepEqual(run(rareProcessDetection, events), []);
});

test("benign look-alike: Dovecot serving IMAP clients, its auth process asking the internal LDAP", () => {
  const events = range(100).flatMap((i) => [
    egressSample(T0 + DAY + i * MIN, "imap1", "imap", `60.70.${i}.1`, 3 * MB, { attrs: { direction: "in" } }),
    egressSample(T0 + DAY + i * MIN + 1, "imap1", "auth", "10.20.0.5", 2_000, { dstPort: 389 }),
  ]);
  assert.deepEqual(run(rareProcessDetection, events), []);
});

test("benign look-alike: a new talker becomes known after its novelty window; allow-listed tools never fire", () => {
  const events = [
    ...usual("web1", 6 * 24),
    egressSample(T0 + 2 * DAY, "web1", "certbot", "100.64.3.3", 50_000),
    egressSample(T0 + 4 * DAY, "web1", "certbot", "100.64.3.3", 50_000),
    egressSample(T0 + 2 * DAY, "web1", "puppet", "100.64.4.4", 5 * MB),
  ].sort(byTs);
  const findings = run(rareProcessDetection, events, { allowedProcesses: ["puppet"] });
  assert.deepEqual(
    findings.map((f) => [f.entity, f.ts]),
    [["web1/certbot", new Date(T0 + 2 * DAY).toISOString()]],
  );
  assert.equal(findings[0]?.severity, "low");
});

test("Zeek conn events (no process) are not read", () => {
  const e = { ...egressSample(T0 + 2 * DAY, "sensor1", "x", "203.0.113.1", 900 * MB), source: "zeek-conn" as const };
  delete e.process;
  assert.deepEqual(run(rareProcessDetection, [e]), []);
});

test("state: snapshot mid-stream, restore in a fresh engine, same findings", () => {
  const at = T0 + 2 * DAY + 14 * HOUR;
  const events = [
    ...usual("db1", 72),
    egressSample(T0 + 2 * HOUR, "db1", "slapd", "203.0.113.8", 10 * MB),
    ...range(20).map((i) => egressSample(at + i * 10_000, "db1", "mysqld", "203.0.113.50", 40 * MB)),
    ...range(20).map((i) => egressSample(at + i * 30_000, "db1", "python3", "45.1.1.1", 3 * MB)),
  ].sort(byTs);
  const whole = run(rareProcessDetection, events);
  assert.ok(whole.length >= 5);
  for (const split of [events.findIndex((e) => Date.parse(e.ts) >= at + 60_000), 30]) {
    assert.deepEqual(runResumed(rareProcessDetection, events, split), whole);
  }
});
