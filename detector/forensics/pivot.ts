// `pivot`: what one address, account or host touched — accounts tried and
// logged into, hosts, processes, destinations, objects read — each with its
// event count and first/last time, plus the findings about it. One scan of
// the entity's events (through the same indexes as its timeline), fanned out
// into (relation, value) pairs with ARRAY JOIN and grouped.
import type { ClickHouseClient } from "@clickhouse/client";
import { isoOf, selectRows } from "../api/sql.js";
import { allOf, type Entity, eventBranches, findingCondition, timeConditions } from "./entity.js";

export const PIVOT_KINDS = ["ip", "user", "host"] as const;
export type PivotKind = (typeof PIVOT_KINDS)[number];

/** Relations in the order they are listed; "seen" is the entity itself. */
export const RELATIONS = [
  "seen",
  "event",
  "account_logged_in",
  "account_tried",
  "account",
  "source_ip",
  "host",
  "process",
  "destination",
  "object",
  "finding",
] as const;

export interface PivotRow {
  relation: (typeof RELATIONS)[number];
  value: string;
  /** Distinct events (for "finding": finding rows). */
  events: number;
  first_seen: string;
  last_seen: string;
}

export interface PivotResult {
  items: PivotRow[];
  /** Relations with more values than the per-relation limit: only the most frequent are listed. */
  truncated: string[];
}

export interface PivotQuery {
  kind: PivotKind;
  value: string;
  from?: number;
  to?: number;
  /** Values listed per relation, the most frequent first. */
  perRelation: number;
}

type Row = { relation: PivotRow["relation"]; value: string; events: number; first_ms: number; last_ms: number };

// An event's neighbours: each pair is one relation; empty values are dropped.
const FAN_OUT = `[
  ('seen', {v:String}),
  ('event', concat(kind, ' ', action, ' ', outcome)),
  ('account_logged_in', if(kind = 'auth' AND outcome = 'success', user, '')),
  ('account_tried', if(kind = 'auth' AND outcome != 'success', user, '')),
  ('account', if(kind != 'auth', user, '')),
  ('source_ip', src_ip),
  ('host', host),
  ('process', process_name),
  ('destination', if(dst_ip = '', '', if(dst_port IS NULL, dst_ip, concat(dst_ip, ':', toString(dst_port))))),
  ('object', object)
]`;

async function eventRelations(client: ClickHouseClient, entity: Entity, q: PivotQuery): Promise<Row[]> {
  const branches = eventBranches(entity).map((b) => allOf([b, ...timeConditions(q)]));
  const scan = branches
    .map(
      (b) => `SELECT id, ts, kind, action, outcome, user, src_ip, host, process_name, dst_ip, dst_port, object
        FROM events WHERE ${b.sql}`,
    )
    .join(" UNION ALL ");
  return selectRows<Row>(
    client,
    `SELECT relation, value, events, first_ms, last_ms FROM (
       SELECT rel.1 AS relation, rel.2 AS value, uniqExact(id) AS events,
         toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms
       FROM (${scan}) ARRAY JOIN ${FAN_OUT} AS rel
       WHERE rel.2 != '' AND (rel.1 = 'seen' OR rel.2 != {v:String})
       GROUP BY relation, value
     )
     ORDER BY relation, events DESC, value LIMIT {per:UInt32} BY relation`,
    Object.assign({ per: q.perRelation + 1 }, ...branches.map((b) => b.params)),
  );
}

async function findingRelations(client: ClickHouseClient, entity: Entity, q: PivotQuery): Promise<Row[]> {
  const where = allOf([findingCondition(entity), ...timeConditions(q)]);
  return selectRows<Row>(
    client,
    `SELECT 'finding' AS relation, detection AS value, count() AS events,
       toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms
     FROM findings FINAL WHERE ${where.sql}
     GROUP BY detection ORDER BY events DESC, value LIMIT {per:UInt32}`,
    { ...where.params, per: q.perRelation + 1 },
  );
}

export async function pivot(client: ClickHouseClient, q: PivotQuery): Promise<PivotResult> {
  const entity: Entity = { kind: q.kind, value: q.value };
  const [events, findings] = await Promise.all([
    eventRelations(client, entity, q),
    findingRelations(client, entity, q),
  ]);
  const rows = [...events, ...findings];
  const perRelation = new Map<string, number>();
  const items: PivotRow[] = [];
  for (const r of rows.sort((a, b) => RELATIONS.indexOf(a.relation) - RELATIONS.indexOf(b.relation))) {
    const n = (perRelation.get(r.relation) ?? 0) + 1;
    perRelation.set(r.relation, n);
    if (n > q.perRelation) continue;
    items.push({
      relation: r.relation,
      value: r.value,
      events: Number(r.events),
      first_seen: isoOf(r.first_ms),
      last_seen: isoOf(r.last_ms),
    });
  }
  const truncated = [...perRelation].filter(([, n]) => n > q.perRelation).map(([relation]) => relation);
  return { items, truncated };
}
