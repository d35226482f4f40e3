// One stream's lines → validated MailEvents. Shared by `mailwarden parse`
// (offline) and the agent (tailing). Two ways in:
//   native   the daemon's own format (auditd's audit.log, Zeek's conn.log,
//            MariaDB's audit and slow logs): the parser reads the line itself.
//   syslog   envelope (syslog, journald, the native files envelope.ts knows)
//            → parser (fixed, or picked per line by program with "auto").
// With a fixed source that has a native format, the native reader is tried
// first and the envelope second (auditd via audisp-syslog or journald). With
// "auto", a line goes to a native reader only when its first character is one
// a native format can start with AND that reader's cheap prefix check says
// so; everything else takes the syslog path exactly as before.
// Then: redaction → id/ts/host → schema. Nothing here throws on input: a line
// that yields nothing is counted under a skip reason, and an event that fails
// `eventSchema` is counted as `invalid_event` and dropped. Only a bad `source`
// (UnknownSourceError) or bad `parserOptions` (ParserOptionError) throws.
//
// Per-stream state (RFC 3164 year inference, slapd connections, pending
// auditd events, the Zeek header, Postfix queue ids, an open slow-log entry)
// lives in the object this returns: create one line parser per stream, and
// call `flush()` at the end of a finite stream for events still pending.

import { capRaw, eventId, eventSchema, type MailEvent } from "../../events/event.js";
import { parseEnvelope, YearInference } from "../parsers/envelope.js";
import { mayHoldSecret, redactSecrets } from "../parsers/redact.js";
import { isParserId, NATIVE_BY_FIRST_CHAR, PARSERS, parserById, parserIdForProgram } from "../parsers/registry.js";
import { type LineContext, type LogParser, ParserOptionError, type PartialEvent } from "../parsers/types.js";

/** Longer lines are not parsed (bounded regex cost on hostile input); real auth lines are < 2 KiB. */
export const MAX_LINE_CHARS = 16_384;

/** Host used when neither the envelope, the records nor the `host` option names one. */
export const UNKNOWN_HOST = "unknown";

export interface LineParserOptions {
  /** "auto" (pick the parser per line: native shape, else syslog program) or a parser id. */
  source: string;
  /** Host for lines whose envelope names none (native files, host-less syslog); a Zeek sensor's name. */
  host?: string;
  /** Year of the stream's first RFC 3164 line (see YearInference); inferred from `now` when absent. */
  year?: number;
  /** Offset from UTC of zone-less time stamps, minutes. Default 0. */
  utcOffsetMinutes?: number;
  /** Per-parser options by parser id, e.g. `{ auditd: { keys: {...}, paths: [...] } }`; defaults when absent. */
  parserOptions?: Partial<Record<string, unknown>>;
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
 * slapd ACCEPT or an auditd PATH record, only feed state and emit nothing);
 * `events` events emitted. `skipped` counts lines by reason, except
 * `invalid_event`, which counts events.
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
  /** Events still pending at the end of the stream (auditd events without EOE, searches without a result...). */
  flush(): MailEvent[];
  stats(): LineParserStats;
}

/** Same as `s`, or `s` redacted when the line it came from may hold a secret. */
function clean(s: string, mayHoldSecret: boolean): string {
  return mayHoldSecret ? redactSecrets(s) : s;
}

/**
 * The event from a parser's part and the envelope's. Field values are
 * substrings of the line (or derived from them), so when the line shows no
 * sign of a secret (`mayHoldSecret` false) no field can hold one either. An
 * event with an origin (assembled from several lines) is redacted field by
 * field regardless.
 */
