import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { createNetworkInfo } from "../../core/networks.js";
import { DAY, egressSample, HOUR, heartbeat, MIN, range, run, runResumed, T0, TEST_ASNS } from "../testing.js";
import { newDestinationDetection } from "./new-destination.js";
import { MB } from "./signals.js";

const byTs = (a: MailEvent, b: MailEvent) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);

/** Webmail's usual outbound traffic for `hours`: php-fpm to its cloud API, the updater to its mirror. */
function usual(host: string, hours: number): MailEvent[] {
  return range(hours).flatMap((h) => [
    egressSample(T0 + h * HOUR + 5 * MIN, host, "php-fpm", "100.64.7.7", 3 * MB),
    egressSample(T0 + h * HOUR + 35 * MIN, host, "http", "198.51.100.80", 30_000, { dstPort: 80 }),
  ]);
}

test("positive: an upload to a drop server on a never-seen network fires within its first hour", () => {
  const at = T0 + 2 * DAY + 10 * HOUR;
  const events = [
    ...usual("web1", 60),
    ...range(10).map((i) => egressSample(at + i * 10_000, "web1", "php-fpm", "203.0.113.66", 4 * MB)),
  ].sort(byTs);
  const findings = run(newDestinationDetection, events);
  assert.ok(findings.length >= 1);
  const [first] = findings;
  assert.equal(first?.entity, "web1/php-fpm->AS64666");
  assert.equal(first?.entity_type, "host_destination");
  assert.equal(first?.ts, new Date(at + 20_000).toISOString(), "12 MB after the third sample");
  assert.equal(first?.observed, 12 * MB);
  assert.equal(first?.expected, 0);
  assert.equal(first?.window_start, new Date(at).toISOString());
  assert.equal(first?.evidence.length, 3);
  assert.match(
    first?.summary ?? "",
    /^php-fpm on web1 sent 12 MB to AS64666 \(Bulletproof Hosting, NL\) \(203\.0\.113\.66:443\) in 20 s, a network it never talked to in 2\.4 d of history \(networks known for it: 1; threshold 10 MB in its first hour\)$/,
  );
  assert.deepEqual(
    findings.map((f) => f.observed / MB),
    [12, 24],
  );
  assert.equal(new Set(findings.map((f) => f.id)).size, 1);
});

test("slow exfiltration: 20–50 MB every hour for a week to one new network is caught in its first hour, once", () => {
  const start = T0 + 2 * DAY + 3 * HOUR + 17 * MIN;
  const slow = range(7 * 24).flatMap((h) =>
    range(4).map((i) =>
      egressSample(start + h * HOUR + i * 15 * MIN, "web1", "php-fpm", "203.0.113.99", (5 + ((h * 3 + i) % 8)) * MB),
    ),
  );
  const events = [...usual("web1", 9 * 24), ...slow].sort(byTs);
  const findings = run(newDestinationDetection, events);
  assert.ok(findings.length >= 1);
  assert.ok(Date.parse(findings[0]?.ts ?? "") - start < HOUR, findings[0]?.ts);
  assert.equal(new Set(findings.map((f) => f.id)).size, 1, "one finding whose score rises");
  assert.ok(
    findings.every((f) => Date.parse(f.ts) - start <= DAY),
    "after the novelty window it is known",
  );
});

test("slow exfiltration below the first-hour threshold is caught by the cumulative rule within 24 h", () => {
  const start = T0 + 2 * DAY + 3 * HOUR;
  const slow = range(3 * 24).map((h) => egressSample(start + h * HOUR, "web1", "php-fpm", "203.0.113.99", 6 * MB));
  const findings = run(newDestinationDetection, [...usual("web1", 5 * 24), ...slow].sort(byTs));
  assert.deepEqual(
    findings.map((f) => f.observed / MB),
    [54, 108],
    "the 9th hourly upload crosses 50 MB, the 18th doubles it; then the network is known",
  );
  assert.ok(findings.every((f) => Date.parse(f.ts) - start < DAY));
  assert.match(findings[0]?.summary ?? "", /threshold 50 MB within 24 h/);
});

test("slow exfiltration that starts while the host is still learning (2–8 MB an hour from 3 h in)", () => {
  // The simulator's slow-exfil: python3 on the DB host, an 11-minute upload every hour.
  const start = T0 + 3 * HOUR + 25 * MIN;
  // The DB host has no external socket of its own: its agent's heartbeats start its clock.
  const db = range(3 * 24 * 12).map((i) => heartbeat(T0 + i * 5 * MIN, "db1"));
  const slow = range(3 * 24).flatMap((h) =>
    range(3).map((i) =>
      egressSample(start + h * HOUR + i * 5 * MIN, "db1", "python3", "203.0.113.200", ((2 + ((h * 5) % 7)) * MB) / 3),
    ),
  );
  const findings = run(newDestinationDetection, [...db, ...slow].sort(byTs));
  assert.ok(findings.length >= 1);
  assert.equal(findings[0]?.entity, "db1/python3->AS64666");
  assert.ok(Date.parse(findings[0]?.ts ?? "") - start < DAY, findings[0]?.ts);
  assert.ok(findings.every((f) => Date.parse(f.ts) - start <= DAY));
});

test("negative: small traffic to a new network (an OCSP check, a new mirror) stays quiet", () => {
  const at = T0 + 2 * DAY + 10 * HOUR;
  const events = [
    ...usual("web1", 72),
    ...range(20).map((i) => egressSample(at + i * HOUR, "web1", "php-fpm", `45.${i + 1}.0.9`, 400_000)),
  ].sort(byTs);
  assert.deepEqual(run(newDestinationDetection, events), []);
});

