// One stream's lines → validated MailEvents. Shared by `mailwarden parse`
// (offline) and the agent (tailing): envelope → parser (fixed, or picked per
// line by program with `source: "auto"`) → redaction → id/ts/host → schema.
// Nothing here throws on input: a line that yields nothing is counted under a
// skip reason, and an event that fails `eventSchema` is counted as
// `invalid_event` and dropped. Only a bad `source` option throws
// (UnknownSourceError, one-line message).
//
// Per-stream state (RFC 3164 year inference, slapd connections) lives in the
// object this returns: create one line parser per stream.

import { capRaw, eventId, eventSchema, type MailEvent } from "../../events/event.js";
import { parseEnvelope, YearInference } from "../parsers/envelope.js";
import { mayHoldSecret, redactSecrets } from "../parsers/redact.js";
import { PARSERS, parserById, parserIdForProgram } from "../parsers/registry.js";
import type { AuthParser, PartialEvent } from "../parsers/types.js";

/** Longer lines are not parsed (bounded regex cost on hostile input); real auth lines are < 2 KiB. */
export const MAX_LINE_CHARS = 16_384;

/** Host name used when neither the envelope nor the `host` option names one. */
export const UNKNOWN_HOST = "unknown";

export interface LineParserOptions {
  /** "auto" (pick the parser per line by syslog program) or a parser id. */
  source: string;
  /** Host for lines whose envelope names none (Dovecot/Roundcube/slapd files, host-less syslog). */
  host?: string;
  /** Year of the stream's first RFC 3164 line (see YearInference); inferred from `now` when absent. */
  year?: number;
  /** Offset from UTC of zone-less time stamps, minutes. Default 0. */
  utcOffsetMinutes?: number;
  now: () => Date;
}

export const SKIP_REASONS = [
  "no_envelope",
  "unknown_program",
  "unrecognized_message",
  "too_long",
  "invalid_event",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * `read` lines seen; `recognized` lines a parser understood (some, like a
 * slapd ACCEPT, only feed state and emit nothing); `events` events emitted.
 * `skipped` counts lines by reason, except `invalid_event`, which counts events.
 */
export interface LineParserStats {
  read: number;
  recognized: number;
  events: number;
  skipped: Record<SkipReason, number>;
}

export interface LineParser {
  /** Events of one line; `position` identifies it in its stream (byte offset, line number, cursor). */
  parseLine(line: string, position: string | number): MailEvent[];
  stats(): LineParserStats;
}

/** Same as `s`, or `s` redacted when the line it came from may hold a secret. */
function clean(s: string, mayHoldSecret: boolean): string {
  return mayHoldSecret ? redactSecrets(s) : s;
}

/**
 * The event from a parser's part and the envelope's. Field values are
 * substrings of the line (or derived from them), so when the line shows no
 * sign of a secret (`mayHoldSecret` false) no field can hold one either.
 */
function toEvent(
  p: PartialEvent,
  id: string,
  ts: string,
  host: string,
  source: AuthParser["id"],
  raw: string,
  mayHoldSecret: boolean,
): Record<string, unknown> {
  const ev: Record<string, unknown> = { id, ts, host, source, kind: p.kind, action: p.action, outcome: p.outcome };
  if (p.user !== undefined) ev.user = clean(p.user, mayHoldSecret);
  if (p.src_ip !== undefined) ev.src_ip = p.src_ip;
  if (p.src_port !== undefined) ev.src_port = p.src_port;
  if (p.dst_ip !== undefined) ev.dst_ip = p.dst_ip;
  if (p.dst_port !== undefined) ev.dst_port = p.dst_port;
  if (p.proto !== undefined) ev.proto = p.proto;
  if (p.object !== undefined) ev.object = clean(p.object, mayHoldSecret);
  if (p.records !== undefined) ev.records = p.records;
  if (p.reason !== undefined) ev.reason = clean(p.reason, mayHoldSecret);
  if (p.attrs !== undefined) {
    const attrs = p.attrs;
    if (mayHoldSecret) {
      for (const k in attrs) {
        const v = attrs[k];
        if (typeof v === "string") attrs[k] = redactSecrets(v);
      }
    }
    ev.attrs = attrs;
  }
  ev.raw = raw;
  return ev;
}

export function createLineParser(opts: LineParserOptions): LineParser {
  const fixed = opts.source === "auto" ? undefined : parserById(opts.source);
  const years = new YearInference({ year: opts.year, now: opts.now, utcOffsetMinutes: opts.utcOffsetMinutes });
  const states = new Map<string, unknown>();
  const skipped: Record<SkipReason, number> = {
    no_envelope: 0,
    unknown_program: 0,
    unrecognized_message: 0,
    too_long: 0,
    invalid_event: 0,
  };
  // RFC 3164 has whole seconds: consecutive lines often share a time stamp.
  let lastTs = Number.NaN;
  let lastIso = "";
  let read = 0;
  let recognized = 0;
  let events = 0;

  function stateOf(parser: AuthParser<unknown>): unknown {
    if (states.has(parser.id)) return states.get(parser.id);
    const s = parser.createState();
    states.set(parser.id, s);
    return s;
  }

  function parseLine(input: string, position: string | number): MailEvent[] {
    read++;
    const line = input.endsWith("\r") ? input.slice(0, -1) : input;
    if (line.length > MAX_LINE_CHARS) {
      skipped.too_long++;
      return [];
    }
    const rec = parseEnvelope(line, years);
    if (rec === null || !Number.isFinite(rec.ts) || Math.abs(rec.ts) > 8.64e15) {
      skipped.no_envelope++;
      return [];
    }
    let parser = fixed;
    if (parser === undefined) {
      const id = parserIdForProgram(rec.program);
      if (id === undefined) {
        skipped.unknown_program++;
        return [];
      }
      parser = PARSERS[id] as AuthParser<unknown>;
    }
    const partials = parser.parse(rec, stateOf(parser));
    if (partials === null) {
      skipped.unrecognized_message++;
      return [];
    }
    recognized++;
    if (partials.length === 0) return [];
    const host = rec.host ?? opts.host ?? UNKNOWN_HOST;
    // Ids hash the redacted line: not even a digest of a password leaves the host.
    const secret = mayHoldSecret(line);
    const redacted = secret ? redactSecrets(line) : line;
    const raw = capRaw(redacted);
    if (rec.ts !== lastTs) {
      lastTs = rec.ts;
      lastIso = new Date(rec.ts).toISOString();
    }
    const ts = lastIso;
    const out: MailEvent[] = [];
    for (let i = 0; i < partials.length; i++) {
      const p = partials[i];
      if (p === undefined) continue;
      const ev = toEvent(p, eventId(host, parser.id, position, redacted, i), ts, host, parser.id, raw, secret);
      const checked = eventSchema.safeParse(ev);
      if (checked.success) {
        out.push(checked.data);
        events++;
      } else {
        skipped.invalid_event++;
      }
    }
    return out;
  }

  return {
    parseLine,
    stats: () => ({ read, recognized, events, skipped: { ...skipped } }),
  };
}
