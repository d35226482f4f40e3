// JSON schemas of the API: requests are validated against them (a malformed
// request is a 400 naming the offending field), responses are serialized by
// them, and @fastify/swagger turns them into /openapi.json. Shared shapes are
// registered once by $id and referenced as "<Name>#".
import type { FastifyInstance } from "fastify";
import { SEVERITIES, STAGES } from "../core/finding.js";
import { DEFAULT_PAGE, MAX_PAGE } from "./cursor.js";
import { errorSchema } from "./errors.js";
import { ANY_DETECTION, ENTITY_TYPES } from "./suppressions.js";
import { ALERT_STATUSES, VERDICTS } from "./workflow.js";

const id32 = { type: "string", pattern: "^[0-9a-f]{32}$" } as const;
const dateTime = { type: "string", format: "date-time" } as const;
const nullableString = { type: ["string", "null"] } as const;
const stringArray = { type: "array", items: { type: "string" } } as const;

export const idParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: { ...id32, description: "32 lowercase hex characters" } },
} as const;

const alertStateSchema = {
  $id: "AlertState",
  type: "object",
  required: ["status", "feedback", "feedback_note", "feedback_by", "updated_by", "note", "updated_at"],
  properties: {
    status: { type: "string", enum: ALERT_STATUSES },
    feedback: { type: ["string", "null"], enum: [...VERDICTS, null] },
    feedback_note: { type: "string" },
    feedback_by: nullableString,
    updated_by: { ...nullableString, description: "who made the last status change" },
    note: { type: "string", description: "the note of the last status change" },
    updated_at: { type: ["string", "null"], format: "date-time" },
  },
} as const;

const alertSchema = {
  $id: "Alert",
  type: "object",
  description: "A finding with its workflow state",
  required: [
    "id",
    "ts",
    "detection",
    "stage",
    "entity_type",
    "entity",
    "score",
    "severity",
    "summary",
    "evidence",
    "incident_id",
    "state",
    "suppressed_by",
  ],
  properties: {
    id: id32,
    ts: { ...dateTime, description: "event time the finding fired at" },
    detection: { type: "string" },
    stage: { type: "string" },
    entity_type: { type: "string" },
    entity: { type: "string" },
    host: { type: "string" },
    user: { type: "string" },
    src_ip: { type: "string" },
    score: { type: "integer", minimum: 0, maximum: 100 },
    severity: { type: "string", enum: SEVERITIES },
    observed: { type: "number" },
    expected: { type: "number" },
    window_start: dateTime,
    window_end: dateTime,
    evidence: { type: "array", items: id32 },
    summary: { type: "string" },
    details: { type: "object", additionalProperties: true },
    incident_id: { type: ["string", "null"] },
    state: { $ref: "AlertState#" },
    suppressed_by: { type: "array", items: id32, description: "suppressions holding for this finding" },
  },
} as const;

const incidentSchema = {
  $id: "Incident",
  type: "object",
  required: [
    "id",
    "version",
    "opened_at",
    "updated_at",
    "severity",
    "score",
    "stages",
    "finding_ids",
    "merged_into",
    "state",
  ],
  properties: {
    id: id32,
    version: { type: "integer" },
    opened_at: dateTime,
    updated_at: dateTime,
    severity: { type: "string", enum: SEVERITIES },
    score: { type: "integer" },
    stages: stringArray,
    entities: stringArray,
    hosts: stringArray,
    users: stringArray,
    src_ips: stringArray,
    finding_ids: { type: "array", items: id32 },
    summary: { type: "string" },
    merged_into: { type: ["string", "null"], description: "the incident this one was merged into" },
    state: { $ref: "AlertState#" },
  },
} as const;

const eventSchema = {
  $id: "Event",
  type: "object",
  description: "A normalized event (DESIGN §4); empty fields are left out",
  required: ["id", "ts", "host", "source", "kind", "action", "outcome"],
  properties: {
    id: id32,
    ts: dateTime,
    host: { type: "string" },
    source: { type: "string" },
    kind: { type: "string" },
    action: { type: "string" },
    outcome: { type: "string" },
    user: { type: "string" },
    src_ip: { type: "string" },
    src_port: { type: "integer" },
    dst_ip: { type: "string" },
    dst_port: { type: "integer" },
    proto: { type: "string" },
    process: {
      type: "object",
      properties: {
        name: { type: "string" },
        pid: { type: "integer" },
        exe: { type: "string" },
        uid: { type: "integer" },
        auid: { type: "integer" },
      },
    },
    object: { type: "string" },
    records: { type: "integer" },
    bytes_out: { type: "integer" },
    bytes_in: { type: "integer" },
    reason: { type: "string" },
    attrs: { type: "object", additionalProperties: { type: "string" } },
    raw: { type: "string" },
  },
} as const;

const auditEntrySchema = {
  $id: "AuditEntry",
  type: "object",
  required: ["target_id", "target", "action", "actor", "note", "verdict", "at"],
  properties: {
    target_id: id32,
    target: { type: "string", enum: ["finding", "incident", "suppression"] },
    action: { type: "string", enum: ["acknowledge", "resolve", "reopen", "feedback", "create", "delete"] },
    actor: { type: "string" },
    note: { type: "string" },
    verdict: { type: "string" },
    at: dateTime,
  },
} as const;

