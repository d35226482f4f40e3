// The alert workflow's store access: findings and incidents joined with their
// current workflow state, evidence events, and state changes. All state lives
// in ClickHouse: ReplacingMergeTree tables read with FINAL (latest row wins),
// every change audited in `alert_actions` first.
//
// Writes to one alert are serialized in this process (read state, decide,
// write), and the write time of a state row always exceeds the previous one,
// so the latest action is the one that wins.
import type { ClickHouseClient } from "@clickhouse/client";
import { type AuditEntry, actionsOf, recordAction, WriteClock } from "./audit.js";
import { type Cursor, page } from "./cursor.js";
import { apiError, notFound } from "./errors.js";
import { insertRows, isoOf, type QueryParams, selectRows, Where } from "./sql.js";
import { matchingSuppressions, type Suppression } from "./suppressions.js";
import { type AlertStatus, type AlertType, type StatusAction, transition, type Verdict } from "./workflow.js";

export interface AlertState {
  status: AlertStatus;
  feedback: Verdict | null;
  feedback_note: string;
  feedback_by: string | null;
  /** Who made the last status change, and their note. */
  updated_by: string | null;
  note: string;
  /** Time of the last workflow change (status or feedback); null while untouched. */
  updated_at: string | null;
}

export interface FindingView {
  id: string;
  ts: string;
  detection: string;
  stage: string;
  entity_type: string;
  entity: string;
  host: string;
  user: string;
  src_ip: string;
  score: number;
  severity: string;
  observed: number;
  expected: number;
  window_start: string;
  window_end: string;
  evidence: string[];
  summary: string;
  details: Record<string, unknown>;
  incident_id: string | null;
  state: AlertState;
  /** Ids of the suppressions that hold for this finding. */
  suppressed_by: string[];
}

export interface IncidentView {
  id: string;
  version: number;
  opened_at: string;
  updated_at: string;
  severity: string;
  score: number;
  stages: string[];
  entities: string[];
  hosts: string[];
  users: string[];
  src_ips: string[];
  finding_ids: string[];
  summary: string;
  /** Set when the correlator merged this incident into another (its story continues there). */
  merged_into: string | null;
  state: AlertState;
}

export interface EventView {
  id: string;
  ts: string;
  host: string;
  source: string;
  kind: string;
  action: string;
  outcome: string;
  [field: string]: unknown;
}

export interface AlertFilter {
  from?: number;
  to?: number;
  severity?: string[];
  detection?: string[];
  status?: AlertStatus[];
  host?: string;
  user?: string;
  src_ip?: string;
  entity?: string;
  incident_id?: string;
  cursor?: Cursor;
  limit: number;
}