test("negative: networks talked to in the host's first hour are known, however heavy later", () => {
  const events = [
    ...usual("web1", 72),
    egressSample(T0 + 10 * MIN, "web1", "restic", "100.100.1.1", 1000),
    ...range(3).map((d) => egressSample(T0 + d * DAY + 2 * HOUR, "web1", "restic", "100.100.1.1", 900 * MB)),
  ].sort(byTs);
  assert.deepEqual(run(newDestinationDetection, events), []);
});

test("benign look-alike: a daily job first seen while learning is reported once, on its first day", () => {
  const events = [
    ...usual("web1", 5 * 24),
    ...range(5).map((d) => egressSample(T0 + d * DAY + 2 * HOUR, "web1", "restic", "100.100.1.1", 900 * MB)),
    // A light daily job (a report upload) stays under the cumulative threshold.
    ...range(5).map((d) => egressSample(T0 + d * DAY + 6 * HOUR, "web1", "curl", "45.9.9.9", 8 * MB)),
  ].sort(byTs);
  const findings = run(newDestinationDetection, events);
  assert.deepEqual(
    findings.map((f) => [f.entity, f.ts]),
    [["web1/restic->AS64777", new Date(T0 + 2 * HOUR).toISOString()]],
  );
  assert.match(findings[0]?.summary ?? "", /threshold 50 MB within 24 h/);
});

test("benign look-alike: the MTA delivering to ever-new MX hosts on port 25", () => {
  const events = [
    ...usual("mx1", 24),
    ...range(500).map((i) =>
      egressSample(
        T0 + DAY + i * 5 * MIN,
        "mx1",
        "smtp",
        `${20 + (i % 200)}.${i % 250}.3.25`,
        60_000 + (i % 7) * 2 * MB,
        {
          dstPort: 25,
        },
      ),
    ),
  ].sort(byTs);
  assert.deepEqual(run(newDestinationDetection, events), []);
  // The same process on another port is not exempt.
  const https = egressSample(T0 + 3 * DAY, "mx1", "smtp", "203.0.113.5", 50 * MB, { dstPort: 443 });
  assert.equal(run(newDestinationDetection, [...events, https]).length, 1);
});

test("benign look-alike: an allow-listed new backup target", () => {
  const events = [
    ...usual("web1", 72),
    ...range(3).map((i) => egressSample(T0 + 2 * DAY + i * MIN, "web1", "restic", "203.0.113.200", 500 * MB)),
  ].sort(byTs);
  assert.ok(run(newDestinationDetection, events).length > 0);
  assert.deepEqual(run(newDestinationDetection, events, { allowedDestinations: [{ cidr: "203.0.113.192/26" }] }), []);
});

test("benign look-alike: a process that talks to the world while learning is not judged network by network", () => {
  const crawler = range(40).map((i) => egressSample(T0 + i * 10 * MIN, "web1", "imgproxy", `45.${i}.1.1`, 50_000));
  const later = range(5).map((i) => egressSample(T0 + 2 * DAY + i * MIN, "web1", "imgproxy", `46.${i}.1.1`, 30 * MB));
  const events = [...usual("web1", 72), ...crawler, ...later].sort(byTs);
  assert.deepEqual(run(newDestinationDetection, events, { maxNetworksPerProcess: 16 }), []);
  assert.ok(run(newDestinationDetection, events).length > 0, "with room for its networks it is judged");
});

test("state: snapshot mid-stream, restore in a fresh engine, same findings", () => {
  const start = T0 + 2 * DAY + 3 * HOUR;
  const slow = range(30).map((h) => egressSample(start + h * HOUR, "web1", "php-fpm", "203.0.113.99", 7 * MB));
  const burst = range(10).map((i) => egressSample(start + 5 * HOUR + i * MIN, "web1", "mysqld", "100.99.1.1", 9 * MB));
  const events = [...usual("web1", 80), ...slow, ...burst].sort(byTs);
  const whole = run(newDestinationDetection, events);
  assert.ok(whole.length >= 2);
  for (const split of [events.findIndex((e) => Date.parse(e.ts) >= start + 8 * HOUR), Math.floor(events.length / 3)]) {
    assert.deepEqual(runResumed(newDestinationDetection, events, split), whole);
  }
});

test("bounded: networks per process and processes are capped", () => {
  const cfg = newDestinationDetection.config.parse({ maxNetworksPerProcess: 8, maxProcesses: 100, learningHours: 1 });
  const instance = newDestinationDetection.create(cfg, { networks: createNetworkInfo({ asnTable: TEST_ASNS }) });
  const feed = (e: MailEvent) => instance.onEvent(e, Date.parse(e.ts));
  for (const i of range(300)) feed(egressSample(T0 + i * 1000, "web1", `p${i}`, "45.1.1.1", 1000));
  // After learning: one process meets 100 new networks.
  for (const i of range(100)) feed(egressSample(T0 + 2 * HOUR + i * 1000, "web1", "curl", `45.${i}.2.1`, 1000));
  const snap = instance.snapshot() as {
    processes: [string, number, { known: unknown[]; candidates: unknown[] | null }][];
  };
  assert.equal(snap.processes.length, 100);
  const curl = snap.processes.find(([k]) => k.endsWith("curl"))?.[2];
  assert.equal(curl?.known.length, 8);
  assert.equal(curl?.candidates?.length, 16);
});
