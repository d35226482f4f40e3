// Helpers for the parser tests: one envelope + one parser, a fixed clock.
import { parseEnvelope, YearInference } from "./envelope.js";
import type { AuthParser, PartialEvent } from "./types.js";

/** The clock the tests run at: 2026-06-20, after every RFC 3164 date used in them. */
export const TEST_NOW = (): Date => new Date("2026-06-20T00:00:00.000Z");

/** Runs `line` through the envelope and `parser` (with `state`, or a fresh one). */
export function parseWith<S>(parser: AuthParser<S>, line: string, state?: S): readonly PartialEvent[] | null {
  const rec = parseEnvelope(line, new YearInference({ now: TEST_NOW }));
  if (rec === null) throw new Error(`no envelope: ${line}`);
  return parser.parse(rec, state ?? parser.createState());
}
