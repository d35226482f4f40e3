// `timeline`: every event and finding of one entity in time order, a page at
// a time. Pages are keyset-paginated on (time, id) ascending across both
// tables, so a long range is walked without OFFSET and rows stored while an
// analyst pages neither shift nor repeat. Events are read without FINAL (it
// would rule out the projections that make this fast) and deduplicated by id
// instead: duplicates of a line carry the same id and the same content.
import type { ClickHouseClient } from "@clickhouse/client";
import { type Cursor, page } from "../api/cursor.js";
import { isoOf, selectRows } from "../api/sql.js";
import { allOf, type Condition, type Entity, eventBranches, findingCondition, timeConditions } from "./entity.js";

export interface TimelineEntry {
  ts: string;
  type: "event" | "finding";
  id: string;
  host: string;
  /** The event's source (parser), or the finding's detection. */
  source: string;
  /** The event's kind, or the finding's kill-chain stage. */
  kind: string;
  /** The event's action, or "finding". */
  action: string;
  /** The event's outcome, or the finding's severity. */
  outcome: string;
  user: string;
  src_ip: string;
  dst_ip: string;
  dst_port: number | null;
  process: string;
  /** What was read (file, LDAP base, table.column), or the finding's entity. */
  object: string;
  records: number | null;
  bytes_out: number | null;
  /** The raw log line, or the finding's summary. */
  detail: string;
}

export interface TimelineQuery {
  entity: Entity;
  from?: number;
  to?: number;
  /** Start strictly after this (time, id): the previous page's `next_cursor`. */
  after?: Cursor;
  limit: number;
}

export interface TimelinePage {
  items: TimelineEntry[];
  next_cursor: string | null;
}

type Row = Omit<TimelineEntry, "ts"> & { ts_ms: number };

const EVENT_COLUMNS = `'event' AS type, id, toUnixTimestamp64Milli(ts) AS ts_ms, host, source, kind, action, outcome,
  user, src_ip, dst_ip, dst_port, process_name AS process, object, records, bytes_out, raw AS detail`;

const FINDING_COLUMNS = `'finding' AS type, id, toUnixTimestamp64Milli(ts) AS ts_ms, host, detection AS source,
  stage AS kind, 'finding' AS action, severity AS outcome, user, src_ip, '' AS dst_ip, NULL AS dst_port,
  '' AS process, entity AS object, NULL AS records, NULL AS bytes_out, summary AS detail`;

function after(c: Cursor | undefined): Condition[] {
  if (!c) return [];
  // The plain `ts >=` lets the primary key and projections prune; the tuple is the exact keyset condition.
  return [
    {
      sql: "ts >= fromUnixTimestamp64Milli({ct:Int64}) AND (ts, id) > (fromUnixTimestamp64Milli({ct:Int64}), {cid:FixedString(32)})",
      params: { ct: c.t, cid: c.id },
    },
  ];
}

async function eventRows(client: ClickHouseClient, q: TimelineQuery): Promise<Row[]> {
  const common = [...timeConditions(q), ...after(q.after)];
  const branches = eventBranches(q.entity).map((b) => allOf([b, ...common]));
  const sql = branches
    .map((b) => `SELECT ${EVENT_COLUMNS} FROM events WHERE ${b.sql} ORDER BY ts, id LIMIT 1 BY id LIMIT {n:UInt32}`)
    .join(" UNION ALL ");
  const params = Object.assign({ n: q.limit + 1 }, ...branches.map((b) => b.params));
  return selectRows<Row>(
    client,
    branches.length === 1 ? sql : `SELECT * FROM (${sql}) ORDER BY ts_ms, id LIMIT {n:UInt32}`,
    params,
  );
}

async function findingRows(client: ClickHouseClient, q: TimelineQuery): Promise<Row[]> {
  const where = allOf([findingCondition(q.entity), ...timeConditions(q), ...after(q.after)]);
  return selectRows<Row>(
    client,
    `SELECT ${FINDING_COLUMNS} FROM findings FINAL WHERE ${where.sql} ORDER BY ts, id LIMIT {n:UInt32}`,
    { ...where.params, n: q.limit + 1 },
  );
}

const byTimeThenId = (a: Row, b: Row): number =>
  Number(a.ts_ms) - Number(b.ts_ms) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** One page of the entity's timeline: up to `limit` entries after the cursor, oldest first. */
export async function timeline(client: ClickHouseClient, q: TimelineQuery): Promise<TimelinePage> {
  // Each table gives its first limit + 1 rows after the cursor; the merged
  // first `limit` are then exactly the page.
  const [events, findings] = await Promise.all([eventRows(client, q), findingRows(client, q)]);
  const rows = [...events, ...findings].sort(byTimeThenId);
  const p = page(rows, q.limit, (r) => ({ t: Number(r.ts_ms), id: r.id }));
  return {
    items: p.items.map(({ ts_ms, ...r }) => ({
      ts: isoOf(ts_ms),
      ...r,
      dst_port: r.dst_port === null ? null : Number(r.dst_port),
      records: r.records === null ? null : Number(r.records),
      bytes_out: r.bytes_out === null ? null : Number(r.bytes_out),
    })),
    next_cursor: p.next_cursor,
  };
}
