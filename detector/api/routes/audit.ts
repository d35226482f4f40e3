// /api/v1/audit: the whole workflow trail — who acknowledged, resolved,
// judged or suppressed what, and when. Admin only: it is a record of the
// analysts themselves.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { listAudit } from "../audit.js";
import { type ApiContext, timeRange } from "../context.js";
import { decodeCursor } from "../cursor.js";
import { type AuditQuery, auditQuery, errors, pageOf } from "../schemas.js";

export async function auditRoutes(app: FastifyInstance, opts: { ctx: ApiContext }): Promise<void> {
  const { ctx } = opts;
  app.get(
    "/api/v1/audit",
    {
      config: { role: "admin" },
      schema: {
        tags: ["audit"],
        summary: "The audit trail of workflow actions, newest first",
        querystring: auditQuery,
        response: { 200: pageOf("AuditEntry"), ...errors(400, 401, 403) },
      },
    },
    async (request: FastifyRequest<{ Querystring: AuditQuery }>) => {
      const q = request.query;
      return listAudit(ctx.store, {
        ...timeRange(q),
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.target ? { target: q.target } : {}),
        ...(q.target_id !== undefined ? { target_id: q.target_id } : {}),
        ...(q.cursor !== undefined ? { cursor: decodeCursor(q.cursor) } : {}),
        limit: q.limit,
      });
    },
  );
}
