// The API's edges against the real embedded store: process endpoints, the
// bearer-token role matrix, request validation and the OpenAPI document.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FastifyInstance, InjectOptions } from "fastify";
import type { Store } from "../store/client.js";
import { buildApi } from "./app.js";
import type { ApiRole } from "./config.js";
import { bearer, findingRow, hex32, openTestStore, TOKENS, testDeps } from "./testing.js";

let store: Store;
let app: FastifyInstance;
let ready = { ready: true, reasons: [] as string[] };
const findingId = hex32("access-finding");
const incidentId = hex32("access-incident");
const now = Date.now();

before(async () => {
  store = await openTestStore("api-access");
  app = await buildApi(testDeps(store, { readiness: () => ready }));
  await store.client.insert({
    table: "findings",
    format: "JSONEachRow",
    values: [findingRow({ id: findingId, ts: now - 60_000, incident_id: incidentId })],
  });
  await store.client.insert({
    table: "incidents",
    format: "JSONEachRow",
    values: [
      {
        id: incidentId,
        version: 1,
        opened_at: now - 60_000,
        updated_at: now - 60_000,
        severity: "high",
        score: 70,
        stages: ["initial_access"],
        entities: ["203.0.113.7"],
        hosts: ["imap1"],
        users: [],
        src_ips: ["203.0.113.7"],
        finding_ids: [findingId],
        summary: "stuffing from 203.0.113.7",
      },
    ],
  });
});

after(async () => {
  await app?.close();
  await store?.close();
});

test("process endpoints: /healthz always, /readyz follows readiness, /metrics, no token needed", async () => {
  assert.equal((await app.inject({ url: "/healthz" })).statusCode, 200);
  assert.deepEqual((await app.inject({ url: "/readyz" })).json(), { ready: true, reasons: [] });
  ready = { ready: false, reasons: ["kafka: not connected"] };
  const notReady = await app.inject({ url: "/readyz" });
  assert.equal(notReady.statusCode, 503);
  assert.deepEqual(notReady.json(), { ready: false, reasons: ["kafka: not connected"] });
  assert.equal((await app.inject({ url: "/healthz" })).statusCode, 200, "alive while not ready");
  ready = { ready: true, reasons: [] };

  await app.inject({ url: "/api/v1/alerts", headers: bearer("viewer") });
  const metrics = await app.inject({ url: "/metrics" });
  assert.equal(metrics.statusCode, 200);
  assert.match(metrics.headers["content-type"] as string, /^text\/plain/);
  assert.match(
    metrics.body,
    /mailwarden_api_requests_total\{method="GET",route="\/api\/v1\/alerts",status="200"\} \d+/,
  );
});

const fid = findingId;
const iid = incidentId;
const ROUTES: { method: "GET" | "POST" | "DELETE"; url: string; need: ApiRole; payload?: object }[] = [
  { method: "GET", url: "/api/v1/alerts", need: "viewer" },
  { method: "GET", url: `/api/v1/alerts/${fid}`, need: "viewer" },
  { method: "POST", url: `/api/v1/alerts/${fid}/ack`, need: "responder", payload: { note: "looking" } },
  { method: "POST", url: `/api/v1/alerts/${fid}/reopen`, need: "responder" },
  { method: "POST", url: `/api/v1/alerts/${fid}/resolve`, need: "responder" },
  {
    method: "POST",
    url: `/api/v1/alerts/${fid}/feedback`,
    need: "responder",
    payload: { verdict: "true_positive", note: "confirmed" },
  },
  { method: "GET", url: "/api/v1/incidents", need: "viewer" },
  { method: "GET", url: `/api/v1/incidents/${iid}`, need: "viewer" },
  { method: "POST", url: `/api/v1/incidents/${iid}/ack`, need: "responder" },
  {
    method: "POST",
    url: `/api/v1/incidents/${iid}/feedback`,
    need: "responder",
    payload: { verdict: "benign_true_positive", note: "pen test" },
  },
  { method: "GET", url: "/api/v1/suppressions", need: "viewer" },
  {
    method: "POST",
    url: "/api/v1/suppressions",
    need: "responder",
    payload: {
      detection: "auth.stuffing",
      entity: "198.51.100.1",
      ends_at: new Date(now + 3_600_000).toISOString(),
      reason: "scanner",
    },
  },
  { method: "DELETE", url: `/api/v1/suppressions/${hex32("no-such-suppression")}`, need: "responder" },
  { method: "GET", url: "/api/v1/audit", need: "admin" },
];

const RANK: Record<ApiRole, number> = { viewer: 0, responder: 1, admin: 2 };

