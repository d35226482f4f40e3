// Diurnal and weekly rhythm of subscribers, in the platform's local time
// (UTC+9). Multipliers are normalised to a weekly mean of 1, so an account's
// "per day" rates stay its daily averages.
import { LOCAL_UTC_OFFSET_HOURS } from "../platform.js";

const PERSONAL = [
  0.3, 0.15, 0.08, 0.05, 0.05, 0.1, 0.4, 0.9, 1.1, 1.0, 0.9, 1.0, 1.2, 1.0, 0.9, 0.9, 1.0, 1.2, 1.5, 1.8, 2.0, 1.9, 1.4,
  0.8,
];
const WORK = [
  0.1, 0.05, 0.03, 0.03, 0.03, 0.05, 0.2, 0.6, 1.6, 2.2, 2.2, 2.0, 1.4, 2.0, 2.1, 2.0, 1.9, 1.6, 1.0, 0.6, 0.5, 0.4,
  0.3, 0.2,
];
const WEEKEND = [1.1, 0.3];

function table(profile: 0 | 1): Float64Array {
  const curve = profile === 0 ? PERSONAL : WORK;
  const t = new Float64Array(168);
  let sum = 0;
  for (let h = 0; h < 168; h++) {
    const dow = Math.floor(h / 24); // Monday = 0, so 5 and 6 are the weekend
    const v = (curve[h % 24] ?? 1) * (dow === 5 || dow === 6 ? (WEEKEND[profile] ?? 1) : 1);
    t[h] = v;
    sum += v;
  }
  for (let h = 0; h < 168; h++) t[h] = (t[h] ?? 0) * (168 / sum);
  return t;
}

const TABLES = [table(0), table(1)];

/** Hour of the local week, Monday 00:00 = 0, for a UTC instant. */
export function localHourOfWeek(ts: number): number {
  const localHours = Math.floor(ts / 3_600_000) + LOCAL_UTC_OFFSET_HOURS;
  // 1970-01-01 was a Thursday: shift so that Monday is day 0.
  return (((localHours + 3 * 24) % 168) + 168) % 168;
}

export function localHour(ts: number): number {
  return localHourOfWeek(ts) % 24;
}

/** Activity multiplier of a profile at a UTC instant (weekly mean 1). Days 5, 6 are the weekend. */
export function activity(profile: 0 | 1, ts: number): number {
  return (TABLES[profile] as Float64Array)[localHourOfWeek(ts)] ?? 1;
}
