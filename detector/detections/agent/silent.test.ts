import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { HOUR, heartbeat, login, MIN, range, run, runResumed, T0 } from "../testing.js";
import { silentDetection } from "./silent.js";

const S = 1000;
const byTime = (events: MailEvent[]): MailEvent[] => events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));

/** Heartbeats of `host` every `every` ms from `from` (inclusive) to `to` (exclusive). */
const beats = (host: string, from: number, to: number, every = 30 * S): MailEvent[] =>
  range(Math.ceil((to - from) / every)).map((i) => heartbeat(from + i * every, host, every / S));

test("positive: a host stops heartbeating while another keeps the watermark moving", () => {
  const events = byTime([...beats("imap1", T0, T0 + HOUR), ...beats("mx1", T0, T0 + 2 * HOUR)]);
  const findings = run(silentDetection, events);
  assert.equal(findings.length, 1, "one finding per silence episode");
  const [f] = findings;
  const last = T0 + HOUR - 30 * S;
  assert.equal(f?.entity, "imap1");
  assert.equal(f?.entity_type, "host");
  assert.equal(f?.stage, "defense_evasion");
  assert.equal(f?.window_start, new Date(last).toISOString());
  // Limit max(3 × 30 s, 120 s) = 120 s: the first 10 s tick past it, which mx1's heartbeats carry the watermark to.
  assert.equal(f?.ts, new Date(last + 130 * S).toISOString());
  assert.equal(f?.observed, 130);
  assert.equal(f?.expected, 30);
  assert.equal(
    f?.summary,
    `collector on imap1 silent for 130 s while other hosts keep reporting (last heartbeat ${new Date(last).toISOString()}; usually every 30 s; limit 120 s)`,
  );
});

test("positive: the limit follows the host's own interval (3 × 60 s)", () => {
  const events = byTime([
    ...beats("imap1", T0, T0 + 10 * MIN, 60 * S),
    ...beats("imap1", T0 + 10 * MIN + 3 * MIN + 30 * S, T0 + 20 * MIN, 60 * S),
    ...beats("mx1", T0, T0 + 22 * MIN, 10 * S),
  ]);
  const findings = run(silentDetection, events);
  assert.equal(findings.length, 1, "the 270 s gap, not the end of imap1's input");
  assert.equal(findings[0]?.ts, new Date(T0 + 9 * MIN + 180 * S + 10 * S).toISOString());
  assert.match(findings[0]?.summary ?? "", /usually every 60 s; limit 180 s/);
});

test("positive: heartbeats resume and stop again: two episodes, two ids", () => {
  const events = byTime([
    ...beats("imap1", T0, T0 + HOUR),
    ...beats("imap1", T0 + 2 * HOUR, T0 + 3 * HOUR),
    ...beats("mx1", T0, T0 + 4 * HOUR),
  ]);
  const findings = run(silentDetection, events);
  assert.equal(findings.length, 2);
  assert.notEqual(findings[0]?.id, findings[1]?.id);
});

test("negative: a planned restart (90 s gap) is shorter than the limit", () => {
  const events = byTime([
    ...beats("imap1", T0, T0 + HOUR),
    ...beats("imap1", T0 + HOUR + 60 * S, T0 + 2 * HOUR),
    ...beats("mx1", T0, T0 + 2 * HOUR),
  ]);
  assert.deepEqual(run(silentDetection, events), []);
});

test("negative: when every host stops (end of input) time stands still: no finding", () => {
  const events = byTime([...beats("imap1", T0, T0 + HOUR), ...beats("mx1", T0, T0 + HOUR)]);
  assert.deepEqual(run(silentDetection, events), []);
});

test("negative: a host that sent fewer heartbeats than minHeartbeats", () => {
  const events = byTime([heartbeat(T0, "imap1"), heartbeat(T0 + 30 * S, "imap1"), ...beats("mx1", T0, T0 + HOUR)]);
  assert.deepEqual(run(silentDetection, events), []);
  assert.equal(run(silentDetection, events, { minHeartbeats: 2 }).length, 1);
});

test("benign look-alike: a decommissioned host in retiredHosts", () => {
  const events = byTime([...beats("imap1", T0, T0 + HOUR), ...beats("mx1", T0, T0 + 2 * HOUR)]);
  assert.deepEqual(run(silentDetection, events, { retiredHosts: ["IMAP1"] }), []);
});

test("benign look-alike: other kinds of events from the host do not count as heartbeats, late heartbeats change nothing", () => {
  const events = byTime([...beats("imap1", T0, T0 + HOUR), ...beats("mx1", T0, T0 + 2 * HOUR)]);
  // A duplicate (redelivered) heartbeat of imap1, and log events of imap1 during the silence.
  const dup = heartbeat(T0 + HOUR - 30 * S, "imap1");
  const logs = range(5).map((i) => login(T0 + HOUR + i * MIN, "alice@example.net", "198.51.100.20", { host: "imap1" }));
  const findings = run(silentDetection, byTime([...events, dup, ...logs]));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.window_start, new Date(T0 + HOUR - 30 * S).toISOString());
});

test("the same input gives the same findings, and a restore mid-stream changes nothing", () => {
  const events = byTime([
    ...beats("imap1", T0, T0 + HOUR),
    ...beats("imap1", T0 + 2 * HOUR, T0 + 3 * HOUR),
    ...beats("imap2", T0, T0 + 30 * MIN, 20 * S),
    ...beats("mx1", T0, T0 + 4 * HOUR),
  ]);
  const whole = run(silentDetection, events);
  assert.equal(whole.length, 3);
  assert.deepEqual(run(silentDetection, events), whole);
  for (const split of [1, 150, 245, 300, events.length - 100]) {
    assert.deepEqual(runResumed(silentDetection, events, split), whole, `split at ${split}`);
  }
});

test("state is bounded and evictable", () => {
  const d = silentDetection;
  const inst = d.create(d.config.parse({ maxHosts: 10 }), {
    networks: { network: (ip) => ip, asn: () => undefined, origin: (ip) => ip, isInternal: () => true },
  });
  for (const i of range(50)) inst.onEvent(heartbeat(T0 + i * S, `host${i}`), T0 + i * S);
  assert.equal(inst.size(), 10);
  inst.evict(T0 + HOUR);
  assert.equal(inst.size(), 0);
  assert.deepEqual(inst.onTime?.(T0 + 2 * HOUR), []);
});
