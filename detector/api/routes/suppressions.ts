// /api/v1/suppressions: create (responder), list (viewer), delete (responder).
// A suppression quiets one entity on one detection (or "*") for a period; the
// detector drops matching findings (see ../suppressions.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { principalOf } from "../auth.js";
import type { ApiContext } from "../context.js";
import { decodeCursor } from "../cursor.js";
import { apiError, notFound } from "../errors.js";
import {
  errors,
  idParams,
  pageOf,
  ref,
  type SuppressionBody,
  type SuppressionsQuery,
  suppressionBody,
  suppressionsQuery,
} from "../schemas.js";
import { ANY_DETECTION } from "../suppressions.js";

const PREFIX = "/api/v1/suppressions";

/** Longest period one suppression may cover: anything longer is a detection tuning problem. */
export const MAX_SUPPRESSION_MS = 366 * 86_400_000;

export async function suppressionRoutes(
  app: FastifyInstance,
  opts: { ctx: ApiContext; knownDetections: () => readonly string[] },
): Promise<void> {
  const { ctx } = opts;

  app.post(
    PREFIX,
    {
      config: { role: "responder" },
      schema: {
        tags: ["suppressions"],
        summary: "Suppress alerts for an entity on a detection during a period",
        body: suppressionBody,
        response: { 201: ref("Suppression"), ...errors(400, 401, 403) },
      },
    },
    async (request: FastifyRequest<{ Body: SuppressionBody }>, reply: FastifyReply) => {
      const b = request.body;
      const now = ctx.now();
      const startsAt = b.starts_at === undefined ? now.getTime() : Date.parse(b.starts_at);
      const endsAt = Date.parse(b.ends_at);
      if (endsAt <= startsAt) throw apiError("bad_request", "body/ends_at must be after body/starts_at");
      if (endsAt <= now.getTime()) throw apiError("bad_request", "body/ends_at must be in the future");
      if (endsAt - startsAt > MAX_SUPPRESSION_MS) {
        throw apiError("bad_request", "body/ends_at must be at most 366 days after body/starts_at");
      }
      const known = opts.knownDetections();
      if (b.detection !== ANY_DETECTION && known.length > 0 && !known.includes(b.detection)) {
        throw apiError("bad_request", `body/detection '${b.detection}' is not a known detection`);
      }
      const created = await ctx.suppressions.create(
        {
          detection: b.detection,
          entity_type: b.entity_type ?? "",
          entity: b.entity,
          starts_at: startsAt,
          ends_at: endsAt,
          reason: b.reason,
        },
        principalOf(request).name,
        now,
      );
      return reply.status(201).send(created);
    },
  );

  app.get(
    PREFIX,
    {
      config: { role: "viewer" },
      schema: {
        tags: ["suppressions"],
        summary: "List suppressions (not deleted), newest first",
        querystring: suppressionsQuery,
        response: { 200: pageOf("Suppression"), ...errors(400, 401, 403) },
      },
    },
    async (request: FastifyRequest<{ Querystring: SuppressionsQuery }>) => {
      const q = request.query;
      return ctx.suppressions.list({
        now: ctx.now(),
        ...(q.active !== undefined ? { active: q.active } : {}),
        ...(q.detection !== undefined ? { detection: q.detection } : {}),
        ...(q.entity !== undefined ? { entity: q.entity } : {}),
        ...(q.cursor !== undefined ? { cursor: decodeCursor(q.cursor) } : {}),
        limit: q.limit,
      });
    },
  );

  app.delete(
    `${PREFIX}/:id`,
    {
      config: { role: "responder" },
      schema: {
        tags: ["suppressions"],
        summary: "Delete a suppression (audited; alerts flow again)",
        params: idParams,
        response: { 204: { type: "null", description: "deleted" }, ...errors(400, 401, 403, 404) },
      },
    },
    async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const deleted = await ctx.suppressions.delete(request.params.id, principalOf(request).name, ctx.now());
      if (!deleted) throw notFound("suppression", request.params.id);
      return reply.status(204).send();
    },
  );
}
