// Suppressions: the pure matcher the detector pipeline calls, and the API and
// loader against the real embedded store.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Finding } from "../core/finding.js";
import type { Store } from "../store/client.js";
import { buildApi } from "./app.js";
import {
  isSuppressed,
  loadActiveSuppressions,
  matchingSuppressions,
  type SuppressibleFinding,
  type Suppression,
  SuppressionFilter,
} from "./suppressions.js";
import { bearer, findingRow, hex32, openTestStore, testDeps } from "./testing.js";

const T0 = Date.parse("2026-06-01T00:00:00.000Z");
const H = 3_600_000;

function suppression(over: Partial<Suppression>): Suppression {
  return {
    id: hex32(JSON.stringify(over)),
    detection: "auth.stuffing",
    entity_type: "",
    entity: "203.0.113.7",
    starts_at: new Date(T0).toISOString(),
    ends_at: new Date(T0 + 24 * H).toISOString(),
    reason: "test",
    created_by: "rita",
    created_at: new Date(T0).toISOString(),
    ...over,
  };
}

function finding(over: Partial<Finding> = {}): SuppressibleFinding {
  return {
    ts: new Date(T0 + H).toISOString(),
    detection: "auth.stuffing",
    entity_type: "src_ip",
    entity: "203.0.113.7",
    host: "imap1",
    src_ip: "203.0.113.7",
    ...over,
  };
}

test("matcher: entity × detection inside the period, by the finding's event time", () => {
  const s = suppression({});
  assert.equal(isSuppressed(finding(), [s]), true);
  assert.equal(isSuppressed(finding({ detection: "auth.spray" }), [s]), false, "other detection");
  assert.equal(isSuppressed(finding({ entity: "203.0.113.8", src_ip: "203.0.113.8" }), [s]), false, "other entity");
  assert.equal(isSuppressed(finding({ ts: new Date(T0 - 1).toISOString() }), [s]), false, "before the period");
  assert.equal(isSuppressed(finding({ ts: new Date(T0).toISOString() }), [s]), true, "starts_at inclusive");
  assert.equal(isSuppressed(finding({ ts: new Date(T0 + 24 * H).toISOString() }), [s]), false, "ends_at exclusive");
  assert.equal(isSuppressed(finding(), []), false);
  assert.equal(isSuppressed(finding({ detection: "egress.volume" }), [suppression({ detection: "*" })]), true, "*");
});

test("matcher: a typed entity must match the type, or the finding's host/user/src_ip field", () => {
  const host = suppression({ detection: "*", entity_type: "host", entity: "mx1" });
  assert.equal(isSuppressed(finding({ entity_type: "host", entity: "mx1" }), [host]), true);
  assert.equal(
    isSuppressed(
      finding({ detection: "egress.volume", entity_type: "host_process", entity: "mx1/postfix", host: "mx1" }),
      [host],
    ),
    true,
    "a per-process finding on the suppressed host",
  );
  assert.equal(
    isSuppressed(finding({ entity_type: "user", entity: "mx1", host: "imap1" }), [host]),
    false,
    "type differs",
  );
  const user = suppression({ detection: "auth.takeover", entity_type: "user", entity: "alice@example.net" });
  assert.equal(
    isSuppressed(
      finding({ detection: "auth.takeover", entity_type: "src_ip", entity: "198.51.100.2", user: "alice@example.net" }),
      [user],
    ),
    true,
  );
  const net = suppression({ entity_type: "src_net", entity: "203.0.113.0/24" });
  assert.equal(isSuppressed(finding({ entity_type: "src_net", entity: "203.0.113.0/24" }), [net]), true);
  assert.equal(isSuppressed(finding(), [net]), false, "src_net is matched on the entity only");
  assert.deepEqual(matchingSuppressions(finding(), [suppression({}), net, suppression({ detection: "*" })]).length, 2);
});

let store: Store;
let app: FastifyInstance;
let clock = Date.parse("2026-06-17T12:00:00.000Z");

before(async () => {
  store = await openTestStore("api-suppressions");
  app = await buildApi(testDeps(store, { now: () => new Date(clock) }));
});

after(async () => {
  await app?.close();
  await store?.close();
});

const create = (payload: object, role: "responder" | "admin" = "responder") =>
  app.inject({ method: "POST", url: "/api/v1/suppressions", headers: bearer(role), payload });

