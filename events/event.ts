// The wire contract between collectors and the detector (DESIGN §4): one
// normalized event per meaningful log line or socket sample. Validated at the
// edges (parser output, Kafka consume); everything in between trusts the type.
import { hash } from "node:crypto";
import { z } from "zod";

export const EVENT_KINDS = ["auth", "cred_access", "net", "mail_out", "agent"] as const;
export const OUTCOMES = ["success", "failure", "unknown"] as const;
export const SOURCES = [
  "dovecot",
  "postfix",
  "sshd",
  "roundcube",
  "slapd",
  "auditd",
  "mariadb-audit",
  "zeek-conn",
  "ss",
  "agent",
] as const;

/** `raw` is capped so one hostile multi-megabyte line cannot bloat a batch. */
export const RAW_MAX_BYTES = 2048;

const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(0);

export const processSchema = z.strictObject({
  name: z.string().max(256).optional(),
  pid: z.number().int().min(0).optional(),
  exe: z.string().max(4096).optional(),
  uid: z.number().int().min(0).optional(),
  auid: z.number().int().min(0).optional(),
});

export const eventSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  ts: z.iso.datetime({ precision: 3 }),
  host: z.string().min(1).max(255),
  source: z.enum(SOURCES),
  kind: z.enum(EVENT_KINDS),
  action: z.string().min(1).max(64),
  outcome: z.enum(OUTCOMES),
  user: z.string().max(512).optional(),
  src_ip: z.string().max(64).optional(),
  src_port: port.optional(),
  dst_ip: z.string().max(64).optional(),
  dst_port: port.optional(),
  proto: z.string().max(32).optional(),
  process: processSchema.optional(),
  object: z.string().max(4096).optional(),
  records: count.optional(),
  bytes_out: count.optional(),
  bytes_in: count.optional(),
  reason: z.string().max(128).optional(),
  /** Parser-specific extras (session id, attempts, method, TLS...): flat strings/numbers/booleans. */
  attrs: z.record(z.string(), z.union([z.string().max(1024), z.number(), z.boolean()])).optional(),
  raw: z
    .string()
    .max(RAW_MAX_BYTES * 2)
    .optional(),
});

export type MailEvent = z.infer<typeof eventSchema>;
export type EventKind = MailEvent["kind"];
export type EventSource = MailEvent["source"];
export type EventProcess = z.infer<typeof processSchema>;

/**
 * Deterministic id: the same line at the same position of the same stream on
 * the same host always hashes to the same id, so replays and at-least-once
 * redelivery are idempotent downstream. `position` is whatever identifies the
 * line inside its stream (byte offset, journald cursor, sample sequence), and
 * `index` tells apart several events derived from one line.
 */
export function eventId(host: string, source: string, position: string | number, line: string, index = 0): string {
  // One-shot hash: half the cost of a Hash object on the parser's hot path.
  return hash("sha256", `${host}\u0000${source}\u0000${position}\u0000${index}\u0000${line}`).slice(0, 32);
}

/** Caps `raw` at RAW_MAX_BYTES of UTF-8 without splitting a character. */
export function capRaw(line: string): string {
  if (Buffer.byteLength(line) <= RAW_MAX_BYTES) return line;
  const buf = Buffer.from(line).subarray(0, RAW_MAX_BYTES);
  return `${buf.toString("utf8").replace(/\uFFFD$/, "")}…`;
}

export type EventValidation = { ok: true; event: MailEvent } | { ok: false; reason: string };

/** Validates an untrusted record (e.g. a Kafka message) and says why it is rejected. */
export function validateEvent(value: unknown): EventValidation {
  const r = eventSchema.safeParse(value);
  if (r.success) return { ok: true, event: r.data };
  const issue = r.error.issues[0];
  return { ok: false, reason: issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid event" };
}
