// Process endpoints, no token: liveness (/healthz: 200 while the process
// serves), readiness (/readyz: 200 or 503 with reasons, from the service),
// Prometheus metrics (/metrics) and the OpenAPI document (/openapi.json).
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";

const readySchema = {
  type: "object",
  required: ["ready"],
  properties: { ready: { type: "boolean" }, reasons: { type: "array", items: { type: "string" } } },
} as const;

export async function healthRoutes(app: FastifyInstance, opts: { ctx: ApiContext }): Promise<void> {
  const { ctx } = opts;

  app.get(
    "/healthz",
    {
      schema: {
        tags: ["process"],
        summary: "Liveness",
        security: [],
        response: { 200: { type: "object", properties: { status: { type: "string" } } } },
      },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/readyz",
    {
      schema: {
        tags: ["process"],
        summary: "Readiness: 503 with the reasons while not ready",
        security: [],
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      let r: { ready: boolean; reasons?: string[] };
      try {
        r = await ctx.readiness();
      } catch (e) {
        r = { ready: false, reasons: [`readiness check failed: ${(e as Error).message}`] };
      }
      return reply.status(r.ready ? 200 : 503).send({ ready: r.ready, reasons: r.reasons ?? [] });
    },
  );

  app.get(
    "/metrics",
    { schema: { tags: ["process"], summary: "Prometheus metrics (text exposition format)", security: [] } },
    async (_request, reply) => {
      const text = await ctx.metrics.metrics();
      return reply.type(ctx.metrics.contentType).send(text);
    },
  );

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
