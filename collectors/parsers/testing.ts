// Helpers for the parser tests: one envelope + one parser, a fixed clock.
import { parseEnvelope, YearInference } from "./envelope.js";
import type { LogParser, PartialEvent } from "./types.js";

/** The clock the tests run at: 2026-06-20, after every RFC 3164 date used in them. */
export const TEST_NOW = (): Date => new Date("2026-06-20T00:00:00.000Z");

/** Runs `line` through the envelope and `parser` (with `state`, or a fresh one). */
export function parseWith<S>(
  parser: LogParser<S>,
  line: string,
  state?: S,
  position: string | number = 0,
): readonly PartialEvent[] | null {
  const rec = parseEnvelope(line, new YearInference({ now: TEST_NOW }));
  if (rec === null) throw new Error(`no envelope: ${line}`);
  if (parser.parse === undefined) throw new Error(`${parser.id} reads no syslog records`);
  return parser.parse(rec, state ?? parser.createState(), { line, position });
}

/** Runs `line` through `parser`'s native reader (with `state`, or a fresh one). */
export function parseNativeWith<S>(
  parser: LogParser<S>,
  line: string,
  state?: S,
  position: string | number = 0,
): readonly PartialEvent[] | null {
  if (parser.native === undefined) throw new Error(`${parser.id} has no native format`);
  return parser.native.parse({ line, position }, state ?? parser.createState());
}

/** Feeds `lines` natively through one state; each line's position is its index. */
export function runNative<S>(parser: LogParser<S>, lines: readonly string[], state?: S): PartialEvent[][] {
  const s = state ?? parser.createState();
  return lines.map((l, i) => {
    const r = parseNativeWith(parser, l, s, i);
    if (r === null) throw new Error(`not a native ${parser.id} line: ${l}`);
    return [...r];
  });
}
