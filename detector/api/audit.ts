// The audit trail: every workflow action (ack, resolve, reopen, feedback,
// suppression create/delete) is appended to `alert_actions` before it takes
// effect, with who did it and their note. Rows are never updated.
import type { ClickHouseClient } from "@clickhouse/client";
import { type Cursor, page } from "./cursor.js";
import { insertRows, isoOf, selectRows, Where } from "./sql.js";

export type AuditTarget = "finding" | "incident" | "suppression";
export type AuditAction = "acknowledge" | "resolve" | "reopen" | "feedback" | "create" | "delete";

export interface AuditEntry {
  target_id: string;
  target: AuditTarget;
  action: AuditAction;
  actor: string;
  note: string;
  verdict: string;
  at: string;
}

/**
 * Hands out write times that strictly increase within the process, so
 * "latest row wins" (ReplacingMergeTree versions, audit order) is never a tie
 * even for two actions in the same millisecond.
 */
export class WriteClock {
  private last = 0;
  next(now: Date, atLeast = 0): number {
    const t = Math.max(now.getTime(), this.last + 1, atLeast);
    this.last = t;
    return t;
  }
}

export async function recordAction(
  client: ClickHouseClient,
  e: Omit<AuditEntry, "at" | "verdict"> & { verdict?: string; at: number },
): Promise<void> {
  await insertRows(client, "alert_actions", [
    {
      alert_id: e.target_id,
      target: e.target,
      action: e.action,
      actor: e.actor,
      note: e.note,
      verdict: e.verdict ?? "",
      at: e.at,
    },
  ]);
}

interface ActionRow {
  alert_id: string;
  target: string;
  action: string;
  actor: string;
  note: string;
  verdict: string;
  at_ms: number;
}

const toEntry = (r: ActionRow): AuditEntry => ({
  target_id: r.alert_id,
  target: r.target as AuditTarget,
  action: r.action as AuditAction,
  actor: r.actor,
  note: r.note,
  verdict: r.verdict,
  at: isoOf(r.at_ms),
});

const COLUMNS = "alert_id, target, action, actor, note, verdict, toUnixTimestamp64Milli(at) AS at_ms";

/** The history of one alert or suppression, oldest first. */
export async function actionsOf(client: ClickHouseClient, id: string): Promise<AuditEntry[]> {
  const rows = await selectRows<ActionRow>(
    client,
    `SELECT ${COLUMNS} FROM alert_actions WHERE alert_id = {id:FixedString(32)} ORDER BY at, action LIMIT 1000`,
    { id },
  );
  return rows.map(toEntry);
}

export interface AuditFilter {
  from?: number;
  to?: number;
  actor?: string;
  target?: string[];
  target_id?: string;
  cursor?: Cursor;
  limit: number;
}

/** The whole trail, newest first, keyset-paginated on (at, target id). */
export async function listAudit(
  client: ClickHouseClient,
  f: AuditFilter,
): Promise<{ items: AuditEntry[]; next_cursor: string | null }> {
  const w = new Where();
  if (f.from !== undefined) w.add("at >= fromUnixTimestamp64Milli({from:Int64})", { from: f.from });
  if (f.to !== undefined) w.add("at < fromUnixTimestamp64Milli({to:Int64})", { to: f.to });
  if (f.actor !== undefined) w.add("actor = {actor:String}", { actor: f.actor });
  if (f.target?.length) w.add("target IN {target:Array(String)}", { target: f.target });
  if (f.target_id !== undefined) w.add("alert_id = {tid:FixedString(32)}", { tid: f.target_id });
  if (f.cursor) {
    w.add("(at, alert_id) < (fromUnixTimestamp64Milli({ct:Int64}), {cid:FixedString(32)})", {
      ct: f.cursor.t,
      cid: f.cursor.id,
    });
  }
  const rows = await selectRows<ActionRow>(
    client,
    `SELECT ${COLUMNS} FROM alert_actions ${w.sql} ORDER BY at DESC, alert_id DESC LIMIT {limit:UInt32}`,
    { ...w.params, limit: f.limit + 1 },
  );
  const p = page(rows, f.limit, (r) => ({ t: Number(r.at_ms), id: r.alert_id }));
  return { items: p.items.map(toEntry), next_cursor: p.next_cursor };
}
