// Alerts and incidents through the API against the real embedded store:
// keyset pagination over 1,200 findings, filters, evidence events, and the
// workflow (ack, resolve, reopen, feedback) persisted and audited.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { eventId, type MailEvent } from "../../events/event.js";
import type { Severity } from "../core/finding.js";
import type { Store } from "../store/client.js";
import { eventToRow } from "../store/event-rows.js";
import { buildApi } from "./app.js";
import type { AlertActionEvent } from "./context.js";
import { bearer, findingRow, hex32, openTestStore, testDeps } from "./testing.js";

let store: Store;
let app: FastifyInstance;
const hooked: AlertActionEvent[] = [];

const N = 1200;
const base = Date.now() - 6 * 3_600_000;
const SEVERITIES: Severity[] = ["low", "medium", "high", "critical"];
const HOSTS = ["imap1", "imap2", "mx1"];
const ids: string[] = [];
// Seven findings share each timestamp, so pages must break ties by id.
const tsOf = (i: number) => base + Math.floor(i / 7) * 1000;

async function insert(table: string, values: object[]): Promise<void> {
  await store.client.insert({ table, format: "JSONEachRow", values });
}

function evidenceEvent(n: number): MailEvent {
  const line = `imap-login: Disconnected (auth failed, 1 attempts): user=<u${n}@example.net>, rip=203.0.113.7`;
  return {
    id: eventId("imap1", "dovecot", n, line),
    ts: new Date(tsOf(0) - 60_000 + n * 100).toISOString(),
    host: "imap1",
    source: "dovecot",
    kind: "auth",
    action: "auth_failure",
    outcome: "failure",
    user: `u${n}@example.net`,
    src_ip: "203.0.113.7",
    proto: "imap",
    reason: "bad_password",
    attrs: { session: `s${n}` },
    raw: line,
  };
}

const evidence = [0, 1, 2].map(evidenceEvent);
const incidentId = hex32("incident-1");
// Opened first for finding 2, then merged into incidentId by the correlator.
const mergedId = hex32("incident-merged");

before(async () => {
  store = await openTestStore("api-alerts");
  app = await buildApi(testDeps(store, { onAlertAction: (e) => void hooked.push(e) }));
  const rows = [];
  for (let i = 0; i < N; i++) {
    const id = hex32(`finding-${i}`);
    ids.push(id);
    rows.push(
      findingRow({
        id,
        ts: tsOf(i),
        severity: SEVERITIES[i % 4] as Severity,
        host: HOSTS[i % 3] as string,
        detection: i % 5 === 0 ? "cred.bulk_read" : "auth.stuffing",
        user: i % 10 === 0 ? "alice@example.net" : "",
        src_ip: `203.0.113.${i % 200}`,
        evidence: i === 0 ? [...evidence.map((e) => e.id), hex32("expired-event")] : [],
        incident_id: i < 2 ? incidentId : i === 2 ? mergedId : "",
      }),
    );
  }
  await insert("findings", rows);
  // A redelivered finding (same id) must still show once.
  await insert("findings", [rows[5] as object]);
  await insert("events", evidence.map(eventToRow));
  await insert("incidents", [
    {
      id: incidentId,
      version: 1,
      opened_at: tsOf(0),
      updated_at: tsOf(0),
      severity: "high",
      score: 75,
      stages: ["initial_access"],
      entities: ["203.0.113.0"],
      hosts: ["imap1"],
      users: [],
      src_ips: ["203.0.113.0"],
      finding_ids: ids.slice(0, 2),
      summary: "v1",
    },
    {
      id: incidentId,
      version: 2,
      opened_at: tsOf(0),
      updated_at: tsOf(2),
      severity: "critical",
      score: 92,
      stages: ["initial_access", "credential_access"],
      entities: ["203.0.113.0", "203.0.113.2"],
      hosts: ["imap1", "mx1"],
      users: ["alice@example.net"],
      src_ips: ["203.0.113.0", "203.0.113.2"],
      finding_ids: ids.slice(0, 3),
      summary: "v2: stuffing then credential read",
    },
    {
      id: mergedId,
      version: 2,
      opened_at: tsOf(7),
      updated_at: tsOf(14),
      severity: "high",
      score: 72,
      stages: ["credential_access"],
      entities: ["203.0.113.2"],
      hosts: ["mx1"],
      users: [],
      src_ips: ["203.0.113.2"],
      finding_ids: ids.slice(2, 3),
      summary: "credential read (merged)",
      merged_into: incidentId,
      merged_ids: [],
    },
  ]);
});

