// The shapes shared by the authentication parsers: what an envelope gives a
// parser (one syslog/journald/native record) and what a parser gives back (the
// source-specific part of an event; the pipeline adds id, ts, host, source, raw).
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

/** The part of an event a parser decides; everything else comes from the envelope. */
export type PartialEvent = Pick<MailEvent, "kind" | "action" | "outcome"> &
  Partial<
    Pick<
      MailEvent,
      "user" | "src_ip" | "src_port" | "dst_ip" | "dst_port" | "proto" | "object" | "records" | "reason" | "attrs"
    >
  >;

export type Attrs = NonNullable<MailEvent["attrs"]>;

/**
 * A pure parser over envelope records. `parse` returns `null` when the line is
 * not one it understands, and an array (possibly empty, e.g. a slapd ACCEPT
 * that only feeds per-connection state) when it is. `state` belongs to one
 * stream (one file, one journald cursor) and is created by `createState`.
 */
export interface AuthParser<S = unknown> {
  readonly id: EventSource;
  createState(): S;
  parse(rec: EnvelopeRecord, state: S): readonly PartialEvent[] | null;
}

/** Shared empty result: "recognized, nothing to emit" without allocating. */
export const NO_EVENTS: readonly PartialEvent[] = Object.freeze([]);
