import assert from "node:assert/strict";
import { test } from "node:test";
import { SlidingHourlySum } from "./sliding-hourly-sum.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 2);

test("sums the last N hours and forgets older ones", () => {
  const s = new SlidingHourlySum(3);
  s.add(T0, 5);
  s.add(T0 + HOUR, 7);
  s.add(T0 + 2 * HOUR + 59 * 60_000, 1);
  assert.equal(s.total(T0 + 2 * HOUR), 13);
  assert.equal(s.total(T0 + 3 * HOUR), 8);
  assert.equal(s.total(T0 + 10 * HOUR), 0);
});

test("a late value still in the window counts in its own hour", () => {
  const s = new SlidingHourlySum(3);
  s.add(T0 + 2 * HOUR, 1);
  s.add(T0 + HOUR, 10);
  s.add(T0 - 5 * HOUR, 100);
  assert.equal(s.total(T0 + 2 * HOUR), 11);
  assert.equal(s.total(T0 + 4 * HOUR), 1, "the late value leaves with its hour");
});

test("reports the window's total at the end of each closed day, also across an empty gap", () => {
  const ends: [number, number][] = [];
  const onDayEnd = (d: number, t: number) => ends.push([d, t]);
  const s = new SlidingHourlySum(48);
  const day0 = T0 / DAY;
  s.add(T0 + 2 * HOUR, 10, onDayEnd);
  s.add(T0 + DAY + 2 * HOUR, 20, onDayEnd);
  s.add(T0 + 2 * DAY + 2 * HOUR, 40, onDayEnd);
  s.total(T0 + 7 * DAY, onDayEnd);
  assert.deepEqual(ends, [
    [day0, 10],
    [day0 + 1, 30],
    [day0 + 2, 60],
    [day0 + 3, 40],
    [day0 + 4, 0],
    [day0 + 5, 0],
    [day0 + 6, 0],
  ]);
});

test("round-trips through JSON", () => {
  const s = new SlidingHourlySum(24);
  for (let i = 0; i < 30; i++) s.add(T0 + i * HOUR, i);
  const r = SlidingHourlySum.from(JSON.parse(JSON.stringify(s)), 24);
  assert.equal(r.total(T0 + 31 * HOUR), s.total(T0 + 31 * HOUR));
});
