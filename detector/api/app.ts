// The alert and forensics API (fastify), built by a function so that tests
// drive it with `inject` and the service decides when and where it listens
// (see server.ts). One plugin per resource under routes/, errors coded in
// errors.ts, auth and roles in auth.ts, store access in repository.ts.
import type { ClickHouseClient } from "@clickhouse/client";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { Counter, Histogram, type Registry } from "prom-client";
import { PACKAGE_VERSION } from "../../config/paths.js";
import { DETECTIONS } from "../detections/registry.js";
import { type ForensicsNetworks, NO_NETWORK_FACTS } from "../forensics/networks.js";
import { installAuth } from "./auth.js";
import type { ApiToken } from "./config.js";
import type { AlertActionEvent, ApiContext, Readiness } from "./context.js";
import { installErrorHandling } from "./errors.js";
import { AlertRepository } from "./repository.js";
import { alertRoutes } from "./routes/alerts.js";
import { auditRoutes } from "./routes/audit.js";
import { forensicsRoutes } from "./routes/forensics.js";
import { healthRoutes } from "./routes/health.js";
import { incidentRoutes } from "./routes/incidents.js";
import { statusRoutes } from "./routes/status.js";
import { suppressionRoutes } from "./routes/suppressions.js";
import { addSharedSchemas } from "./schemas.js";
import { SuppressionStore } from "./suppressions.js";

export interface ApiDeps {
  store: ClickHouseClient;
  tokens: ApiToken[];
  metrics: Registry;
  readiness: () => Readiness | Promise<Readiness>;
  /** The detector's watermarks and counters, served at GET /api/v1/status. */
  status?: ApiContext["status"];
  now?: () => Date;
  /** Called after a workflow action changed an alert (the notifiers' acknowledge/resolve). */
  onAlertAction?: (e: AlertActionEvent) => void | Promise<void>;
  /** A pino logger; none = silent. */
  logger?: FastifyBaseLogger;
  /** Largest request body (bytes). */
  bodyLimit?: number;
  /** Detection ids a suppression may name; default: the detection registry. */
  knownDetections?: () => readonly string[];
  /** The detector's ASN table and internal networks, for forensics; default: none, the built-in internal ranges. */
  networks?: ForensicsNetworks;
}

interface OpenApiDoc {
  paths?: Record<string, Record<string, { requestBody?: { required?: boolean } }>>;
}

/** Status actions take an optional body (a note); swagger marks every body required. */
function markOptionalBodies(doc: OpenApiDoc): OpenApiDoc {
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    const body = ops.post?.requestBody;
    if (body && /\/(ack|resolve|reopen)$/.test(path)) body.required = false;
  }
  return doc;
}

function httpMetrics(registry: Registry) {
  const requests =
    (registry.getSingleMetric("mailwarden_api_requests_total") as Counter<"method" | "route" | "status"> | undefined) ??
    new Counter({
      name: "mailwarden_api_requests_total",
      help: "API requests by route and status code",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric("mailwarden_api_request_seconds") as Histogram<"method" | "route"> | undefined) ??
    new Histogram({
      name: "mailwarden_api_request_seconds",
      help: "API request duration",
      labelNames: ["method", "route"] as const,
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    });
  return { requests, duration };
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    // Unknown fields are a client mistake worth a 400, not something to drop silently.
    ajv: { customOptions: { removeAdditional: false } },
    // Request ids in logs, never from the client.
    requestIdHeader: false,
    // Path parameters carry account names (forensics pivots): up to 512 characters, URL-encoded.
    routerOptions: { maxParamLength: 2048 },
  });
  const now = deps.now ?? (() => new Date());
  const repo = new AlertRepository(deps.store, now);
  const ctx: ApiContext = {
    store: deps.store,
    repo,
    suppressions: new SuppressionStore(deps.store, repo.writeClock),
    now,
    metrics: deps.metrics,
    log: app.log,
    readiness: deps.readiness,
    ...(deps.status ? { status: deps.status } : {}),
    ...(deps.onAlertAction ? { onAlertAction: deps.onAlertAction } : {}),
  };

  installErrorHandling(app);
  addSharedSchemas(app);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Mailwarden API",
        version: PACKAGE_VERSION,
        description:
          "Alerts (findings and incidents), their workflow (ack, resolve, feedback), suppressions and the audit trail. " +
          "Bearer tokens with roles: viewer (read), responder (+ workflow and suppressions), admin (+ audit).",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
      tags: [
        { name: "alerts", description: "Findings and their workflow" },
        { name: "incidents", description: "Findings chained across kill-chain stages" },
        { name: "suppressions", description: "Quiet an entity on a detection for a while" },
        { name: "audit", description: "Who did what" },
        { name: "forensics", description: "Timelines, pivots and blast radius over the stored history" },
        { name: "process", description: "Health, readiness, metrics" },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (doc) => markOptionalBodies((doc as { openapiObject: OpenApiDoc }).openapiObject),
  });
  installAuth(app, deps.tokens);

  const metrics = httpMetrics(deps.metrics);
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  const knownDetections = deps.knownDetections ?? (() => DETECTIONS.map((d) => d.id));
  await app.register(healthRoutes, { ctx });
  await app.register(alertRoutes, { ctx });
  await app.register(incidentRoutes, { ctx });
  await app.register(suppressionRoutes, { ctx, knownDetections });
  await app.register(auditRoutes, { ctx });
  await app.register(forensicsRoutes, { ctx, networks: deps.networks ?? NO_NETWORK_FACTS });
  await app.register(statusRoutes, { ctx });
  return app;
}
