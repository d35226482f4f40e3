// Suppressions: "no alert for this entity on this detection during this
// period" — a known scanner, a migration job that reads the user table, a
// mailing-list server sending a burst. Created and deleted through the API,
// stored in `suppressions` (versioned rows, latest wins, deletes are rows
// too), audited in `alert_actions`.
//
// The detector pipeline refreshes `loadActiveSuppressions(client, now)` now and
// then and drops findings for which `isSuppressed(finding, list)` holds. The
// matcher is pure and judges by the finding's own event time, so replaying the
// same events against the same suppressions gives the same result.
//
// Matching: `detection` is a detection id or "*" (every detection). Without
// `entity_type` a suppression matches a finding whose `entity` equals its
// entity, whatever the type; with one it matches a finding of that entity
// type and entity, and for host / user / src_ip also any finding whose
// `host` / `user` / `src_ip` field equals it (suppressing host mx1 quiets
// per-process egress findings on mx1 too).
import { randomBytes } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import type { EntityType, Finding } from "../core/finding.js";
import { recordAction, type WriteClock } from "./audit.js";
import { type Cursor, page } from "./cursor.js";
import { insertRows, isoOf, selectRows, Where } from "./sql.js";

export const ENTITY_TYPES = [
  "user",
  "src_ip",
  "src_net",
  "asn",
  "host",
  "host_process",
  "host_destination",
  "sender",
  "domain",
  "principal",
] as const satisfies readonly EntityType[];

export const ANY_DETECTION = "*";

export interface Suppression {
  id: string;
  /** A detection id, or "*" for every detection. */
  detection: string;
  /** Empty: match `entity` against the finding's entity of any type. */
  entity_type: EntityType | "";
  entity: string;
  /** ISO-8601 UTC; the suppression holds for findings with starts_at <= ts < ends_at. */
  starts_at: string;
  ends_at: string;
  reason: string;
  created_by: string;
  created_at: string;
}

export type SuppressibleFinding = Pick<
  Finding,
  "ts" | "detection" | "entity_type" | "entity" | "host" | "user" | "src_ip"
>;

const FIELD_TYPES = new Set<string>(["host", "user", "src_ip"]);

function matches(f: SuppressibleFinding, s: Suppression, at: number): boolean {
  if (s.detection !== ANY_DETECTION && s.detection !== f.detection) return false;
  if (at < Date.parse(s.starts_at) || at >= Date.parse(s.ends_at)) return false;
  if (s.entity_type === "") return f.entity === s.entity;
  if (f.entity_type === s.entity_type && f.entity === s.entity) return true;
  if (!FIELD_TYPES.has(s.entity_type)) return false;
  return f[s.entity_type as "host" | "user" | "src_ip"] === s.entity;
}

/** The suppressions that hold for a finding (pure). */
export function matchingSuppressions(f: SuppressibleFinding, suppressions: readonly Suppression[]): Suppression[] {
  const at = Date.parse(f.ts);
  return suppressions.filter((s) => matches(f, s, at));
}

/** Whether any suppression holds for the finding at its event time (pure). */
export function isSuppressed(f: SuppressibleFinding, suppressions: readonly Suppression[]): boolean {
  const at = Date.parse(f.ts);
  return suppressions.some((s) => matches(f, s, at));
}

interface SuppressionRow {
  id: string;
  version: number;
  detection: string;
  entity_type: string;
  entity: string;
  starts_ms: number;
  ends_ms: number;
  reason: string;
  created_by: string;
  created_ms: number;
  deleted: number;
}

const COLUMNS = `id, version, detection, entity_type, entity,
  toUnixTimestamp64Milli(starts_at) AS starts_ms, toUnixTimestamp64Milli(ends_at) AS ends_ms,
  reason, created_by, toUnixTimestamp64Milli(created_at) AS created_ms, deleted`;

const toSuppression = (r: SuppressionRow): Suppression => ({
  id: r.id,
  detection: r.detection,
  entity_type: r.entity_type as Suppression["entity_type"],
  entity: r.entity,
  starts_at: isoOf(r.starts_ms),
  ends_at: isoOf(r.ends_ms),
  reason: r.reason,
  created_by: r.created_by,
  created_at: isoOf(r.created_ms),
});

/** How far back a suppression that has ended still matters: findings arrive late (event time). */
export const DEFAULT_LOOKBACK_MS = 24 * 3_600_000;

/**
 * Every suppression that can hold for a finding at or around `now`: not
 * deleted and ending after `now - lookbackMs` (scheduled ones included; the
 * matcher checks each finding's time against the period).
 */