test("role matrix: 401 without or with a bad token, 403 below the route's role, served at or above it", async () => {
  for (const r of ROUTES) {
    const base = { method: r.method, url: r.url, ...(r.payload ? { payload: r.payload } : {}) };
    const anonymous = await app.inject(base);
    assert.equal(anonymous.statusCode, 401, `${r.method} ${r.url} without a token`);
    assert.equal(anonymous.json().code, "unauthenticated");
    assert.match(anonymous.headers["www-authenticate"] as string, /^Bearer realm="mailwarden"/);

    const bad = await app.inject({ ...base, headers: { authorization: `Bearer ${TOKENS.admin.token}x` } });
    assert.equal(bad.statusCode, 401, `${r.method} ${r.url} with a bad token`);
    assert.match(bad.headers["www-authenticate"] as string, /error="invalid_token"/);

    for (const role of ["viewer", "responder", "admin"] as const) {
      const res = await app.inject({ ...base, headers: bearer(role) });
      if (RANK[role] < RANK[r.need]) {
        assert.equal(res.statusCode, 403, `${role} → ${r.method} ${r.url}: ${res.body}`);
        assert.equal(res.json().code, "forbidden");
      } else {
        assert.ok([200, 201, 204, 404].includes(res.statusCode), `${role} → ${r.method} ${r.url}: ${res.body}`);
        if (!r.url.includes("no-such") && !r.url.endsWith(hex32("no-such-suppression"))) {
          assert.ok(res.statusCode < 300, `${role} → ${r.method} ${r.url}: ${res.statusCode} ${res.body}`);
        }
      }
    }
  }
});

test("token forms: scheme is case-insensitive; a prefix of a token, Basic auth, or an empty token is refused", async () => {
  const ok = await app.inject({ url: "/api/v1/alerts", headers: { authorization: `bearer ${TOKENS.viewer.token}` } });
  assert.equal(ok.statusCode, 200);
  for (const authorization of [
    `Bearer ${TOKENS.viewer.token.slice(0, -1)}`,
    `Basic ${Buffer.from(`vera:${TOKENS.viewer.token}`).toString("base64")}`,
    "Bearer ",
    TOKENS.viewer.token,
  ]) {
    const res = await app.inject({ url: "/api/v1/alerts", headers: { authorization } });
    assert.equal(res.statusCode, 401, authorization);
  }
  // Unknown paths under /api/ do not reveal themselves without a token.
  assert.equal((await app.inject({ url: "/api/v1/nothing" })).statusCode, 401);
  const unknown = await app.inject({ url: "/api/v1/nothing", headers: bearer("admin") });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().code, "not_found");
});

async function expect400(req: InjectOptions, pattern: RegExp): Promise<void> {
  const res = await app.inject(req);
  assert.equal(res.statusCode, 400, `${JSON.stringify(req)} → ${res.body}`);
  const body = res.json();
  assert.equal(body.code, "bad_request");
  assert.equal(body.statusCode, 400);
  assert.match(body.message, pattern);
}

test("malformed requests get 400 with the reason", async () => {
  const h = bearer("admin");
  const get = (url: string) => ({ url, headers: h });
  await expect400(get("/api/v1/alerts?limit=501"), /querystring\/limit must be <= 500/);
  await expect400(get("/api/v1/alerts?limit=0"), /querystring\/limit must be >= 1/);
  await expect400(get("/api/v1/alerts?limit=ten"), /querystring\/limit must be integer/);
  await expect400(get("/api/v1/alerts?severity=urgent"), /querystring\/severity\/0 must be equal to one of/);
  await expect400(get("/api/v1/alerts?status=closed"), /querystring\/status\/0/);
  await expect400(get("/api/v1/alerts?from=yesterday"), /querystring\/from must match format "date-time"/);
  await expect400(
    get("/api/v1/alerts?from=2026-06-17T00:00:00Z&to=2026-05-16T00:00:00Z"),
    /from must be before querystring\/to/,
  );
  await expect400(get("/api/v1/alerts?colour=red"), /must NOT have additional properties/);
  await expect400(get("/api/v1/alerts?cursor=bm90LWEtY3Vyc29y"), /cursor/);
  await expect400(get("/api/v1/alerts?incident_id=abc"), /querystring\/incident_id must match pattern/);
  await expect400(get("/api/v1/alerts/not-an-id"), /params\/id must match pattern/);
  await expect400(get("/api/v1/incidents?stage=lunch"), /querystring\/stage/);
  await expect400(get("/api/v1/audit?target=everything"), /querystring\/target\/0/);

  const post = (url: string, payload: Record<string, unknown>): InjectOptions => ({
    method: "POST" as const,
    url,
    headers: h,
    payload,
  });
  const feedback = `/api/v1/alerts/${fid}/feedback`;
  await expect400(post(feedback, { verdict: "maybe", note: "x" }), /body\/verdict must be equal to one of/);
  await expect400(post(feedback, { verdict: "false_positive" }), /body must have required property 'note'/);
  await expect400(post(feedback, { verdict: "false_positive", note: "" }), /body\/note must NOT have fewer/);
  await expect400(post(feedback, { verdict: "false_positive", note: "x", score: 1 }), /additional properties/);
  await expect400(
    { method: "POST", url: feedback, headers: { ...h, "content-type": "application/json" }, payload: "{verdict" },
    /JSON/,
  );
  // (fastify coerces scalars, so a number where a string belongs passes; a structure does not)
  await expect400(post(`/api/v1/alerts/${fid}/ack`, { note: { text: "x" } }), /body\/note must be string/);

  const ends = new Date(now + 3_600_000).toISOString();
  const sup = (over: object) =>
    post("/api/v1/suppressions", { detection: "auth.stuffing", entity: "x", ends_at: ends, reason: "r", ...over });
  await expect400(
    sup({ starts_at: new Date(now - 7_200_000).toISOString(), ends_at: new Date(now - 1000).toISOString() }),
    /ends_at must be in the future/,
  );
  await expect400(sup({ starts_at: ends }), /ends_at must be after body\/starts_at/);
  await expect400(sup({ ends_at: new Date(now + 400 * 86_400_000).toISOString() }), /at most 366 days/);
  await expect400(sup({ detection: "auth.nonexistent" }), /not a known detection/);
  await expect400(sup({ detection: "DROP TABLE" }), /body\/detection/);
  await expect400(sup({ entity_type: "planet" }), /body\/entity_type/);
  await expect400(sup({ reason: undefined }), /required property 'reason'/);

  const big = await app.inject(post(feedback, { verdict: "true_positive", note: "x".repeat(70 * 1024) }));
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().code, "payload_too_large");
});

