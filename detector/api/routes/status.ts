// /api/v1/status: where the detector's clock is and how much it has done, so
// that `mailwarden eval` (and operators) can tell when it has seen everything
// up to a point in event time. Served only where a detector runs in-process.
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { errors } from "../schemas.js";

const watermark = {
  type: ["string", "null"],
  format: "date-time",
  description: "event time up to which events have been evaluated (null before the first)",
} as const;

const statusSchema = {
  type: "object",
  required: ["watermarks", "processed", "buffered", "rekeyed", "emitted", "findings", "alerts", "archived", "late"],
  properties: {
    watermarks: {
      type: "object",
      required: ["events", "sources"],
      properties: { events: watermark, sources: watermark },
    },
    processed: {
      type: "object",
      additionalProperties: { type: "integer" },
      description: "records consumed per stage since the process started",
    },
    buffered: { type: "integer", description: "events waiting in the reorder buffers" },
    rekeyed: { type: "integer", description: "auth events re-keyed for the per-source stage" },
    emitted: { type: "integer", description: "findings emitted by the detection stages" },
    findings: { type: "integer", description: "findings received by the findings stage" },
    alerts: { type: "integer" },
    archived: { type: "integer" },
    late: { type: "integer", description: "events that arrived behind the watermark" },
  },
} as const;

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

export async function statusRoutes(app: FastifyInstance, opts: { ctx: ApiContext }): Promise<void> {
  const { status } = opts.ctx;
  if (!status) return;
  app.get(
    "/api/v1/status",
    {
      config: { role: "viewer" },
      schema: {
        tags: ["process"],
        summary: "The detector's watermarks and counters",
        response: { 200: statusSchema, ...errors(401, 403) },
      },
    },
    async () => {
      const s = status();
      return { ...s, watermarks: { events: iso(s.watermarks.events), sources: iso(s.watermarks.sources) } };
    },
  );
}