export interface IncidentFilter {
  from?: number;
  to?: number;
  severity?: string[];
  status?: AlertStatus[];
  stage?: string;
  host?: string;
  user?: string;
  src_ip?: string;
  entity?: string;
  /** Also list incidents merged into others (hidden by default). */
  include_merged?: boolean;
  cursor?: Cursor;
  limit: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type WorkflowChange =
  | { kind: "status"; action: StatusAction; note: string }
  | { kind: "feedback"; verdict: Verdict; note: string };

export interface ChangeResult {
  state: AlertState;
  /** False when the alert already was in the requested status. */
  changed: boolean;
}

/** Evidence events are looked up within the finding's window widened by this much (partition pruning). */
const EVIDENCE_SLACK_MS = 24 * 3_600_000;

interface StateCols {
  s_status: string;
  s_feedback: string;
  s_feedback_note: string;
  s_feedback_actor: string;
  s_actor: string;
  s_note: string;
  s_ms: number;
}

interface FindingRow extends StateCols {
  id: string;
  ts_ms: number;
  detection: string;
  stage: string;
  entity_type: string;
  entity: string;
  host: string;
  user: string;
  src_ip: string;
  score: number;
  severity: string;
  observed: number;
  expected: number;
  ws_ms: number;
  we_ms: number;
  evidence: string[];
  summary: string;
  details: string;
  incident_ref: string;
}

interface IncidentRow extends StateCols {
  id: string;
  version: number;
  opened_ms: number;
  updated_ms: number;
  severity: string;
  score: number;
  stages: string[];
  entities: string[];
  hosts: string[];
  users: string[];
  src_ips: string[];
  finding_ids: string[];
  summary: string;
  merged_into: string;
}

const STATE_JOIN = (type: AlertType, on: string) => `LEFT JOIN (
    SELECT alert_id, status, feedback, feedback_note, feedback_actor, actor, note,
      toUnixTimestamp64Milli(updated_at) AS updated_ms
    FROM alert_state FINAL WHERE alert_type = '${type}'
  ) AS s ON s.alert_id = ${on}`;

const STATE_COLUMNS = `s.status AS s_status, s.feedback AS s_feedback, s.feedback_note AS s_feedback_note,
  s.feedback_actor AS s_feedback_actor, s.actor AS s_actor, s.note AS s_note, s.updated_ms AS s_ms`;

/** The status filter needs the join; rows without a state row are open. */
const STATUS_EXPR = "if(s.status = '', 'open', s.status)";

// The incident holding a finding: the live (not merged) incident listing it
// reflects merges, while the finding row keeps the id it was first correlated
// into (used when no live incident lists it, e.g. beyond the listing cap).
const INCIDENT_OF_FINDING = `LEFT JOIN (
    SELECT finding_id, argMax(id, (updated_at, length(finding_ids))) AS incident_id
    FROM (
      SELECT id, updated_at, finding_ids, arrayJoin(finding_ids) AS finding_id
      FROM incidents FINAL WHERE merged_into = ''
    )
    GROUP BY finding_id
  ) AS inc ON inc.finding_id = f.id`;

const FINDING_COLUMNS = `f.id AS id, toUnixTimestamp64Milli(f.ts) AS ts_ms, f.detection AS detection, f.stage AS stage,
  f.entity_type AS entity_type, f.entity AS entity, f.host AS host, f.user AS user, f.src_ip AS src_ip,
  f.score AS score, f.severity AS severity, f.observed AS observed, f.expected AS expected,
  toUnixTimestamp64Milli(f.window_start) AS ws_ms, toUnixTimestamp64Milli(f.window_end) AS we_ms,
  f.evidence AS evidence, f.summary AS summary, f.details AS details,
  if(inc.incident_id != '', inc.incident_id, f.incident_id) AS incident_ref`;

function stateOf(r: StateCols): AlertState {
  const has = r.s_status !== "" && r.s_status !== undefined;
  return {
    status: (has ? r.s_status : "open") as AlertStatus,
    feedback: r.s_feedback ? (r.s_feedback as Verdict) : null,
    feedback_note: r.s_feedback_note ?? "",
    feedback_by: r.s_feedback_actor ? r.s_feedback_actor : null,
    updated_by: has && r.s_actor ? r.s_actor : null,
    note: r.s_note ?? "",
    updated_at: has ? isoOf(r.s_ms) : null,
  };
}

function parseDetails(s: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toFinding(r: FindingRow, suppressions: readonly Suppression[]): FindingView {
  const f = {
    id: r.id,
    ts: isoOf(r.ts_ms),
    detection: r.detection,
    stage: r.stage,
    entity_type: r.entity_type,
    entity: r.entity,
    host: r.host,
    user: r.user,
    src_ip: r.src_ip,
    score: Number(r.score),
    severity: r.severity,
    observed: Number(r.observed),
    expected: Number(r.expected),
    window_start: isoOf(r.ws_ms),
    window_end: isoOf(r.we_ms),
    evidence: r.evidence,
    summary: r.summary,
    details: parseDetails(r.details),
    incident_id: r.incident_ref ? r.incident_ref : null,
    state: stateOf(r),
    suppressed_by: [] as string[],
  };
  // The matcher's finding type is the detector's (typed entity); rows from the store carry plain strings.
  f.suppressed_by = matchingSuppressions(f as Parameters<typeof matchingSuppressions>[0], suppressions).map(
    (s) => s.id,
  );
  return f;
}

function toIncident(r: IncidentRow): IncidentView {
  return {
    id: r.id,
    version: Number(r.version),
    opened_at: isoOf(r.opened_ms),
    updated_at: isoOf(r.updated_ms),
    severity: r.severity,
    score: Number(r.score),
    stages: r.stages,
    entities: r.entities,
    hosts: r.hosts,
    users: r.users,
    src_ips: r.src_ips,
    finding_ids: r.finding_ids,
    summary: r.summary,
    merged_into: r.merged_into ? r.merged_into : null,
    state: stateOf(r),
  };
}

const EVENT_COLUMNS = `id, toUnixTimestamp64Milli(ts) AS ts_ms, host, source, kind, action, outcome, user, src_ip,
  src_port, dst_ip, dst_port, proto, process_name, process_pid, process_exe, process_uid, process_auid, object,
  records, bytes_out, bytes_in, reason, attrs, raw`;

/** An `events` row in the wire event's shape (DESIGN §4): empty fields left out. */
function toEvent(r: Record<string, unknown>): EventView {
  const e: EventView = {
    id: String(r.id),
    ts: isoOf(r.ts_ms as number),
    host: String(r.host),
    source: String(r.source),
    kind: String(r.kind),
    action: String(r.action),
    outcome: String(r.outcome),
  };
  for (const k of ["user", "src_ip", "src_port", "dst_ip", "dst_port", "proto", "object", "records"] as const) {
    if (r[k] !== "" && r[k] !== null && r[k] !== undefined) e[k] = r[k];
  }
  for (const k of ["bytes_out", "bytes_in", "reason", "raw"] as const) {
    if (r[k] !== "" && r[k] !== null && r[k] !== undefined) e[k] = r[k];
  }
  const proc: Record<string, unknown> = {};
  for (const k of ["name", "pid", "exe", "uid", "auid"]) {
    const v = r[`process_${k}`];
    if (v !== "" && v !== null && v !== undefined) proc[k] = v;
  }
  if (Object.keys(proc).length > 0) e.process = proc;
  const attrs = r.attrs as Record<string, string> | undefined;
  if (attrs && Object.keys(attrs).length > 0) e.attrs = attrs;
  return e;
}

export class AlertRepository {
  private readonly clock = new WriteClock();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly now: () => Date,
  ) {}

  get writeClock(): WriteClock {
    return this.clock;
  }

  // ---- findings ----------------------------------------------------------

  async listFindings(f: AlertFilter): Promise<Page<FindingView>> {
    const inner = new Where();
    if (f.from !== undefined) inner.add("ts >= fromUnixTimestamp64Milli({from:Int64})", { from: f.from });
    if (f.to !== undefined) inner.add("ts < fromUnixTimestamp64Milli({to:Int64})", { to: f.to });
    if (f.severity?.length) inner.add("severity IN {severity:Array(String)}", { severity: f.severity });
    if (f.detection?.length) inner.add("detection IN {detection:Array(String)}", { detection: f.detection });
    if (f.host !== undefined) inner.add("host = {host:String}", { host: f.host });
    if (f.user !== undefined) inner.add("user = {user:String}", { user: f.user });
    if (f.src_ip !== undefined) inner.add("src_ip = {src_ip:String}", { src_ip: f.src_ip });
    if (f.entity !== undefined) inner.add("entity = {entity:String}", { entity: f.entity });
    if (f.cursor) {
      inner.add("(ts, id) < (fromUnixTimestamp64Milli({ct:Int64}), {cid:FixedString(32)})", {
        ct: f.cursor.t,
        cid: f.cursor.id,
      });
    }
    const outer = new Where();
    if (f.status?.length) outer.add(`${STATUS_EXPR} IN {status:Array(String)}`, { status: f.status });
    if (f.incident_id !== undefined) outer.add("incident_ref = {incident:String}", { incident: f.incident_id });
    // Without filters on joined columns the page can be cut before the joins.
    const early = outer.sql === "" ? "ORDER BY ts DESC, id DESC LIMIT {limit:UInt32}" : "";
    const rows = await this.findingRows(
      `(SELECT * FROM findings FINAL ${inner.sql} ${early})`,
      `${outer.sql} ORDER BY f.ts DESC, f.id DESC LIMIT {limit:UInt32}`,
      { ...inner.params, ...outer.params, limit: f.limit + 1 },
    );
    const p = page(rows, f.limit, (r) => ({ t: Number(r.ts_ms), id: r.id }));
    const suppressions = await this.suppressionsOver(p.items.map((r) => Number(r.ts_ms)));
    return { items: p.items.map((r) => toFinding(r, suppressions)), next_cursor: p.next_cursor };
  }

  async getFinding(id: string): Promise<FindingView | undefined> {
    const [row] = await this.findingRows("(SELECT * FROM findings FINAL WHERE id = {id:FixedString(32)})", "", { id });
    if (!row) return undefined;
    return toFinding(row, await this.suppressionsOver([Number(row.ts_ms)]));
  }

  /** Findings by id (an incident's), newest first. */
  async findingsByIds(ids: string[]): Promise<FindingView[]> {
    if (ids.length === 0) return [];
    const rows = await this.findingRows(
      "(SELECT * FROM findings FINAL WHERE id IN {ids:Array(FixedString(32))})",
      "ORDER BY f.ts DESC, f.id DESC",
      { ids },
    );
    const suppressions = await this.suppressionsOver(rows.map((r) => Number(r.ts_ms)));
    return rows.map((r) => toFinding(r, suppressions));
  }

  private findingRows(source: string, tail: string, params: QueryParams): Promise<FindingRow[]> {
    return selectRows<FindingRow>(
      this.client,
      `SELECT ${FINDING_COLUMNS}, ${STATE_COLUMNS}
       FROM ${source} AS f
       ${STATE_JOIN("finding", "f.id")}
       ${INCIDENT_OF_FINDING}
       ${tail}`,
      params,
    );
  }

  /** The evidence events of a finding that are still stored (retention may have dropped some). */
  async evidence(f: FindingView): Promise<EventView[]> {
    if (f.evidence.length === 0) return [];
    const rows = await selectRows<Record<string, unknown>>(
      this.client,
      `SELECT ${EVENT_COLUMNS} FROM events FINAL
       WHERE id IN {ids:Array(FixedString(32))}
         AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})
       ORDER BY ts, id`,
      {
        ids: f.evidence,
        from: Date.parse(f.window_start) - EVIDENCE_SLACK_MS,
        to: Date.parse(f.window_end) + EVIDENCE_SLACK_MS,
      },
    );
    return rows.map(toEvent);
  }

  /** Suppressions (not deleted) whose period overlaps the given finding times. */
  private async suppressionsOver(times: number[]): Promise<Suppression[]> {
    if (times.length === 0) return [];
    const rows = await selectRows<Record<string, unknown>>(
      this.client,
      `SELECT id, detection, entity_type, entity, toUnixTimestamp64Milli(starts_at) AS starts_ms,
         toUnixTimestamp64Milli(ends_at) AS ends_ms
       FROM suppressions FINAL
       WHERE deleted = 0 AND starts_at <= fromUnixTimestamp64Milli({max:Int64})
         AND ends_at > fromUnixTimestamp64Milli({min:Int64})`,
      { min: Math.min(...times), max: Math.max(...times) },
    );
    return rows.map((r) => ({
      id: String(r.id),
      detection: String(r.detection),
      entity_type: String(r.entity_type) as Suppression["entity_type"],
      entity: String(r.entity),
      starts_at: isoOf(r.starts_ms as number),
      ends_at: isoOf(r.ends_ms as number),
      reason: "",
      created_by: "",
      created_at: "",
    }));
  }

  // ---- incidents ---------------------------------------------------------

  async listIncidents(f: IncidentFilter): Promise<Page<IncidentView>> {
    const inner = new Where();
    if (f.from !== undefined) inner.add("opened_at >= fromUnixTimestamp64Milli({from:Int64})", { from: f.from });
    if (f.to !== undefined) inner.add("opened_at < fromUnixTimestamp64Milli({to:Int64})", { to: f.to });
    if (f.severity?.length) inner.add("severity IN {severity:Array(String)}", { severity: f.severity });
    if (f.stage !== undefined) inner.add("has(stages, {stage:String})", { stage: f.stage });
    if (f.host !== undefined) inner.add("has(hosts, {host:String})", { host: f.host });
    if (f.user !== undefined) inner.add("has(users, {user:String})", { user: f.user });
    if (f.src_ip !== undefined) inner.add("has(src_ips, {src_ip:String})", { src_ip: f.src_ip });
    if (f.entity !== undefined) inner.add("has(entities, {entity:String})", { entity: f.entity });
    if (!f.include_merged) inner.add("merged_into = ''");
    if (f.cursor) {
      inner.add("(opened_at, id) < (fromUnixTimestamp64Milli({ct:Int64}), {cid:FixedString(32)})", {
        ct: f.cursor.t,
        cid: f.cursor.id,
      });
    }
    const outer = new Where();
    if (f.status?.length) outer.add(`${STATUS_EXPR} IN {status:Array(String)}`, { status: f.status });
    const early = outer.sql === "" ? "ORDER BY opened_at DESC, id DESC LIMIT {limit:UInt32}" : "";
    const rows = await this.incidentRows(
      `(SELECT * FROM incidents FINAL ${inner.sql} ${early})`,
      `${outer.sql} ORDER BY i.opened_at DESC, i.id DESC LIMIT {limit:UInt32}`,
      { ...inner.params, ...outer.params, limit: f.limit + 1 },
    );
    const p = page(rows, f.limit, (r) => ({ t: Number(r.opened_ms), id: r.id }));
    return { items: p.items.map(toIncident), next_cursor: p.next_cursor };
  }

  async getIncident(id: string): Promise<IncidentView | undefined> {
    const [row] = await this.incidentRows("(SELECT * FROM incidents FINAL WHERE id = {id:FixedString(32)})", "", {
      id,
    });
    return row ? toIncident(row) : undefined;
  }

  private incidentRows(source: string, tail: string, params: QueryParams): Promise<IncidentRow[]> {
    return selectRows<IncidentRow>(
      this.client,
      `SELECT i.id AS id, i.version AS version, toUnixTimestamp64Milli(i.opened_at) AS opened_ms,
         toUnixTimestamp64Milli(i.updated_at) AS updated_ms, i.severity AS severity, i.score AS score,
         i.stages AS stages, i.entities AS entities, i.hosts AS hosts, i.users AS users, i.src_ips AS src_ips,
         i.finding_ids AS finding_ids, i.summary AS summary, i.merged_into AS merged_into, ${STATE_COLUMNS}
       FROM ${source} AS i
       ${STATE_JOIN("incident", "i.id")}
       ${tail}`,
      params,
    );
  }

  // ---- workflow ----------------------------------------------------------

  actions(id: string): Promise<AuditEntry[]> {
    return actionsOf(this.client, id);
  }

  /**
   * Applies an analyst action to a finding or incident: 404 when it does not
   * exist, 409 when the transition is not allowed. Audited first, then the
   * new state row is written (a repeated status action changes no state).
   */
  async change(type: AlertType, id: string, change: WorkflowChange, actor: string): Promise<ChangeResult> {
    return this.serialized(id, async () => {
      const current = await this.currentState(type, id);
      if (!current) throw notFound(type === "finding" ? "alert" : "incident", id);
      let status = current.state.status;
      let changed = true;
      let feedback = current.row?.feedback ?? "";
      let feedbackNote = current.row?.feedback_note ?? "";
      let feedbackActor = current.row?.feedback_actor ?? "";
      let note = current.row?.note ?? "";
      let statusActor = current.row?.actor ?? "";
      if (change.kind === "status") {
        const t = transition(status, change.action);
        if (!t.ok) throw apiError("conflict", t.reason);
        status = t.status;
        changed = t.changed;
        if (changed) {
          note = change.note;
          statusActor = actor;
        }
      } else {
        feedback = change.verdict;
        feedbackNote = change.note;
        feedbackActor = actor;
      }
      const at = this.clock.next(this.now(), (current.row ? Number(current.row.updated_ms) : 0) + 1);
      await recordAction(this.client, {
        target_id: id,
        target: type,
        action: change.kind === "status" ? change.action : "feedback",
        actor,
        note: change.note,
        verdict: change.kind === "feedback" ? change.verdict : "",
        at,
      });
      if (!changed) return { state: current.state, changed: false };
      const row = {
        alert_id: id,
        alert_type: type,
        status,
        feedback,
        feedback_note: feedbackNote,
        feedback_actor: feedbackActor,
        actor: statusActor,
        note,
        updated_at: at,
      };
      await insertRows(this.client, "alert_state", [row]);
      return {
        changed: true,
        state: stateOf({
          s_status: status,
          s_feedback: feedback,
          s_feedback_note: feedbackNote,
          s_feedback_actor: feedbackActor,
          s_actor: row.actor,
          s_note: note,
          s_ms: at,
        }),
      };
    });
  }

  private async currentState(
    type: AlertType,
    id: string,
  ): Promise<{ state: AlertState; row: StateRow | undefined } | undefined> {
    const table = type === "finding" ? "findings" : "incidents";
    const [exists] = await selectRows<{ n: number }>(
      this.client,
      `SELECT count() AS n FROM ${table} WHERE id = {id:FixedString(32)}`,
      { id },
    );
    if (!exists || Number(exists.n) === 0) return undefined;
    const [row] = await selectRows<StateRow>(
      this.client,
      `SELECT status, feedback, feedback_note, feedback_actor, actor, note,
         toUnixTimestamp64Milli(updated_at) AS updated_ms
       FROM alert_state FINAL WHERE alert_id = {id:FixedString(32)} AND alert_type = {type:String}`,
      { id, type },
    );
    const state = row
      ? stateOf({
          s_status: row.status,
          s_feedback: row.feedback,
          s_feedback_note: row.feedback_note,
          s_feedback_actor: row.feedback_actor,
          s_actor: row.actor,
          s_note: row.note,
          s_ms: row.updated_ms,
        })
      : stateOf({
          s_status: "",
          s_feedback: "",
          s_feedback_note: "",
          s_feedback_actor: "",
          s_actor: "",
          s_note: "",
          s_ms: 0,
        });
    return { state, row };
  }

  /** Runs `fn` after every earlier call for the same key has settled. */
  private serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    this.locks.set(key, run);
    const cleanup = () => {
      if (this.locks.get(key) === run) this.locks.delete(key);
    };
    run.then(cleanup, cleanup);
    return run;
  }
}

interface StateRow {
  status: string;
  feedback: string;
  feedback_note: string;
  feedback_actor: string;
  actor: string;
  note: string;
  updated_ms: number;
}
