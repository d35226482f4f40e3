// /api/v1/alerts: findings with their workflow state, newest first, filtered
// and keyset-paginated; one alert with its evidence events and history; and
// the workflow actions on it.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type ApiContext, timeRange } from "../context.js";
import { decodeCursor } from "../cursor.js";
import { notFound } from "../errors.js";
import { type AlertsQuery, alertsQuery, errors, idParams, pageOf, ref } from "../schemas.js";
import { registerWorkflowRoutes } from "./workflow.js";

const PREFIX = "/api/v1/alerts";

const alertDetail = {
  type: "object",
  required: ["alert", "evidence", "evidence_missing", "actions"],
  properties: {
    alert: ref("Alert"),
    evidence: { type: "array", items: ref("Event"), description: "the evidence events still stored" },
    evidence_missing: {
      type: "array",
      items: { type: "string" },
      description: "evidence ids no longer stored (past retention)",
    },
    actions: { type: "array", items: ref("AuditEntry"), description: "workflow history, oldest first" },
  },
} as const;

export async function alertRoutes(app: FastifyInstance, opts: { ctx: ApiContext }): Promise<void> {
  const { ctx } = opts;

  app.get(
    PREFIX,
    {
      config: { role: "viewer" },
      schema: {
        tags: ["alerts"],
        summary: "List alerts (findings), newest first",
        querystring: alertsQuery,
        response: { 200: pageOf("Alert"), ...errors(400, 401, 403) },
      },
    },
    async (request: FastifyRequest<{ Querystring: AlertsQuery }>) => {
      const q = request.query;
      return ctx.repo.listFindings({
        ...timeRange(q),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.detection ? { detection: q.detection } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.host !== undefined ? { host: q.host } : {}),
        ...(q.user !== undefined ? { user: q.user } : {}),
        ...(q.src_ip !== undefined ? { src_ip: q.src_ip } : {}),
        ...(q.entity !== undefined ? { entity: q.entity } : {}),
        ...(q.incident_id !== undefined ? { incident_id: q.incident_id } : {}),
        ...(q.cursor !== undefined ? { cursor: decodeCursor(q.cursor) } : {}),
        limit: q.limit,
      });
    },
  );

  app.get(
    `${PREFIX}/:id`,
    {
      config: { role: "viewer" },
      schema: {
        tags: ["alerts"],
        summary: "One alert with its evidence events and workflow history",
        params: idParams,
        response: { 200: alertDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const alert = await ctx.repo.getFinding(request.params.id);
      if (!alert) throw notFound("alert", request.params.id);
      const [evidence, actions] = await Promise.all([ctx.repo.evidence(alert), ctx.repo.actions(alert.id)]);
      const found = new Set(evidence.map((e) => e.id));
      return { alert, evidence, evidence_missing: alert.evidence.filter((id) => !found.has(id)), actions };
    },
  );

  registerWorkflowRoutes(app, ctx, PREFIX, "finding");
}