export async function loadActiveSuppressions(
  client: ClickHouseClient,
  now: Date,
  opts: { lookbackMs?: number } = {},
): Promise<Suppression[]> {
  const rows = await selectRows<SuppressionRow>(
    client,
    `SELECT ${COLUMNS} FROM suppressions FINAL
     WHERE deleted = 0 AND ends_at > fromUnixTimestamp64Milli({since:Int64})
     ORDER BY created_at, id`,
    { since: now.getTime() - (opts.lookbackMs ?? DEFAULT_LOOKBACK_MS) },
  );
  return rows.map(toSuppression);
}

/**
 * The detector's view of the suppressions: refreshed from the store every
 * `refreshMs`, so `accept` (the findings stage's synchronous filter) never
 * waits on ClickHouse. A failed refresh keeps the last list and is reported.
 */
export class SuppressionFilter {
  private list: Suppression[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly opts: { refreshMs: number; now?: () => Date; onError?: (e: unknown) => void },
  ) {}

  get current(): readonly Suppression[] {
    return this.list;
  }

  async refresh(): Promise<void> {
    this.list = await loadActiveSuppressions(this.client, this.opts.now?.() ?? new Date());
  }

  /** Loads once, then keeps refreshing in the background. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((e) => this.opts.onError?.(e));
    }, this.opts.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** False for a finding a suppression holds for. */
  accept = (f: SuppressibleFinding): boolean => !isSuppressed(f, this.list);
}

export interface NewSuppression {
  detection: string;
  entity_type: EntityType | "";
  entity: string;
  starts_at: number;
  ends_at: number;
  reason: string;
}

export class SuppressionStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly clock: WriteClock,
  ) {}

  async create(input: NewSuppression, actor: string, now: Date): Promise<Suppression> {
    const id = randomBytes(16).toString("hex");
    const at = this.clock.next(now);
    await recordAction(this.client, {
      target_id: id,
      target: "suppression",
      action: "create",
      actor,
      note: input.reason,
      at,
    });
    const row = { id, version: at, ...input, created_by: actor, created_at: at, deleted: 0 };
    await insertRows(this.client, "suppressions", [row]);
    return {
      id,
      detection: input.detection,
      entity_type: input.entity_type,
      entity: input.entity,
      starts_at: isoOf(input.starts_at),
      ends_at: isoOf(input.ends_at),
      reason: input.reason,
      created_by: actor,
      created_at: isoOf(at),
    };
  }

  async get(id: string): Promise<(Suppression & { version: number }) | undefined> {
    const [row] = await selectRows<SuppressionRow>(
      this.client,
      `SELECT ${COLUMNS} FROM suppressions FINAL WHERE id = {id:FixedString(32)} AND deleted = 0`,
      { id },
    );
    return row ? { ...toSuppression(row), version: Number(row.version) } : undefined;
  }

  /** Newest first; `active` keeps those holding at `now`. */
  async list(f: {
    active?: boolean;
    detection?: string;
    entity?: string;
    now: Date;
    cursor?: Cursor;
    limit: number;
  }): Promise<{ items: Suppression[]; next_cursor: string | null }> {
    const w = new Where().add("deleted = 0");
    if (f.active) {
      w.add("starts_at <= fromUnixTimestamp64Milli({now:Int64}) AND ends_at > fromUnixTimestamp64Milli({now:Int64})", {
        now: f.now.getTime(),
      });
    }
    if (f.detection !== undefined) w.add("detection = {detection:String}", { detection: f.detection });
    if (f.entity !== undefined) w.add("entity = {entity:String}", { entity: f.entity });
    if (f.cursor) {
      w.add("(created_at, id) < (fromUnixTimestamp64Milli({ct:Int64}), {cid:FixedString(32)})", {
        ct: f.cursor.t,
        cid: f.cursor.id,
      });
    }
    const rows = await selectRows<SuppressionRow>(
      this.client,
      `SELECT ${COLUMNS} FROM suppressions FINAL ${w.sql} ORDER BY created_at DESC, id DESC LIMIT {limit:UInt32}`,
      { ...w.params, limit: f.limit + 1 },
    );
    const p = page(rows, f.limit, (r) => ({ t: Number(r.created_ms), id: r.id }));
    return { items: p.items.map(toSuppression), next_cursor: p.next_cursor };
  }

  /** Marks a suppression deleted; false when there is none (or it was deleted already). */
  async delete(id: string, actor: string, now: Date): Promise<boolean> {
    const current = await this.get(id);
    if (!current) return false;
    const at = this.clock.next(now, current.version + 1);
    await recordAction(this.client, { target_id: id, target: "suppression", action: "delete", actor, note: "", at });
    await insertRows(this.client, "suppressions", [
      {
        id,
        version: at,
        detection: current.detection,
        entity_type: current.entity_type,
        entity: current.entity,
        starts_at: Date.parse(current.starts_at),
        ends_at: Date.parse(current.ends_at),
        reason: current.reason,
        created_by: current.created_by,
        created_at: Date.parse(current.created_at),
        deleted: 1,
        deleted_by: actor,
        deleted_at: at,
      },
    ]);
    return true;
  }
}