test("hostile filter values are values, never SQL", async () => {
  for (const q of ["user=x'%20OR%201%3D1%20--", "host=imap1'%3B%20DROP%20TABLE%20findings%3B%20--", "src_ip=%5C'"]) {
    const res = await app.inject({ url: `/api/v1/alerts?${q}`, headers: bearer("viewer") });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().items, []);
  }
  const all = await app.inject({ url: "/api/v1/alerts", headers: bearer("viewer") });
  assert.equal(all.json().items.length, 1, "findings intact");
});

test("unknown alert and incident ids are 404 for reads and every action", async () => {
  const unknown = hex32("nothing-here");
  const requests: InjectOptions[] = [
    { method: "GET", url: `/api/v1/alerts/${unknown}` },
    { method: "GET", url: `/api/v1/incidents/${unknown}` },
    { method: "POST", url: `/api/v1/alerts/${unknown}/ack` },
    { method: "POST", url: `/api/v1/alerts/${unknown}/resolve`, payload: { note: "x" } },
    { method: "POST", url: `/api/v1/alerts/${unknown}/feedback`, payload: { verdict: "false_positive", note: "x" } },
    { method: "POST", url: `/api/v1/incidents/${unknown}/resolve` },
    { method: "POST", url: `/api/v1/alerts/${iid}/ack` }, // an incident id is not a finding id
  ];
  for (const req of requests) {
    const { method, url } = req;
    const res = await app.inject({ ...req, headers: bearer("responder") });
    assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
    assert.equal(res.json().code, "not_found");
  }
});

test("/openapi.json documents every API route with its schemas and the bearer scheme", async () => {
  const res = await app.inject({ url: "/openapi.json" });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: "http", scheme: "bearer" });
  for (const name of ["Alert", "AlertState", "Incident", "Event", "Suppression", "AuditEntry", "Error"]) {
    assert.ok(doc.components.schemas[name], `components.schemas.${name}`);
  }
  for (const r of ROUTES) {
    const path = r.url.replace(/[0-9a-f]{32}/, "{id}");
    const op = doc.paths[path]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${path} documented`);
    assert.ok(
      Object.keys(op.responses).some((s) => s.startsWith("2")),
      `${r.method} ${path} success response`,
    );
    assert.ok(op.responses["401"], `${r.method} ${path} 401 documented`);
  }
  const list = doc.paths["/api/v1/alerts"].get;
  const params = list.parameters.map((p: { name: string }) => p.name);
  for (const p of ["from", "to", "severity", "detection", "host", "user", "src_ip", "status", "limit", "cursor"]) {
    assert.ok(params.includes(p), `alerts query parameter ${p}`);
  }
  assert.equal(doc.paths["/api/v1/alerts/{id}/ack"].post.requestBody.required, false, "a note is optional");
  assert.equal(doc.paths["/api/v1/alerts/{id}/feedback"].post.requestBody.required, true);
  assert.deepEqual(doc.paths["/healthz"].get.security, []);
  assert.equal(doc.paths["/openapi.json"], undefined);
});
