// The shapes shared by the parsers: what an envelope gives a parser (one
// syslog/journald record), what a native reader sees (the line itself), and
// what a parser gives back (the source-specific part of an event; the
// pipeline adds id, ts, host, source, raw).
import type { EventSource, MailEvent } from "../../events/event.js";

/** One log record with its transport envelope removed. */
export interface EnvelopeRecord {
  /** Event time, epoch milliseconds. */
  ts: number;
  /** Host named by the envelope, when it names one. */
  host: string | undefined;
  /** Syslog program/tag (`dovecot`, `postfix/submission/smtpd`, `sshd`...). */
  program: string;
  pid: number | undefined;
  /** The message after the tag: what the daemon itself wrote. */
  message: string;
}

/** The line being parsed and where it sits in its stream (byte offset, cursor...). */
export interface LineContext {
  line: string;
  position: string | number;
  /** Offset from UTC of the stream's zone-less local time stamps, ms (see YearInference); 0 when absent. */
  utcOffsetMs?: number;
}

/**
 * Where an event came from when that is not simply "the current line": an
 * event assembled from several records (auditd's SYSCALL+PATH+PROCTITLE, a
 * slapd SRCH joined with its SEARCH RESULT, a Postfix delivery joined with its
 * qmgr line), or a native line whose time the parser read. The pipeline
 * redacts every field of an event that has an origin on its own (its fields
 * may come from lines other than the current one).
 */
export interface EventOrigin {
  /** Event time, epoch ms (default: the current record's). Required for native lines. */
  ts?: number;
  /** Stream position of the event's first record (default: the current line's), for the id. */
  position?: string | number;
  /** The records the event stands for, joined by "\n" (default: the current line). */
  raw?: string;
  /** Host named by the records themselves (auditd `node=`). */
  host?: string;
}

/** The part of an event a parser decides; everything else comes from the envelope. */
export type PartialEvent = Pick<MailEvent, "kind" | "action" | "outcome"> &
  Partial<
    Pick<
      MailEvent,
      | "user"
      | "src_ip"
      | "src_port"
      | "dst_ip"
      | "dst_port"
      | "proto"
      | "process"
      | "object"
      | "records"
      | "bytes_out"
      | "bytes_in"
      | "reason"
      | "attrs"
    >
  > & { from?: EventOrigin };

export type Attrs = NonNullable<MailEvent["attrs"]>;

/**
 * A format the daemon writes itself, without a syslog envelope (auditd's
 * audit.log, Zeek's conn.log, MariaDB's audit and slow logs).
 * - `firstChars`: the characters a native line can start with; `--source auto`
 *   only calls `detect` for lines starting with one of them, so a syslog line
 *   pays one table look-up.
 * - `detect`: cheap and unambiguous (prefix checks): is this line ours?
 * - `parse`: the line's events (each with `from.ts`), `[]` for a line that only
 *   feeds state (a header, a record that is not complete yet), null when the
 *   line is not in this format.
 * - `continues`: true while the stream is inside a multi-line record that only
 *   this format can finish (the query text of a slow-log entry); `auto` then
 *   offers the next line to this parser first.
 */
export interface NativeFormat<S> {
  readonly firstChars: string;
  detect(line: string, state: S): boolean;
  parse(at: LineContext, state: S): readonly PartialEvent[] | null;
  continues?(state: S): boolean;
}

/**
 * A parser of one daemon's log. `parse` reads syslog/journald-enveloped
 * records (absent when the daemon never logs through syslog) and returns
 * `null` when the message is not one it understands, and an array (possibly
 * empty, e.g. a slapd ACCEPT that only feeds per-connection state) when it is.
 * `native` reads the daemon's own file format. `state` belongs to one stream
 * (one file, one journald cursor) and is created by `createState`, with the
 * parser's options (see each parser's options type; unknown keys rejected).
 * `flush` returns what is still pending at the end of a stream (an auditd
 * event without its EOE); nothing is lost when it is never called, only late.
 */
export interface LogParser<S = unknown> {
  readonly id: EventSource;
  createState(options?: unknown): S;
  parse?(rec: EnvelopeRecord, state: S, at: LineContext): readonly PartialEvent[] | null;
  readonly native?: NativeFormat<S>;
  flush?(state: S): readonly PartialEvent[];
}

/** Shared empty result: "recognized, nothing to emit" without allocating. */
export const NO_EVENTS: readonly PartialEvent[] = Object.freeze([]);

/** A parser option that is not valid; its message is one line, for the CLI/config loader to print. */
export class ParserOptionError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "ParserOptionError";
  }
}
