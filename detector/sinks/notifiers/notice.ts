// What a receiver is told: one self-contained notice per alert change
// (trigger, acknowledge, resolve), built from a finding, an incident or an
// analyst's action. Notices are what the outboxes store, so they are plain
// JSON and carry everything a formatter needs — no store lookups at send time.
import { hash } from "node:crypto";
import type { AlertActionEvent } from "../../api/context.js";
import type { Finding, Severity } from "../../core/finding.js";
import { SEVERITIES } from "../../core/finding.js";
import { detectionById } from "../../detections/registry.js";

export const NOTICE_ACTIONS = ["trigger", "acknowledge", "resolve"] as const;
export type NoticeAction = (typeof NOTICE_ACTIONS)[number];

export type AlertType = "finding" | "incident";

export interface AlertNotice {
  /** Deterministic per alert change: a replay or a retried delivery has the same id (receivers dedup on it). */
  id: string;
  action: NoticeAction;
  alert_type: AlertType;
  /** Finding or incident id; PagerDuty's dedup_key, Alertmanager's alert_id label. */
  alert_id: string;
  /** The detection id; "incident" for incidents. */
  detection: string;
  title: string;
  severity: Severity;
  score: number;
  summary: string;
  entity_type: string;
  entity: string;
  host?: string;
  user?: string;
  src_ip?: string;
  stage?: string;
  /** Event time the alert fired (finding) or opened (incident). */
  ts: string;
  observed?: number;
  expected?: number;
  incident_id?: string;
  /** First steps for the on-call engineer, and known benign causes (from the detection). */
  triage?: string;
  false_positives?: string[];
  link?: string;
  /** For acknowledge / resolve: who, and why. */
  actor?: string;
  note?: string;
  /** Wall time the notice was made (the resolve time for a resolve). */
  created_at: string;
}

/** The incident shape the correlator emits (detector/correlator). */
export interface IncidentLike {
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
  merged_into?: string | null;
}

/** What the findings stage hands to `notify` (detector/service). */
export type DetectorAlert = { type: "finding"; finding: Finding } | { type: "incident"; incident: IncidentLike };

export interface NoticeOptions {
  now: Date;
  /** e.g. "https://mailwarden.example.net/api/v1/{type}/{id}"; {type} is alerts or incidents. */
  linkTemplate?: string;
}

export const severityRank = (s: string): number => SEVERITIES.indexOf(s as Severity);

const asSeverity = (s: string): Severity => (severityRank(s) >= 0 ? (s as Severity) : "medium");

export function noticeId(alertId: string, action: NoticeAction, revision: string): string {
  return hash("sha256", `${alertId}\u0000${action}\u0000${revision}`).slice(0, 32);
}

function linkOf(type: AlertType, id: string, template?: string): string | undefined {
  if (!template) return undefined;
  return template.replaceAll("{type}", type === "finding" ? "alerts" : "incidents").replaceAll("{id}", id);
}

const nonEmpty = (s: string | undefined): string | undefined => (s ? s : undefined);

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function triageOf(detection: string): Pick<AlertNotice, "title" | "triage" | "false_positives"> {
  const d = detectionById(detection);
  if (!d) return { title: detection };
  return { title: d.title, triage: d.triage, false_positives: d.falsePositives };
}

type FindingFields = Pick<
  Finding,
  | "id"
  | "ts"
  | "detection"
  | "stage"
  | "entity_type"
  | "entity"
  | "host"
  | "user"
  | "src_ip"
  | "score"
  | "severity"
  | "observed"
  | "expected"
  | "summary"
> & { incident_id?: string | null };

function fromFinding(f: FindingFields, action: NoticeAction, revision: string, o: NoticeOptions): AlertNotice {
  return compact({
    id: noticeId(f.id, action, revision),
    action,
    alert_type: "finding" as const,
    alert_id: f.id,
    detection: f.detection,
    ...triageOf(f.detection),
    severity: asSeverity(f.severity),
    score: f.score,
    summary: f.summary,
    entity_type: f.entity_type,
    entity: f.entity,
    host: nonEmpty(f.host),
    user: nonEmpty(f.user),
    src_ip: nonEmpty(f.src_ip),
    stage: f.stage,
    ts: f.ts,
    observed: f.observed,
    expected: f.expected,
    incident_id: nonEmpty(f.incident_id ?? undefined),
    link: linkOf("finding", f.id, o.linkTemplate),
    created_at: o.now.toISOString(),
  });
}

const list = (xs: string[], max = 3): string | undefined =>
  xs.length === 0 ? undefined : xs.length <= max ? xs.join(", ") : `${xs.slice(0, max).join(", ")} +${xs.length - max}`;

function fromIncident(i: IncidentLike, action: NoticeAction, revision: string, o: NoticeOptions): AlertNotice {
  return compact({
    id: noticeId(i.id, action, revision),
    action,
    alert_type: "incident" as const,
    alert_id: i.id,
    detection: "incident",
    title: `Incident: ${i.stages.join(" → ")}`,
    severity: asSeverity(i.severity),
    score: i.score,
    summary: i.summary,
    entity_type: "incident",
    entity: list(i.entities) ?? i.id,
    host: list(i.hosts),
    user: list(i.users),
    src_ip: list(i.src_ips),
    stage: i.stages.at(-1),
    ts: i.opened_at,
    link: linkOf("incident", i.id, o.linkTemplate),
    created_at: o.now.toISOString(),
  });
}

/** A new or higher-scoring finding. Its revision is its score: only a re-fire that ranks higher notifies again. */
export function noticeFromFinding(f: Finding, o: NoticeOptions, incidentId?: string): AlertNotice {
  return fromFinding({ ...f, ...(incidentId ? { incident_id: incidentId } : {}) }, "trigger", `score:${f.score}`, o);
}

/**
 * A new or updated incident (revision = its version). An incident merged
 * into another is resolved: its story continues under the other id.
 */
export function noticeFromIncident(i: IncidentLike, o: NoticeOptions): AlertNotice {
  if (i.merged_into) {
    return {
      ...fromIncident(i, "resolve", `merged:${i.merged_into}`, o),
      note: `merged into incident ${i.merged_into}`,
    };
  }
  return fromIncident(i, "trigger", `version:${i.version}`, o);
}

/** The notices for what the findings stage alerts on. */
export function noticesFromAlerts(alerts: DetectorAlert[], o: NoticeOptions): AlertNotice[] {
  return alerts.map((a) =>
    a.type === "finding" ? noticeFromFinding(a.finding, o) : noticeFromIncident(a.incident, o),
  );
}

const ACTION_NOTICE: Record<string, NoticeAction | undefined> = {
  acknowledge: "acknowledge",
  resolve: "resolve",
  // A reopened alert pages again.
  reopen: "trigger",
};

/** The notice for an analyst's workflow action in the API; none for feedback. */
export function noticeFromAction(e: AlertActionEvent, o: NoticeOptions): AlertNotice | undefined {
  const action = ACTION_NOTICE[e.action];
  if (!action) return undefined;
  const revision = `action:${e.at}`;
  const base =
    e.type === "finding"
      ? fromFinding(
          {
            ...e.alert,
            entity_type: e.alert.entity_type as Finding["entity_type"],
            stage: e.alert.stage as Finding["stage"],
            severity: asSeverity(e.alert.severity),
          },
          action,
          revision,
          o,
        )
      : fromIncident(e.alert, action, revision, o);
  return compact({ ...base, actor: e.actor, note: nonEmpty(e.note), created_at: e.at });
}
