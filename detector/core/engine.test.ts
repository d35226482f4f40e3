import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../events/event.js";
import { silentDetection } from "../detections/agent/silent.js";
import { HOUR, heartbeat, range, T0 } from "../detections/testing.js";
import { DetectorEngine } from "./engine.js";
import type { Finding } from "./finding.js";
import { createNetworkInfo } from "./networks.js";

const engine = () =>
  new DetectorEngine({
    detections: [{ detection: silentDetection, config: silentDetection.config.parse(silentDetection.defaults) }],
    ctx: { networks: createNetworkInfo({}) },
    allowedLatenessMs: 120_000,
    idleEvictionMs: 14 * 24 * HOUR,
  });

/** Three hosts heartbeating every 30 s (with a few seconds of jitter) for 2 h; db1 stops after 1 h. */
function heartbeats(): MailEvent[] {
  const hosts = ["imap1", "db1", "mx1"];
  return range(240)
    .flatMap((i) =>
      hosts
        .filter((h) => h !== "db1" || i < 120)
        .map((h, j) => heartbeat(T0 + i * 30_000 + ((i * 7 + j * 3) % 9) * 1000, h)),
    )
    .sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
}

test("time-triggered findings do not depend on how the input is laned or batched", () => {
  const events = heartbeats();
  const inOrder = engine();
  const expected: Finding[] = [];
  for (const e of events) expected.push(...inOrder.ingest(e, "all"));
  expected.push(...inOrder.flush());
  assert.equal(expected.length, 1, "db1 goes silent once");

  // One lane per host, each delivered in bursts of 25 events in turn: the watermark advances in other steps.
  const laned = engine();
  const actual: Finding[] = laned.assignLanes(["imap1", "db1", "mx1"]);
  const queues = ["imap1", "db1", "mx1"].map((h) => events.filter((e) => e.host === h));
  while (queues.some((q) => q.length > 0)) {
    for (const q of queues) for (const e of q.splice(0, 25)) actual.push(...laned.ingest(e, e.host ?? ""));
  }
  actual.push(...laned.flush());
  assert.deepEqual(actual, expected);
  assert.equal(laned.stats().late, 0);
});
