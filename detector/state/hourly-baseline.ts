// A robust per-entity baseline of an hourly total (bytes out, records read,
// messages sent): the last `hours` closed hours in a ring, summarized by the
// median and the MAD (simple-statistics), optionally of the same hour of day
// only (diurnal seasonality). An entity is "warm" once it has `warmupHours`
// of history; until then callers fall back to conservative absolute limits.
import { median, medianAbsoluteDeviation } from "simple-statistics";

const HOUR = 3_600_000;

export interface BaselineView {
  warm: boolean;
  median: number;
  /** MAD scaled to a standard deviation (×1.4826), floored so a flat history is not infinitely strict. */
  spread: number;
  hoursObserved: number;
}

export class HourlyBaseline {
  private readonly ring: Float64Array;
  private hourStart = -1;
  private current = 0;
  private observed = 0;

  constructor(
    private readonly hours: number,
    private readonly warmupHours: number,
  ) {
    this.ring = new Float64Array(hours);
  }

  /** Adds `value` at time `ts` (ms); closes elapsed hours (as zeros when nothing happened). */
  add(ts: number, value: number): void {
    this.advance(ts);
    this.current += value;
  }

  /** Total of the current (open) hour up to the last `add`. */
  currentTotal(ts: number): number {
    this.advance(ts);
    return this.current;
  }

  /** Baseline of the closed hours; with `sameHourOfDay`, only those at the hour of `ts`. */
  view(ts: number, sameHourOfDay = false): BaselineView {
    this.advance(ts);
    const n = Math.min(this.observed, this.hours);
    const values: number[] = [];
    const hourOfDay = Math.floor(ts / HOUR) % 24;
    for (let i = 1; i <= n; i++) {
      const h = Math.floor(this.hourStart / HOUR) - i;
      if (sameHourOfDay && ((h % 24) + 24) % 24 !== hourOfDay) continue;
      values.push(this.ring[((h % this.hours) + this.hours) % this.hours] as number);
    }
    if (values.length === 0) return { warm: false, median: 0, spread: 0, hoursObserved: this.observed };
    const m = median(values);
    const spread = Math.max(1.4826 * medianAbsoluteDeviation(values), 0.1 * m, 1);
    return { warm: this.observed >= this.warmupHours, median: m, spread, hoursObserved: this.observed };
  }

  private advance(ts: number): void {
    const start = Math.floor(ts / HOUR) * HOUR;
    if (this.hourStart < 0) {
      this.hourStart = start;
      return;
    }
    if (start <= this.hourStart) return;
    // Close the open hour and any silent hours since.
    const steps = Math.min((start - this.hourStart) / HOUR, this.hours + 1);
    let h = Math.floor(this.hourStart / HOUR);
    for (let i = 0; i < steps; i++, h++) {
      this.ring[((h % this.hours) + this.hours) % this.hours] = i === 0 ? this.current : 0;
    }
    this.observed += (start - this.hourStart) / HOUR;
    this.hourStart = start;
    this.current = 0;
  }

  toJSON(): { r: number[]; s: number; c: number; o: number } {
    return { r: [...this.ring], s: this.hourStart, c: this.current, o: this.observed };
  }

  static from(j: { r: number[]; s: number; c: number; o: number }, hours: number, warmupHours: number): HourlyBaseline {
    const b = new HourlyBaseline(hours, warmupHours);
    b.ring.set(j.r.slice(0, hours));
    b.hourStart = j.s;
    b.current = j.c;
    b.observed = j.o;
    return b;
  }
}