test("create, list, load for the detector, delete: audited, and deleted ones stop matching", async () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const a = await create({
    detection: "auth.stuffing",
    entity_type: "src_ip",
    entity: "203.0.113.7",
    ends_at: iso(clock + 2 * H),
    reason: "pen test by Acme, ticket 4711",
  });
  assert.equal(a.statusCode, 201, a.body);
  const created = a.json() as Suppression;
  assert.match(created.id, /^[0-9a-f]{32}$/);
  assert.equal(created.starts_at, iso(clock), "starts now by default");
  assert.equal(created.created_by, "rita");

  const b = await create(
    {
      detection: "*",
      entity_type: "host",
      entity: "mx1",
      starts_at: iso(clock + H),
      ends_at: iso(clock + 3 * H),
      reason: "migration",
    },
    "admin",
  );
  assert.equal(b.statusCode, 201, b.body);
  const scheduled = b.json() as Suppression;

  const listed = await app.inject({ url: "/api/v1/suppressions", headers: bearer("viewer") });
  assert.deepEqual(
    listed.json().items.map((s: Suppression) => s.id),
    [scheduled.id, created.id],
    "newest first",
  );
  const active = await app.inject({ url: "/api/v1/suppressions?active=true", headers: bearer("viewer") });
  assert.deepEqual(
    active.json().items.map((s: Suppression) => s.id),
    [created.id],
    "the scheduled one does not hold yet",
  );

  // What the detector loads, and how its findings fare.
  const loaded = await loadActiveSuppressions(store.client, new Date(clock));
  assert.deepEqual(loaded.map((s) => s.id).sort(), [created.id, scheduled.id].sort());
  assert.deepEqual(
    loaded.find((s) => s.id === created.id),
    created,
  );
  const f = finding({ ts: iso(clock + 60_000) });
  assert.equal(isSuppressed(f, loaded), true);
  const egress = {
    ...f,
    detection: "egress.volume",
    entity_type: "host_process" as const,
    entity: "mx1/postfix",
    host: "mx1",
  };
  assert.equal(isSuppressed(egress, loaded), false, "the host suppression has not started yet");
  assert.equal(isSuppressed({ ...egress, ts: iso(clock + 90 * 60_000) }, loaded), true);

  // The API marks findings a suppression holds for.
  await store.client.insert({
    table: "findings",
    format: "JSONEachRow",
    values: [
      findingRow({ id: hex32("s-1"), ts: clock + 60_000, src_ip: "203.0.113.7" }),
      findingRow({ id: hex32("s-2"), ts: clock + 60_000, src_ip: "203.0.113.8" }),
    ],
  });
  const alerts = await app.inject({ url: "/api/v1/alerts", headers: bearer("viewer") });
  const byId = new Map(
    alerts.json().items.map((x: { id: string; suppressed_by: string[] }) => [x.id, x.suppressed_by]),
  );
  assert.deepEqual(byId.get(hex32("s-1")), [created.id]);
  assert.deepEqual(byId.get(hex32("s-2")), []);

  // The detector's filter: loaded from the store, used synchronously.
  const filter = new SuppressionFilter(store.client, { refreshMs: 60_000, now: () => new Date(clock) });
  await filter.start();
  assert.equal(filter.accept(f), false);
  assert.equal(filter.accept({ ...f, entity: "198.51.100.9", src_ip: "198.51.100.9" }), true);

  const del = await app.inject({
    method: "DELETE",
    url: `/api/v1/suppressions/${created.id}`,
    headers: bearer("responder"),
  });
  assert.equal(del.statusCode, 204, del.body);
  const again = await app.inject({
    method: "DELETE",
    url: `/api/v1/suppressions/${created.id}`,
    headers: bearer("responder"),
  });
  assert.equal(again.statusCode, 404, "already deleted");
  assert.deepEqual(
    (await loadActiveSuppressions(store.client, new Date(clock))).map((s) => s.id),
    [scheduled.id],
  );
  assert.equal(isSuppressed(f, await loadActiveSuppressions(store.client, new Date(clock))), false);
  await filter.refresh();
  assert.equal(filter.accept(f), true, "a deleted suppression stops holding at the next refresh");
  filter.stop();

  const audit = await app.inject({ url: `/api/v1/audit?target=suppression`, headers: bearer("admin") });
  assert.deepEqual(
    audit
      .json()
      .items.map((e: { action: string; actor: string; target_id: string }) => `${e.action}:${e.actor}:${e.target_id}`),
    [`delete:rita:${created.id}`, `create:adam:${scheduled.id}`, `create:rita:${created.id}`],
  );

  // Time passes: ended suppressions stay loadable for a day (late findings), then drop out.
  clock += 3 * H + 25 * H;
  assert.deepEqual(await loadActiveSuppressions(store.client, new Date(clock)), []);
  assert.equal(
    (await app.inject({ url: "/api/v1/suppressions?active=true", headers: bearer("viewer") })).json().items.length,
    0,
  );
});

test("suppression listing pages by cursor", async () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  for (let i = 0; i < 5; i++) {
    const r = await create({
      detection: "auth.stuffing",
      entity: `198.51.100.${i}`,
      ends_at: iso(clock + H),
      reason: `r${i}`,
    });
    assert.equal(r.statusCode, 201);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/v1/suppressions?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
    const body: { items: Suppression[]; next_cursor: string | null } = (
      await app.inject({ url, headers: bearer("viewer") })
    ).json();
    seen.push(...body.items.map((s) => s.entity));
    cursor = body.next_cursor;
  } while (cursor);
  assert.deepEqual(seen.slice(0, 5), ["198.51.100.4", "198.51.100.3", "198.51.100.2", "198.51.100.1", "198.51.100.0"]);
  assert.equal(seen.length, 6, "plus the still-listed scheduled one");
});
