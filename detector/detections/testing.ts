// Helpers for detection tests: compact event builders and a runner that feeds
// events through the real engine (reorder buffer, enrichers, dedup) and
// returns the findings. Named without `.test` so the runner does not load it.
import type { MailEvent } from "../../events/event.js";
import { eventId } from "../../events/event.js";
import type { AnyDetection } from "../core/detection.js";
import { DetectorEngine } from "../core/engine.js";
import type { Finding } from "../core/finding.js";
import { type AsnRow, createNetworkInfo } from "../core/networks.js";

export const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** A small ASN table for tests: two ISPs' home networks and two hostile hosters. */
export const TEST_ASNS: AsnRow[] = [
  { cidr: "198.51.100.0/24", asn: 64501, country: "JP", name: "Home ISP A" },
  { cidr: "192.0.2.0/24", asn: 64502, country: "JP", name: "Mobile ISP B" },
  { cidr: "203.0.113.0/24", asn: 64666, country: "NL", name: "Bulletproof Hosting" },
  { cidr: "100.64.0.0/10", asn: 64777, country: "US", name: "Cloud C" },
];

let seq = 0;
export function ev(at: number, fields: Partial<MailEvent> & Pick<MailEvent, "kind" | "action" | "outcome">): MailEvent {
  seq += 1;
  const host = fields.host ?? "imap1";
  return {
    id: eventId(host, "test", seq, JSON.stringify(fields)),
    ts: new Date(at).toISOString(),
    host,
    source: "dovecot",
    ...fields,
  };
}

/** A failed login as the Dovecot login process summarizes it (counts `attempts`). */
export function fail(at: number, user: string, ip: string, attempts = 1, extra: Partial<MailEvent> = {}): MailEvent {
  return ev(at, {
    kind: "auth",
    action: "auth_failure",
    outcome: "failure",
    user,
    src_ip: ip,
    proto: "imap",
    attrs: { stage: "login", attempts },
    ...extra,
  });
}

export function login(at: number, user: string, ip: string, extra: Partial<MailEvent> = {}): MailEvent {
  return ev(at, {
    kind: "auth",
    action: "login",
    outcome: "success",
    user,
    src_ip: ip,
    proto: "imap",
    attrs: { stage: "login" },
    ...extra,
  });
}