const suppressionSchema = {
  $id: "Suppression",
  type: "object",
  required: ["id", "detection", "entity_type", "entity", "starts_at", "ends_at", "reason", "created_by", "created_at"],
  properties: {
    id: id32,
    detection: { type: "string", description: `a detection id, or "${ANY_DETECTION}" for all` },
    entity_type: { type: "string", enum: [...ENTITY_TYPES, ""] },
    entity: { type: "string" },
    starts_at: dateTime,
    ends_at: dateTime,
    reason: { type: "string" },
    created_by: { type: "string" },
    created_at: dateTime,
  },
} as const;

export const SHARED_SCHEMAS = [
  errorSchema,
  alertStateSchema,
  alertSchema,
  incidentSchema,
  eventSchema,
  auditEntrySchema,
  suppressionSchema,
];

export function addSharedSchemas(app: FastifyInstance): void {
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
}

export const ref = (name: string) => ({ $ref: `${name}#` }) as const;

/** A page of items: `next_cursor` is null on the last page. */
export function pageOf(name: string) {
  return {
    type: "object",
    required: ["items", "next_cursor"],
    properties: {
      items: { type: "array", items: ref(name) },
      next_cursor: { type: ["string", "null"], description: "pass as `cursor` for the next page" },
    },
  } as const;
}

/** Error responses a route can give, all in the one shape. */
export function errors(...statuses: number[]): Record<number, { $ref: string }> {
  return Object.fromEntries(statuses.map((s) => [s, ref("Error")]));
}

// ---- query strings ---------------------------------------------------------

const detectionId = { type: "string", minLength: 1, maxLength: 64, pattern: "^[a-z0-9_.-]+$" } as const;

export const paging = {
  limit: { type: "integer", minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
  cursor: { type: "string", minLength: 1, maxLength: 256, description: "next_cursor of the previous page" },
} as const;

const timeRange = {
  from: { ...dateTime, description: "inclusive" },
  to: { ...dateTime, description: "exclusive" },
} as const;

export const alertsQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...timeRange,
    severity: { type: "array", items: { type: "string", enum: SEVERITIES }, description: "repeatable" },
    detection: { type: "array", items: detectionId, maxItems: 50, description: "repeatable" },
    status: { type: "array", items: { type: "string", enum: ALERT_STATUSES }, description: "repeatable" },
    host: { type: "string", minLength: 1, maxLength: 255 },
    user: { type: "string", minLength: 1, maxLength: 512 },
    src_ip: { type: "string", minLength: 1, maxLength: 64 },
    entity: { type: "string", minLength: 1, maxLength: 512 },
    incident_id: id32,
    ...paging,
  },
} as const;

export interface AlertsQuery {
  from?: string;
  to?: string;
  severity?: string[];
  detection?: string[];
  status?: (typeof ALERT_STATUSES)[number][];
  host?: string;
  user?: string;
  src_ip?: string;
  entity?: string;
  incident_id?: string;
  limit: number;
  cursor?: string;
}

export const incidentsQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...timeRange,
    severity: alertsQuery.properties.severity,
    status: alertsQuery.properties.status,
    stage: { type: "string", enum: STAGES },
    host: alertsQuery.properties.host,
    user: alertsQuery.properties.user,
    src_ip: alertsQuery.properties.src_ip,
    entity: alertsQuery.properties.entity,
    include_merged: { type: "boolean", default: false, description: "also list incidents merged into others" },
    ...paging,
  },
} as const;

export type IncidentsQuery = Omit<AlertsQuery, "detection" | "incident_id"> & {
  stage?: string;
  include_merged: boolean;
};

export const auditQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...timeRange,
    actor: { type: "string", minLength: 1, maxLength: 128 },
    target: {
      type: "array",
      items: { type: "string", enum: ["finding", "incident", "suppression"] },
      description: "repeatable",
    },
    target_id: id32,
    ...paging,
  },
} as const;

export interface AuditQuery {
  from?: string;
  to?: string;
  actor?: string;
  target?: string[];
  target_id?: string;
  limit: number;
  cursor?: string;
}

// ---- bodies ----------------------------------------------------------------

const note = { type: "string", maxLength: 4000 } as const;

export const statusActionBody = {
  type: "object",
  additionalProperties: false,
  properties: { note },
} as const;

export const feedbackBody = {
  type: "object",
  additionalProperties: false,
  required: ["verdict", "note"],
  properties: { verdict: { type: "string", enum: VERDICTS }, note: { ...note, minLength: 1 } },
} as const;

export const suppressionBody = {
  type: "object",
  additionalProperties: false,
  required: ["detection", "entity", "ends_at", "reason"],
  properties: {
    detection: {
      anyOf: [detectionId, { type: "string", const: ANY_DETECTION }],
      description: `a detection id, or "${ANY_DETECTION}" for all`,
    },
    entity_type: { type: "string", enum: ENTITY_TYPES },
    entity: { type: "string", minLength: 1, maxLength: 512 },
    starts_at: { ...dateTime, description: "default: now" },
    ends_at: dateTime,
    reason: { type: "string", minLength: 1, maxLength: 2000 },
  },
} as const;

export interface SuppressionBody {
  detection: string;
  entity_type?: (typeof ENTITY_TYPES)[number];
  entity: string;
  starts_at?: string;
  ends_at: string;
  reason: string;
}

export const suppressionsQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    active: { type: "boolean", description: "only those holding now" },
    detection: { type: "string", minLength: 1, maxLength: 64 },
    entity: { type: "string", minLength: 1, maxLength: 512 },
    ...paging,
  },
} as const;

export interface SuppressionsQuery {
  active?: boolean;
  detection?: string;
  entity?: string;
  limit: number;
  cursor?: string;
}
