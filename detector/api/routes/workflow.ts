// The workflow actions on one alert — ack, resolve, reopen, feedback — for
// findings (/api/v1/alerts/:id/…) and incidents (/api/v1/incidents/:id/…).
// Responder role; every call is audited, unknown ids are 404, transitions the
// workflow forbids are 409.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { principalOf } from "../auth.js";
import type { AlertActionEvent, ApiContext } from "../context.js";
import { notFound } from "../errors.js";
import type { WorkflowChange } from "../repository.js";
import { errors, feedbackBody, idParams, ref, statusActionBody } from "../schemas.js";
import type { AlertType, StatusAction, Verdict } from "../workflow.js";

const ROUTES: { path: string; action: StatusAction; summary: string }[] = [
  { path: "ack", action: "acknowledge", summary: "Acknowledge: someone is on it" },
  { path: "resolve", action: "resolve", summary: "Resolve" },
  { path: "reopen", action: "reopen", summary: "Reopen an acknowledged or resolved alert" },
];

const resultSchema = {
  type: "object",
  required: ["alert_id", "alert_type", "changed", "state"],
  properties: {
    alert_id: { type: "string" },
    alert_type: { type: "string", enum: ["finding", "incident"] },
    changed: { type: "boolean", description: "false when the alert already was in that status" },
    state: ref("AlertState"),
  },
} as const;

interface IdRoute {
  Params: { id: string };
  Body: { note?: string; verdict?: Verdict };
}
type IdRequest = FastifyRequest<IdRoute>;

export function registerWorkflowRoutes(app: FastifyInstance, ctx: ApiContext, prefix: string, type: AlertType): void {
  const tag = type === "finding" ? "alerts" : "incidents";
  const apply = async (request: IdRequest, change: WorkflowChange) => {
    const { id } = request.params;
    const actor = principalOf(request).name;
    const result = await ctx.repo.change(type, id, change, actor);
    if (result.changed && ctx.onAlertAction) await notifyAction(ctx, type, id, change, actor, result.state.updated_at);
    return { alert_id: id, alert_type: type, changed: result.changed, state: result.state };
  };
  // An empty POST (no body, no content type) means "no note".
  const emptyBody = async (request: FastifyRequest) => {
    if (request.body === undefined || request.body === null) request.body = {};
  };

  for (const r of ROUTES) {
    app.post<IdRoute>(
      `${prefix}/:id/${r.path}`,
      {
        config: { role: "responder" },
        preValidation: emptyBody,
        schema: {
          tags: [tag],
          summary: r.summary,
          params: idParams,
          body: statusActionBody,
          response: { 200: resultSchema, ...errors(400, 401, 403, 404, 409) },
        },
      },
      (request) => apply(request, { kind: "status", action: r.action, note: request.body.note ?? "" }),
    );
  }
  app.post<IdRoute>(
    `${prefix}/:id/feedback`,
    {
      config: { role: "responder" },
      schema: {
        tags: [tag],
        summary: "Record the analyst's verdict (does not change the status)",
        params: idParams,
        body: feedbackBody,
        response: { 200: resultSchema, ...errors(400, 401, 403, 404) },
      },
    },
    (request) =>
      apply(request, {
        kind: "feedback",
        verdict: request.body.verdict as Verdict,
        note: request.body.note ?? "",
      }),
  );
}

/** Hands a change to the notifier hook; a failing hook is logged, never fails the request. */
async function notifyAction(
  ctx: ApiContext,
  type: AlertType,
  id: string,
  change: WorkflowChange,
  actor: string,
  at: string | null,
): Promise<void> {
  try {
    const alert = type === "finding" ? await ctx.repo.getFinding(id) : await ctx.repo.getIncident(id);
    if (!alert) throw notFound(type, id);
    const base = { actor, note: change.note, at: at ?? ctx.now().toISOString() };
    const event = (
      change.kind === "status"
        ? { ...base, action: change.action, type, alert }
        : { ...base, action: "feedback", verdict: change.verdict, type, alert }
    ) as AlertActionEvent;
    await ctx.onAlertAction?.(event);
  } catch (e) {
    ctx.log.warn({ err: e, alert: id }, "alert action hook failed");
  }
}
