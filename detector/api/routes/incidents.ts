// /api/v1/incidents: findings chained into stories (DESIGN §5), newest opened
// first, with their workflow state; one incident with its findings and
// history; and the workflow actions on it.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type ApiContext, timeRange } from "../context.js";
import { decodeCursor } from "../cursor.js";
import { notFound } from "../errors.js";
import { errors, type IncidentsQuery, idParams, incidentsQuery, pageOf, ref } from "../schemas.js";
import { registerWorkflowRoutes } from "./workflow.js";

const PREFIX = "/api/v1/incidents";

const incidentDetail = {
  type: "object",
  required: ["incident", "findings", "actions"],
  properties: {
    incident: ref("Incident"),
    findings: { type: "array", items: ref("Alert"), description: "its findings, newest first" },
    actions: { type: "array", items: ref("AuditEntry"), description: "workflow history, oldest first" },
  },
} as const;

export async function incidentRoutes(app: FastifyInstance, opts: { ctx: ApiContext }): Promise<void> {
  const { ctx } = opts;

  app.get(
    PREFIX,
    {
      config: { role: "viewer" },
      schema: {
        tags: ["incidents"],
        summary: "List incidents, most recently opened first",
        querystring: incidentsQuery,
        response: { 200: pageOf("Incident"), ...errors(400, 401, 403) },
      },
    },
    async (request: FastifyRequest<{ Querystring: IncidentsQuery }>) => {
      const q = request.query;
      return ctx.repo.listIncidents({
        ...timeRange(q),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.stage !== undefined ? { stage: q.stage } : {}),
        ...(q.host !== undefined ? { host: q.host } : {}),
        ...(q.user !== undefined ? { user: q.user } : {}),
        ...(q.src_ip !== undefined ? { src_ip: q.src_ip } : {}),
        ...(q.entity !== undefined ? { entity: q.entity } : {}),
        include_merged: q.include_merged,
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
        tags: ["incidents"],
        summary: "One incident with its findings and workflow history",
        params: idParams,
        response: { 200: incidentDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const incident = await ctx.repo.getIncident(request.params.id);
      if (!incident) throw notFound("incident", request.params.id);
      const [findings, actions] = await Promise.all([
        ctx.repo.findingsByIds(incident.finding_ids),
        ctx.repo.actions(incident.id),
      ]);
      return { incident, findings, actions };
    },
  );

  registerWorkflowRoutes(app, ctx, PREFIX, "incident");
}
