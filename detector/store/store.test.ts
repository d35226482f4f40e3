// The store against the real embedded ClickHouse engine (one data directory
// per process, so this file uses one directory throughout).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { storeSchema } from "../../config/common.js";
import { eventId, type MailEvent } from "../../events/event.js";
import { BatchWriter } from "./batch-writer.js";
import { openStore, type Store } from "./client.js";
import { type EventRow, eventToRow } from "./event-rows.js";
import { splitStatements } from "./migrate.js";

const dataDir = mkdtempSync(join(tmpdir(), "mw-store-"));
const cfg = storeSchema.parse({ dataDir, retentionDays: 90 });
let store: Store | undefined;
after(() => store?.close());

// Recent event times: rows older than the retention TTL vanish at the next merge.
const base = Date.now() - 3_600_000;

function event(n: number, overrides: Partial<MailEvent> = {}): MailEvent {
  const line = `imap-login: Login: user=<u${n}@example.net>, rip=203.0.113.7, session=<s${n}>`;
  return {
    id: eventId("imap1", "dovecot", n, line),
    ts: new Date(base + n * 1000).toISOString(),
    host: "imap1",
    source: "dovecot",
    kind: "auth",
    action: "login",
    outcome: "success",
    user: `u${n}@example.net`,
    src_ip: "203.0.113.7",
    proto: "imap",
    attrs: { session: `s${n}`, tls: true },
    raw: line,
    ...overrides,
  };
}

test("migrations apply once and are recorded; a second open applies nothing", async () => {
  const first = await openStore(cfg);
  assert.ok(first.migrations.applied.includes("001_core.sql"));
  await first.close();
  store = await openStore(cfg);
  assert.deepEqual(store.migrations.applied, []);
  assert.ok(store.migrations.alreadyApplied.includes("001_core.sql"));
  const rs = await store.client.query({
    query: "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
    format: "JSONEachRow",
  });
  const [events] = await rs.json<{ engine_full: string }>();
  assert.match(events?.engine_full ?? "", /PARTITION BY toDate\(ts\)/);
  assert.match(
    events?.engine_full ?? "",
    /TTL toDateTime\(ts\) \+ toIntervalDay\(90\)/,
    "configured retention applied",
  );
});

test("batched insert, parameterized read back, and the same id twice is one visible row", async () => {
  assert.ok(store);
  const writer = new BatchWriter<EventRow>(store.client, { table: "events", maxRows: 50, maxDelayMs: 60_000 });
  const batch = Array.from({ length: 120 }, (_, i) => eventToRow(event(i)));
  await writer.write(batch);
  assert.equal(writer.size, 20, "two full batches written, the rest pending");
  // Redelivery of an already written event, e.g. after a replay.
  await writer.write([eventToRow(event(7))]);
  await writer.flush();
  assert.equal(writer.size, 0);

  const hostile = "u7@example.net' OR 1=1 --";
  const read = async (user: string) => {
    const rs = await store?.client.query({
      query: "SELECT id, user, src_ip, attrs['session'] AS session FROM events FINAL WHERE user = {user:String}",
      query_params: { user },
      format: "JSONEachRow",
    });
    return (await rs?.json<{ id: string; user: string; src_ip: string; session: string }>()) ?? [];
  };
  const rows = await read("u7@example.net");
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0], { id: event(7).id, user: "u7@example.net", src_ip: "203.0.113.7", session: "s7" });
  assert.equal((await read(hostile)).length, 0, "parameters are values, never SQL");

  const count = await store.client.query({ query: "SELECT count() AS n FROM events FINAL", format: "JSONEachRow" });
  assert.deepEqual(await count.json(), [{ n: 120 }]);
});

test("splitStatements ignores comments and splits on terminal semicolons", () => {
  assert.deepEqual(splitStatements("-- a; b\nCREATE TABLE a (x String DEFAULT ';');\n\nSELECT 1;\n"), [
    "CREATE TABLE a (x String DEFAULT ';')",
    "SELECT 1",
  ]);
});
