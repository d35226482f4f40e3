// A sum over a sliding window of whole hours (password records read in
// chunks over the last 7 days): a ring of hourly totals and the running sum,
// so adding and reading are O(1) amortized however long the window. Moving
// across UTC midnight reports the window's total as it stood at the end of
// each day that closed, for callers that keep a daily history of it.
const HOUR = 3_600_000;

export type DayEnd = (day: number, total: number) => void;

export class SlidingHourlySum {
  private readonly ring: Float64Array;
  /** Absolute hour index (ms / 1 h) of the newest slot; -1 before the first value. */
  private hour = -1;
  private sum = 0;

  constructor(readonly hours: number) {
    this.ring = new Float64Array(hours);
  }

  /** Adds `value` at `ts`; a value older than the newest hour goes to its own hour while still in the window. */
  add(ts: number, value: number, onDayEnd?: DayEnd): void {
    const h = Math.floor(ts / HOUR);
    this.advance(h, onDayEnd);
    if (h <= this.hour - this.hours) return;
    const i = ((h % this.hours) + this.hours) % this.hours;
    this.ring[i] = (this.ring[i] as number) + value;
    this.sum += value;
  }

  /** The window's total as of `ts` (the `hours` hours ending with the hour of `ts`). */
  total(ts: number, onDayEnd?: DayEnd): number {
    this.advance(Math.floor(ts / HOUR), onDayEnd);
    return this.sum;
  }

  private advance(h: number, onDayEnd?: DayEnd): void {
    if (this.hour < 0) {
      this.hour = h;
      return;
    }
    for (let k = this.hour + 1; k <= h; k++) {
      if (this.sum === 0) {
        // Empty window: every day still to close ends at 0; skip the hours.
        if (onDayEnd) for (let d = Math.ceil(k / 24) * 24; d <= h; d += 24) onDayEnd(d / 24 - 1, 0);
        this.ring.fill(0);
        break;
      }
      if (k % 24 === 0) onDayEnd?.(k / 24 - 1, this.sum);
      const i = k % this.hours;
      this.sum -= this.ring[i] as number;
      this.ring[i] = 0;
    }
    if (h > this.hour) this.hour = h;
  }

  toJSON(): { r: number[]; h: number; s: number } {
    return { r: [...this.ring], h: this.hour, s: this.sum };
  }

  static from(j: { r: number[]; h: number; s: number }, hours: number): SlidingHourlySum {
    const b = new SlidingHourlySum(hours);
    b.ring.set(j.r.slice(0, hours));
    b.hour = j.h;
    b.sum = j.s;
    return b;
  }
}
