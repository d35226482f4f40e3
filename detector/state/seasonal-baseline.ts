// A robust per-entity baseline of an hourly total with a daily season, for
// totals that are either steady or made of daily jobs (bytes a process sends
// out): the last `hours` closed hours in a ring (float32: 4 bytes an hour),
// summarized two ways —
//   overall:   median/MAD of all closed hours;
//   sameHour:  for each previous day, the largest hour within ±`window` h of
//              this hour of day, then median/MAD across days. A nightly job
//              that starts at 01:50 one night and 02:10 the next is the same
//              job, and only previous days count, so the hour that just
//              closed (perhaps the first half of an anomaly) never becomes
//              its own expectation.
// Callers summarize once per entity and hour (O(hours)), not per event.
import { median, medianAbsoluteDeviation } from "simple-statistics";

const HOUR = 3_600_000;

export interface SeasonSummary {
  median: number;
  /** MAD scaled to a standard deviation (×1.4826), floored at 10 % of the median and at 1. */
  spread: number;
  /** How many values (hours, or days for sameHour) it summarizes. */
  n: number;
}

export interface SeasonalBaselineJSON {
  r: number[];
  s: number;
  c: number;
  o: number;
}

function summarize(values: number[]): SeasonSummary | undefined {
  if (values.length === 0) return undefined;
  const m = median(values);
  return { median: m, spread: Math.max(1.4826 * medianAbsoluteDeviation(values), 0.1 * m, 1), n: values.length };
}

export class SeasonalBaseline {
  private readonly ring: Float32Array;
  /** Index (epoch hours) of the open hour; -1 before the first value. */
  private hour = -1;
  private current = 0;
  /** Hours closed since the first value. */
  private observed = 0;

  constructor(private readonly hours: number) {
    this.ring = new Float32Array(hours);
  }

  /** Adds `value` at `ts` (ms), closing elapsed hours first (silent hours as zeros). */
  add(ts: number, value: number): void {
    this.advance(ts);
    this.current += value;
  }

  /** Closes the open hour and any silent ones up to the hour of `ts`; never moves back. */
  advance(ts: number): void {
    const h = Math.floor(ts / HOUR);
    if (this.hour < 0) {
      this.hour = h;
      return;
    }
    if (h <= this.hour) return;
    const gap = h - this.hour;
    if (gap > this.hours) this.ring.fill(0);
    else for (let i = 0; i < gap; i++) this.ring[(this.hour + i) % this.hours] = i === 0 ? this.current : 0;
    this.observed += h - this.hour;
    this.hour = h;
    this.current = 0;
  }

  /** Closed hours since the first value (may exceed the ring). */
  get hoursObserved(): number {
    return this.observed;
  }

  get openTotal(): number {
    return this.current;
  }

  /** The closed hour `back` hours before the open one (1 = the last closed), or undefined when not held. */
  private closed(back: number): number | undefined {
    if (back < 1 || back > Math.min(this.observed, this.hours)) return undefined;
    return this.ring[(((this.hour - back) % this.hours) + this.hours) % this.hours] as number;
  }

  /** Median/spread of every closed hour held. */
  overall(): SeasonSummary | undefined {
    const n = Math.min(this.observed, this.hours);
    const values: number[] = new Array(n);
    for (let i = 1; i <= n; i++) values[i - 1] = this.closed(i) as number;
    return summarize(values);
  }

  /** Median/spread across previous days of each day's largest hour within ±`window` h of the open hour's time of day. */
  sameHour(window = 1): SeasonSummary | undefined {
    const values: number[] = [];
    for (let day = 1; 24 * day - window <= Math.min(this.observed, this.hours); day++) {
      let peak: number | undefined;
      for (let d = -window; d <= window; d++) {
        const v = this.closed(24 * day + d);
        if (v !== undefined && (peak === undefined || v > peak)) peak = v;
      }
      if (peak !== undefined) values.push(peak);
    }
    return summarize(values);
  }

  toJSON(): SeasonalBaselineJSON {
    return { r: Array.from(this.ring), s: this.hour, c: this.current, o: this.observed };
  }

  static from(j: SeasonalBaselineJSON, hours: number): SeasonalBaseline {
    const b = new SeasonalBaseline(hours);
    b.ring.set(j.r.slice(0, hours));
    b.hour = j.s;
    b.current = j.c;
    b.observed = j.o;
    return b;
  }
}
