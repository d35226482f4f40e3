// What the route plugins share: the repositories, the clock, and the hook
// through which workflow actions reach the notifiers.
import type { ClickHouseClient } from "@clickhouse/client";
import type { FastifyBaseLogger } from "fastify";
import type { Registry } from "prom-client";
import type { DetectorStatus } from "../service/service.js";
import { apiError } from "./errors.js";
import type { AlertRepository, FindingView, IncidentView } from "./repository.js";
import type { SuppressionStore } from "./suppressions.js";
import type { StatusAction, Verdict } from "./workflow.js";

/** A workflow action that changed an alert, as passed to `ApiDeps.onAlertAction`. */
export type AlertActionEvent = {
  actor: string;
  note: string;
  /** When it was recorded (ISO-8601 UTC). */
  at: string;
} & (
  | { action: StatusAction; type: "finding"; alert: FindingView }
  | { action: StatusAction; type: "incident"; alert: IncidentView }
  | { action: "feedback"; verdict: Verdict; type: "finding"; alert: FindingView }
  | { action: "feedback"; verdict: Verdict; type: "incident"; alert: IncidentView }
);

export interface Readiness {
  ready: boolean;
  reasons?: string[];
}

export interface ApiContext {
  store: ClickHouseClient;
  repo: AlertRepository;
  suppressions: SuppressionStore;
  now: () => Date;
  metrics: Registry;
  log: FastifyBaseLogger;
  readiness: () => Readiness | Promise<Readiness>;
  /** The in-process detector's watermarks and counters (GET /api/v1/status); none = no such route. */
  status?: () => DetectorStatus;
  /** Called after a workflow action changed an alert (e.g. to acknowledge its PagerDuty incident). */
  onAlertAction?: (e: AlertActionEvent) => void | Promise<void>;
}

/** Parses an optional [from, to) range; an empty or inverted range is a 400. */
export function timeRange(q: { from?: string; to?: string }): { from?: number; to?: number } {
  const from = q.from === undefined ? undefined : Date.parse(q.from);
  const to = q.to === undefined ? undefined : Date.parse(q.to);
  if (from !== undefined && to !== undefined && from >= to) {
    throw apiError("bad_request", "querystring/from must be before querystring/to");
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}
