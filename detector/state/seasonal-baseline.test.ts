import assert from "node:assert/strict";
import { test } from "node:test";
import { SeasonalBaseline } from "./seasonal-baseline.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

test("overall: median of closed hours, silent hours as zeros", () => {
  const b = new SeasonalBaseline(48);
  b.add(T0, 10);
  b.add(T0 + HOUR, 20);
  b.add(T0 + 3 * HOUR, 30); // hour 2 silent
  b.advance(T0 + 4 * HOUR);
  assert.equal(b.hoursObserved, 4);
  assert.deepEqual(b.overall()?.median, 15); // 10, 20, 0, 30
  assert.equal(b.openTotal, 0);
});

test("sameHour: each previous day's peak within ±1 h, never the hour that just closed", () => {
  const b = new SeasonalBaseline(7 * 24);
  // A nightly job around 02:00 with jitter: 01:xx one night, 02:xx the next, 03:xx the third.
  b.add(T0 + 1 * HOUR, 500);
  b.add(T0 + 24 * HOUR + 2 * HOUR, 520);
  b.add(T0 + 48 * HOUR + 3 * HOUR, 480);
  b.add(T0 + 72 * HOUR + 1 * HOUR, 999); // today's 01:00, just closed before 02:00
  b.advance(T0 + 72 * HOUR + 2 * HOUR);
  const same = b.sameHour(1);
  assert.equal(same?.n, 3);
  assert.equal(same?.median, 500);
  // No previous day yet: nothing to say.
  const young = new SeasonalBaseline(48);
  young.add(T0, 5);
  young.advance(T0 + 10 * HOUR);
  assert.equal(young.sameHour(1), undefined);
});

test("a gap longer than the ring forgets everything; JSON round trip keeps the state", () => {
  const b = new SeasonalBaseline(24);
  b.add(T0, 100);
  b.add(T0 + 30 * HOUR, 1);
  // 30 hours later: the 100 of the first hour is out of the ring, all 24 held hours are silent.
  assert.deepEqual(b.overall(), { median: 0, spread: 1, n: 24 });
  const c = SeasonalBaseline.from(JSON.parse(JSON.stringify(b.toJSON())), 24);
  assert.deepEqual(c.toJSON(), b.toJSON());
  c.advance(T0 + 31 * HOUR);
  assert.equal(c.overall()?.n, 24);
});