after(async () => {
  await app?.close();
  await store?.close();
});

interface AlertItem {
  id: string;
  ts: string;
  severity: string;
  host: string;
  detection: string;
  user: string;
  incident_id: string | null;
  state: { status: string; feedback: string | null; feedback_note: string; updated_by: string | null; note: string };
}

async function pageThrough(query: string, limit: number): Promise<AlertItem[]> {
  const seen: AlertItem[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const url: string = `/api/v1/alerts?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res: Awaited<ReturnType<FastifyInstance["inject"]>> = await app.inject({ url, headers: bearer("viewer") });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { items: AlertItem[]; next_cursor: string | null };
    assert.ok(body.items.length <= limit);
    seen.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) return seen;
    if (pages === 1) {
      // Findings arriving while a client pages are newer than its cursor: they must not shift the pages.
      await insert("findings", [
        findingRow({ id: hex32(`late-${limit}-${query}`), ts: Date.now(), src_ip: "198.51.100.99" }),
      ]);
    }
  }
  throw new Error("pagination did not end");
}

function assertNewestFirst(items: AlertItem[]): void {
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1] as AlertItem;
    const b = items[i] as AlertItem;
    assert.ok(a.ts > b.ts || (a.ts === b.ts && a.id > b.id), `order at ${i}: ${a.ts}/${a.id} then ${b.ts}/${b.id}`);
  }
}

test("paging through 1,200 findings (max page and an odd page size): none missing, none repeated, ordered", async () => {
  const to = `&to=${encodeURIComponent(new Date(base + 3_600_000).toISOString())}`;
  for (const limit of [500, 137]) {
    const items = await pageThrough(to, limit);
    assert.equal(items.length, N, `limit ${limit}`);
    assert.equal(new Set(items.map((i) => i.id)).size, N, "no duplicates");
    assert.deepEqual(new Set(items.map((i) => i.id)), new Set(ids), "exactly the inserted ids");
    assertNewestFirst(items);
  }
});

test("filters: severity, detection, host, user, src_ip, time range, and combined with paging", async () => {
  const get = async (q: string) => {
    const res = await app.inject({ url: `/api/v1/alerts?limit=500&${q}`, headers: bearer("viewer") });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { items: AlertItem[]; next_cursor: string | null };
  };
  const crit = await pageThrough("&severity=critical", 100);
  assert.equal(crit.length, N / 4);
  assert.ok(crit.every((a) => a.severity === "critical"));
  const two = await pageThrough("&severity=critical&severity=low&host=mx1", 50);
  assert.equal(two.length, ids.filter((_, i) => (i % 4 === 3 || i % 4 === 0) && i % 3 === 2).length);
  assert.ok(two.every((a) => a.host === "mx1" && ["critical", "low"].includes(a.severity)));
  assert.equal((await get("detection=cred.bulk_read")).items.length, 240);
  assert.equal((await get("user=alice%40example.net")).items.length, 120);
  assert.deepEqual(
    (await get("src_ip=203.0.113.7")).items.map((a) => a.id).sort(),
    [ids[7], ids[207], ids[407], ids[607], ids[807], ids[1007]].sort(),
  );
  const range = await get(
    `from=${encodeURIComponent(new Date(tsOf(14)).toISOString())}&to=${encodeURIComponent(new Date(tsOf(21)).toISOString())}`,
  );
  assert.deepEqual(range.items.map((a) => a.id).sort(), ids.slice(14, 21).sort(), "from inclusive, to exclusive");
  assert.deepEqual((await get(`incident_id=${incidentId}`)).items.map((a) => a.id).sort(), ids.slice(0, 3).sort());
});

test("one alert: its fields, the incident holding it, evidence events by id, and what is missing", async () => {
  const res = await app.inject({ url: `/api/v1/alerts/${ids[0]}`, headers: bearer("viewer") });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.alert.id, ids[0]);
  assert.equal(body.alert.incident_id, incidentId);
  assert.equal(body.alert.state.status, "open");
  assert.deepEqual(body.alert.details, { distinct_users: 120 });
  assert.equal(body.evidence.length, 3);
  assert.deepEqual(
    body.evidence.map((e: MailEvent) => e.id),
    evidence.map((e) => e.id),
  );
  const first = body.evidence[0];
  assert.deepEqual(first, { ...evidence[0], ts: evidence[0]?.ts });
  assert.deepEqual(body.evidence_missing, [hex32("expired-event")]);
  assert.deepEqual(body.actions, []);
});

test("ack → resolve → feedback: persisted in alert_state, visible in the API, audited, hook called", async () => {
  const id = ids[42] as string;
  const post = (path: string, who: "responder" | "admin", payload?: object) =>
    app.inject({
      method: "POST",
      url: `/api/v1/alerts/${id}/${path}`,
      headers: bearer(who),
      ...(payload ? { payload } : {}),
    });

  const ack = await post("ack", "responder", { note: "looking at it" });
  assert.equal(ack.statusCode, 200, ack.body);
  assert.equal(ack.json().state.status, "acknowledged");
  assert.equal(ack.json().changed, true);
  const again = await post("ack", "responder");
  assert.equal(again.json().changed, false, "a repeated ack changes nothing");
  assert.equal(again.json().state.note, "looking at it");

  const resolved = await post("resolve", "admin", { note: "password reset for alice" });
  assert.equal(resolved.json().state.status, "resolved");
  const conflict = await post("ack", "responder");
  assert.equal(conflict.statusCode, 409);
  assert.equal(conflict.json().code, "conflict");

  const fb = await post("feedback", "responder", { verdict: "false_positive", note: "our own load test" });
  assert.equal(fb.statusCode, 200, fb.body);
  assert.equal(fb.json().state.status, "resolved", "feedback keeps the status");
  assert.equal(fb.json().state.feedback, "false_positive");

  // Read back through the API…
  const got = (await app.inject({ url: `/api/v1/alerts/${id}`, headers: bearer("viewer") })).json();
  assert.equal(got.alert.state.status, "resolved");
  assert.equal(got.alert.state.updated_by, "adam");
  assert.equal(got.alert.state.note, "password reset for alice");
  assert.equal(got.alert.state.feedback, "false_positive");
  assert.equal(got.alert.state.feedback_note, "our own load test");
  assert.equal(got.alert.state.feedback_by, "rita");
  assert.deepEqual(
    got.actions.map((a: { action: string; actor: string }) => `${a.action}:${a.actor}`),
    ["acknowledge:rita", "acknowledge:rita", "resolve:adam", "feedback:rita"],
    "the refused ack is not an action taken",
  );
  // …and straight from ClickHouse: the latest row wins.
  const rs = await store.client.query({
    query: "SELECT status, feedback, actor FROM alert_state FINAL WHERE alert_id = {id:FixedString(32)}",
    query_params: { id },
    format: "JSONEachRow",
  });
  assert.deepEqual(await rs.json(), [{ status: "resolved", feedback: "false_positive", actor: "adam" }]);

  const filtered = await app.inject({ url: "/api/v1/alerts?status=resolved", headers: bearer("viewer") });
  assert.deepEqual(
    filtered.json().items.map((a: AlertItem) => a.id),
    [id],
  );
  const open = await pageThrough("&status=open&host=imap1", 500);
  assert.ok(!open.some((a) => a.id === id));

  const reopened = await post("reopen", "responder", { note: "it came back" });
  assert.equal(reopened.json().state.status, "open");
  assert.equal(reopened.json().state.feedback, "false_positive", "the verdict survives a reopen");

  assert.deepEqual(
    hooked.filter((h) => h.alert.id === id).map((h) => h.action),
    ["acknowledge", "resolve", "feedback", "reopen"],
    "the notifier hook sees each change once",
  );
});

test("incidents: latest version, findings of the incident, workflow on the incident", async () => {
  const list = await app.inject({ url: "/api/v1/incidents?severity=critical", headers: bearer("viewer") });
  assert.equal(list.statusCode, 200, list.body);
  assert.equal(list.json().items.length, 1);
  assert.equal(list.json().items[0].version, 2);
  assert.equal(list.json().items[0].summary, "v2: stuffing then credential read");
  assert.equal(
    (await app.inject({ url: "/api/v1/incidents?host=mx1", headers: bearer("viewer") })).json().items.length,
    1,
  );
  const withMerged = await app.inject({ url: "/api/v1/incidents?include_merged=true", headers: bearer("viewer") });
  assert.deepEqual(
    withMerged.json().items.map((i: { id: string; merged_into: string | null }) => [i.id, i.merged_into]),
    [
      [mergedId, incidentId],
      [incidentId, null],
    ],
    "merged incidents are hidden unless asked for",
  );
  const moved = (await app.inject({ url: `/api/v1/alerts/${ids[2]}`, headers: bearer("viewer") })).json();
  assert.equal(moved.alert.incident_id, incidentId, "a finding of a merged incident belongs to the survivor");
  assert.equal(
    (await app.inject({ url: "/api/v1/incidents?host=nope", headers: bearer("viewer") })).json().items.length,
    0,
  );

  const ack = await app.inject({
    method: "POST",
    url: `/api/v1/incidents/${incidentId}/ack`,
    headers: bearer("responder"),
  });
  assert.equal(ack.statusCode, 200, ack.body);
  const detail = (await app.inject({ url: `/api/v1/incidents/${incidentId}`, headers: bearer("viewer") })).json();
  assert.equal(detail.incident.state.status, "acknowledged");
  assert.deepEqual(detail.findings.map((f: AlertItem) => f.id).sort(), ids.slice(0, 3).sort());
  assert.equal(detail.actions.length, 1);
  assert.equal(
    (await app.inject({ url: "/api/v1/incidents?status=acknowledged", headers: bearer("viewer") })).json().items.length,
    1,
  );
  assert.equal(
    (await app.inject({ url: "/api/v1/incidents?status=open", headers: bearer("viewer") })).json().items.length,
    0,
  );
  // The finding's own state is separate from its incident's.
  const finding = (await app.inject({ url: `/api/v1/alerts/${ids[1]}`, headers: bearer("viewer") })).json();
  assert.equal(finding.alert.state.status, "open");
});

test("audit trail (admin): every action with actor, newest first, paginated", async () => {
  const all: { target_id: string; action: string; at: string }[] = [];
  let cursor: string | null = null;
  do {
    const res: Awaited<ReturnType<FastifyInstance["inject"]>> = await app.inject({
      url: `/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      headers: bearer("admin"),
    });
    assert.equal(res.statusCode, 200, res.body);
    all.push(...res.json().items);
    cursor = res.json().next_cursor;
  } while (cursor);
  assert.equal(all.length, 6);
  assert.equal(all[0]?.action, "acknowledge");
  assert.equal(all[0]?.target_id, incidentId);
  for (let i = 1; i < all.length; i++) assert.ok((all[i - 1]?.at ?? "") > (all[i]?.at ?? ""));
  const rita = await app.inject({ url: "/api/v1/audit?actor=rita&target=finding", headers: bearer("admin") });
  assert.equal(rita.json().items.length, 4);
});
