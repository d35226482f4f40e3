// Maps the wire event (DESIGN §4) to the flat `events` table row.
import type { MailEvent } from "../../events/event.js";

export interface EventRow {
  id: string;
  ts: number;
  host: string;
  source: string;
  kind: string;
  action: string;
  outcome: string;
  user: string;
  src_ip: string;
  src_port: number | null;
  dst_ip: string;
  dst_port: number | null;
  proto: string;
  process_name: string;
  process_pid: number | null;
  process_exe: string;
  process_uid: number | null;
  process_auid: number | null;
  object: string;
  records: number | null;
  bytes_out: number | null;
  bytes_in: number | null;
  reason: string;
  attrs: Record<string, string>;
  raw: string;
}

export function eventToRow(e: MailEvent): EventRow {
  const attrs: Record<string, string> = {};
  if (e.attrs) for (const [k, v] of Object.entries(e.attrs)) attrs[k] = String(v);
  return {
    id: e.id,
    ts: Date.parse(e.ts),
    host: e.host,
    source: e.source,
    kind: e.kind,
    action: e.action,
    outcome: e.outcome,
    user: e.user ?? "",
    src_ip: e.src_ip ?? "",
    src_port: e.src_port ?? null,
    dst_ip: e.dst_ip ?? "",
    dst_port: e.dst_port ?? null,
    proto: e.proto ?? "",
    process_name: e.process?.name ?? "",
    process_pid: e.process?.pid ?? null,
    process_exe: e.process?.exe ?? "",
    process_uid: e.process?.uid ?? null,
    process_auid: e.process?.auid ?? null,
    object: e.object ?? "",
    records: e.records ?? null,
    bytes_out: e.bytes_out ?? null,
    bytes_in: e.bytes_in ?? null,
    reason: e.reason ?? "",
    attrs,
    raw: e.raw ?? "",
  };
}