function toEvent(
  p: PartialEvent,
  id: string,
  ts: string,
  host: string,
  source: LogParser["id"],
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
  if (p.process !== undefined) {
    const proc = p.process;
    if (mayHoldSecret) {
      if (proc.name !== undefined) proc.name = redactSecrets(proc.name);
      if (proc.exe !== undefined) proc.exe = redactSecrets(proc.exe);
    }
    ev.process = proc;
  }
  if (p.object !== undefined) ev.object = clean(p.object, mayHoldSecret);
  if (p.records !== undefined) ev.records = p.records;
  if (p.bytes_out !== undefined) ev.bytes_out = p.bytes_out;
  if (p.bytes_in !== undefined) ev.bytes_in = p.bytes_in;
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

const EMPTY_OPTIONS: Partial<Record<string, unknown>> = {};

/**
 * Checks per-parser options (keyed by parser id) the way the parsers will
 * read them; throws ParserOptionError. A config loader calls it so that a bad
 * option stops the start, not the first line that reaches that parser.
 */
export function checkParserOptions(parserOptions: Partial<Record<string, unknown>>): void {
  for (const [id, options] of Object.entries(parserOptions)) {
    if (!isParserId(id)) throw new ParserOptionError(`parser options for unknown parser "${id.slice(0, 64)}"`);
    PARSERS[id].createState(options);
  }
}

export function createLineParser(opts: LineParserOptions): LineParser {
  const fixed = opts.source === "auto" ? undefined : parserById(opts.source);
  const parserOptions = opts.parserOptions ?? EMPTY_OPTIONS;
  checkParserOptions(parserOptions);
  const years = new YearInference({ year: opts.year, now: opts.now, utcOffsetMinutes: opts.utcOffsetMinutes });
  // By parser object (a cheap identity look-up on the hot path); a box, since a state may be undefined.
  const states = new Map<LogParser<unknown>, { state: unknown }>();
  // Create (and so validate the options of) the fixed parser's state up front.
  if (fixed !== undefined) states.set(fixed, { state: fixed.createState(parserOptions[fixed.id]) });
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
  // A native parser in the middle of a multi-line record (auto mode).
  let claimant: LogParser<unknown> | undefined;
  // Reused for every line: parsers read it, never keep it.
  const at: LineContext = { line: "", position: 0, utcOffsetMs: years.utcOffsetMs };

  function stateOf(parser: LogParser<unknown>): unknown {
    const box = states.get(parser);
    if (box !== undefined) return box.state;
    const state = parser.createState(parserOptions[parser.id]);
    states.set(parser, { state });
    return state;
  }

  function isoOf(ts: number): string {
    lastTs = ts;
    lastIso = new Date(ts).toISOString();
    return lastIso;
  }

  /** Validated events from a parser's partials; `recTs`/`recHost` from the envelope when there is one. */
  function emit(
    parser: LogParser<unknown>,
    partials: readonly PartialEvent[],
    line: string,
    position: string | number,
    recTs: number | undefined,
    recHost: string | undefined,
  ): MailEvent[] {
    const out: MailEvent[] = [];
    // Ids hash the redacted line: not even a digest of a password leaves the host.
    let lineSecret: boolean | undefined;
    let lineRedacted = "";
    let lineRaw = "";
    for (let i = 0; i < partials.length; i++) {
      const p = partials[i];
      if (p === undefined) continue;
      const from = p.from;
      let secret: boolean;
      let redacted: string;
      let raw: string;
      let ts = recTs;
      let host = recHost;
      let pos = position;
      if (from === undefined) {
        if (lineSecret === undefined) {
          lineSecret = mayHoldSecret(line);
          lineRedacted = lineSecret ? redactSecrets(line) : line;
          lineRaw = capRaw(lineRedacted);
        }
        secret = lineSecret;
        redacted = lineRedacted;
        raw = lineRaw;
      } else {
        // Assembled from other lines too: redact every field on its own.
        secret = true;
        redacted = redactSecrets(from.raw ?? line);
        raw = capRaw(redacted);
        if (from.ts !== undefined) ts = from.ts;
        if (from.host !== undefined) host = from.host;
        if (from.position !== undefined) pos = from.position;
      }
      // The envelope's time was checked in parseLine; a parser's own (native, assembled) is checked here.
      if (ts === undefined || (from !== undefined && (!Number.isFinite(ts) || Math.abs(ts) > 8.64e15))) {
        skipped.invalid_event++;
        continue;
      }
      const h = host ?? opts.host ?? UNKNOWN_HOST;
      const iso = ts === lastTs ? lastIso : isoOf(ts);
      const ev = toEvent(p, eventId(h, parser.id, pos, redacted, i), iso, h, parser.id, raw, secret);
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

  /** The native path; undefined when `parser` does not take this line natively. */
  function parseNative(parser: LogParser<unknown>, line: string, position: string | number): MailEvent[] | undefined {
    const native = parser.native;
    if (native === undefined) return undefined;
    const state = stateOf(parser);
    at.line = line;
    at.position = position;
    const partials = native.parse(at, state);
    if (partials === null) return undefined;
    recognized++;
    claimant = native.continues?.(state) === true ? parser : undefined;
    return partials.length === 0 ? [] : emit(parser, partials, line, position, undefined, undefined);
  }

  function parseLine(input: string, position: string | number): MailEvent[] {
    read++;
    const line = input.endsWith("\r") ? input.slice(0, -1) : input;
    if (line.length > MAX_LINE_CHARS) {
      skipped.too_long++;
      return [];
    }
    if (fixed !== undefined) {
      if (fixed.native !== undefined) {
        const out = parseNative(fixed, line, position);
        if (out !== undefined) return out;
      }
    } else {
      if (claimant !== undefined) {
        const c = claimant;
        claimant = undefined;
        const out = parseNative(c, line, position);
        if (out !== undefined) return out;
      }
      const natives = NATIVE_BY_FIRST_CHAR[line.charCodeAt(0)];
      if (natives !== undefined) {
        for (const p of natives) {
          if (p.native?.detect(line, stateOf(p)) !== true) continue;
          const out = parseNative(p, line, position);
          if (out !== undefined) return out;
        }
      }
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
      parser = PARSERS[id] as LogParser<unknown>;
    }
    if (parser.parse === undefined) {
      skipped.unrecognized_message++;
      return [];
    }
    at.line = line;
    at.position = position;
    const partials = parser.parse(rec, stateOf(parser), at);
    if (partials === null) {
      skipped.unrecognized_message++;
      return [];
    }
    recognized++;
    if (partials.length === 0) return [];
    return emit(parser, partials, line, position, rec.ts, rec.host);
  }

  function flush(): MailEvent[] {
    const out: MailEvent[] = [];
    claimant = undefined;
    for (const [parser, { state }] of states) {
      const partials = parser.flush?.(state);
      if (partials === undefined || partials.length === 0) continue;
      // A flushed event has no current line: its origin must say where it came from.
      out.push(...emit(parser, partials, "", "flush", undefined, undefined));
    }
    return out;
  }

  return {
    parseLine,
    flush,
    stats: () => ({ read, recognized, events, skipped: { ...skipped } }),
  };
}