/** Runs `detection` (defaults merged with `overrides`) over `events` in order; returns every finding. */
export function run(detection: AnyDetection, events: MailEvent[], overrides: object = {}): Finding[] {
  const engine = new DetectorEngine({
    detections: [{ detection, config: detection.config.parse({ ...detection.defaults, ...overrides }) }],
    ctx: { networks: createNetworkInfo({ asnTable: TEST_ASNS }) },
    allowedLatenessMs: 0,
    idleEvictionMs: 30 * DAY,
  });
  const out: Finding[] = [];
  for (const e of events) out.push(...engine.ingest(e));
  out.push(...engine.flush());
  return out;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A slapd search as the slapd parser emits it (SRCH joined with its SEARCH RESULT). */
export function ldapSearch(
  at: number,
  dn: string,
  ip: string,
  records: number | undefined,
  opts: { host?: string; passwordAttrs?: boolean; base?: string; filter?: string } = {},
): MailEvent {
  const passwords = opts.passwordAttrs ?? true;
  return ev(at, {
    host: opts.host ?? "ldap1",
    source: "slapd",
    kind: "cred_access",
    action: "ldap_search",
    outcome: records === undefined ? "unknown" : "success",
    user: dn,
    src_ip: ip,
    proto: "ldap",
    object: `${opts.base ?? "ou=people,dc=example,dc=net"}?sub?${opts.filter ?? "(objectClass=inetOrgPerson)"}`,
    ...(records === undefined ? {} : { records }),
    attrs: {
      session: "1001",
      op: 1,
      password_attrs: passwords,
      tls: false,
      attrs: passwords ? "uid mail userPassword" : "uid mail cn",
      ...(records === undefined ? { result: "none" } : {}),
    },
  });
}

/**
 * A MariaDB statement reading a credential column, as the mariadb-audit parser
 * emits it: from the slow log (with Rows_sent as records) or, with `records`
 * undefined, from server_audit (no row count).
 */
export function sqlSelect(
  at: number,
  user: string,
  ip: string,
  records: number | undefined,
  opts: { host?: string; column?: string; outcome?: MailEvent["outcome"] } = {},
): MailEvent {
  return ev(at, {
    host: opts.host ?? "db1",
    source: "mariadb-audit",
    kind: "cred_access",
    action: "db_select",
    outcome: opts.outcome ?? (records === undefined || records > 0 ? "success" : "unknown"),
    user,
    src_ip: ip,
    proto: "mysql",
    object: opts.column ?? "postfix.mailbox.password",
    ...(records === undefined ? {} : { records }),
    attrs: {
      log: records === undefined ? "server_audit" : "slow",
      query:
        records === 1 ? "SELECT password FROM mailbox WHERE username = ?" : "SELECT username, password FROM mailbox",
    },
  });
}

/** An auditd read of a watched credential file. */
export function fileRead(
  at: number,
  path: string,
  proc: { name: string; exe: string; uid: number; auid?: number; pid?: number },
  opts: { host?: string; outcome?: MailEvent["outcome"] } = {},
): MailEvent {
  return ev(at, {
    host: opts.host ?? "imap1",
    source: "auditd",
    kind: "cred_access",
    action: "cred_read",
    outcome: opts.outcome ?? "success",
    process: { pid: proc.pid ?? 4242, auid: 4294967295, ...proc },
    object: path,
  });
}

/** A collector heartbeat. */
export function heartbeat(at: number, host: string, intervalS = 30): MailEvent {
  return ev(at, {
    host,
    source: "agent",
    kind: "agent",
    action: "heartbeat",
    outcome: "success",
    attrs: { interval_s: intervalS },
  });
}

/** A socket-poller sample of an outbound connection (`ss`): `bytesOut` sent since the previous sample. */
export function egressSample(
  at: number,
  host: string,
  process: string,
  dstIp: string,
  bytesOut: number,
  opts: { dstPort?: number; action?: "conn" | "conn_sample"; pid?: number; attrs?: MailEvent["attrs"] } = {},
): MailEvent {
  return ev(at, {
    host,
    source: "ss",
    kind: "net",
    action: opts.action ?? "conn_sample",
    outcome: "success",
    src_ip: "192.0.2.10",
    src_port: 40_000 + (seq % 20_000),
    dst_ip: dstIp,
    dst_port: opts.dstPort ?? 443,
    process: { name: process, pid: opts.pid ?? 1000 },
    bytes_out: bytesOut,
    bytes_in: 0,
    attrs: { state: "ESTAB", ...(opts.attrs ?? {}) },
  });
}

/** A Postfix delivery of one message to one recipient (`mail_out`). */
export function mailDelivery(
  at: number,
  sender: string,
  recipient: string,
  size: number,
  opts: { host?: string; local?: boolean; outcome?: MailEvent["outcome"]; nrcpt?: number; relayIp?: string } = {},
): MailEvent {
  return ev(at, {
    host: opts.host ?? "smtp1",
    source: "postfix",
    kind: "mail_out",
    action: "delivery",
    outcome: opts.outcome ?? "success",
    user: sender,
    object: recipient,
    bytes_out: size,
    records: opts.nrcpt ?? 1,
    dst_ip: opts.relayIp ?? "64.233.1.1",
    dst_port: 25,
    proto: "smtp",
    ...(opts.local ? { attrs: { local: true } } : {}),
  });
}

/** A detection and the settings it runs with (merged over its defaults). */
export type WithConfig = AnyDetection | [AnyDetection, object];

function engineFor(detections: WithConfig[], asnTable: AsnRow[]): DetectorEngine {
  return new DetectorEngine({
    detections: detections.map((d) => {
      const [detection, overrides] = Array.isArray(d) ? d : [d, {}];
      return { detection, config: detection.config.parse({ ...detection.defaults, ...overrides }) };
    }),
    ctx: { networks: createNetworkInfo({ asnTable }) },
    allowedLatenessMs: 0,
    idleEvictionMs: 30 * DAY,
  });
}

const byTime = (events: MailEvent[]): MailEvent[] =>
  events
    .map((e, i) => [Date.parse(e.ts), i, e] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map((x) => x[2]);

/**
 * Runs several detections in one engine (a detection that reads the
 * attributes of another's enricher needs both) over `events` sorted by time;
 * returns every finding.
 */
export function runAll(detections: WithConfig[], events: MailEvent[], asnTable = TEST_ASNS): Finding[] {
  const engine = engineFor(detections, asnTable);
  const out: Finding[] = [];
  for (const e of byTime(events)) out.push(...engine.ingest(e));
  out.push(...engine.flush());
  return out;
}

/**
 * Like runAll (given a list of detections) or `run` (given one detection and
 * its overrides), but after the first `split` events the engine is
 * snapshotted, the snapshot goes through JSON (as a checkpoint would), and a
 * fresh engine restored from it consumes the rest: a restart must change
 * nothing. The list form sorts events by time, as runAll does; the one-detection form
 * feeds them as given, as `run` does.
 */
export function runResumed(
  detections: WithConfig[] | AnyDetection,
  events: MailEvent[],
  split: number,
  asnTableOrOverrides: AsnRow[] | object = TEST_ASNS,
): Finding[] {
  const list = Array.isArray(detections);
  const make = () =>
    list
      ? engineFor(detections, asnTableOrOverrides as AsnRow[])
      : engineFor([[detections, asnTableOrOverrides === TEST_ASNS ? {} : asnTableOrOverrides]], TEST_ASNS);
  const sorted = list ? byTime(events) : events;
  const first = make();
  const out: Finding[] = [];
  for (const e of sorted.slice(0, split)) out.push(...first.ingest(e));
  const second = make();
  second.restore(JSON.parse(JSON.stringify(first.snapshot())));
  for (const e of sorted.slice(split)) out.push(...second.ingest(e));
  out.push(...second.flush());
  return out;
}
