// Hostile values for every forensic parameter, through the built CLI and the
// API, against a store loaded by one demo run: each gets a one-line error
// (exit 2 / 400) or an empty answer, and the store is unchanged afterwards.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { after, test } from "node:test";
import { storeSchema } from "../config/common.js";
import { buildApi } from "../detector/api/app.js";
import { bearer, testDeps } from "../detector/api/testing.js";
import { openStore } from "../detector/store/client.js";
import { CLI } from "./support/agent.js";
import { runDemo } from "./support/demo-run.js";

// A smaller platform than the default keeps the demo well inside its time limit on a busy machine.
const demo = runDemo(["--accounts", "1000"]);
after(() => rmSync(demo.cwd, { recursive: true, force: true }));

const DROP = "'; DROP TABLE events --";
const HOSTILE_TEXT = [DROP, "x' OR 1=1 --", "\\'; SELECT * FROM system.users; --", "{v:String}", "a".repeat(400)];
const HUGE = "A".repeat(20_000);
const NOT_ADDRESSES = [DROP, "1.2.3.4' OR '1'='1", "999.1.1.1", "1.2.3.4/33", HUGE];
const NOT_NETWORKS = [DROP, "10.0.0.0/33", "10.0.0/8", "300.0.0.0/8", "AS99999999999", HUGE];
const NOT_TIMES = [DROP, "yesterday", "2026-13-45", "2026-05-16T25:00:00Z", HUGE];
const NOT_IDS = [DROP, "ABCDEF0123456789ABCDEF0123456789", "0".repeat(31), HUGE];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, LOG_FORMAT: "json", MAILWARDEN_DATA: demo.dataDir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fingerprint(): string {
  const r = cli([
    "query",
    "--sql",
    "SELECT (SELECT count() FROM events) AS events, (SELECT count() FROM findings) AS findings, " +
      "(SELECT count() FROM incidents) AS incidents, (SELECT groupArray(name) FROM (SELECT name FROM system.tables " +
      "WHERE database = currentDatabase() ORDER BY name)) AS tables",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const before = fingerprint();

/** A refused value: exit 2 and one line on stderr (plus the usage hint of argument errors), no stack. */
function refused(args: string[]): void {
  const r = cli(args);
  assert.equal(r.code, 2, `${args.join(" ").slice(0, 120)}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.filter((l) => l !== "(run with --help for usage)").length, 1, r.stderr.slice(0, 500));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(r.stdout, "");
}

/** An accepted value that names nothing: exit 0, no rows. */
function empty(args: string[]): void {
  const r = cli([...args, "--format", "jsonl"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
}

test("CLI: hostile names are plain values (empty answers), hostile addresses, networks, times, ids are refused", () => {
  for (const v of HOSTILE_TEXT) {
    empty(["query", "timeline", "--host", v]);
    empty(["query", "timeline", "--user", v]);
    const pivot = cli(["query", "pivot", "user", v, "--format", "jsonl"]);
    assert.equal(pivot.code, 0, pivot.stderr);
    // Only the entity itself ("seen") could be listed, and it has no events.
    assert.equal(pivot.stdout, "");
  }
  for (const v of [HUGE, "bell\u0007name", "line\nbreak"]) {
    refused(["query", "timeline", "--user", v]);
    refused(["query", "pivot", "host", v]);
  }
  for (const v of NOT_ADDRESSES) {
    refused(["query", "timeline", "--ip", v]);
    refused(["query", "pivot", "ip", v]);
  }
  for (const v of NOT_NETWORKS) {
    refused(["query", "timeline", "--network", v]);
    refused(["query", "blast-radius", "--incident", "0".repeat(32), "--network", v]);
  }
  for (const v of NOT_TIMES) {
    refused(["query", "timeline", "--host", "imap1", "--from", v]);
    refused(["query", "timeline", "--host", "imap1", "--to", v]);
    refused(["query", "pivot", "host", "imap1", "--from", v]);
  }
  for (const v of NOT_IDS) refused(["query", "blast-radius", "--incident", v]);
  for (const v of [DROP, "-1", "0", "1e9", HUGE]) {
    refused(["query", "timeline", "--host", "imap1", "--limit", v]);
    refused(["query", "pivot", "host", "imap1", "--limit", v]);
  }
  for (const v of [DROP, Buffer.from(JSON.stringify([1, DROP])).toString("base64url"), HUGE]) {
    refused(["query", "timeline", "--host", "imap1", "--cursor", v]);
  }
  refused(["query", "pivot", DROP, "x"]);
  refused(["query", "timeline", "--host", "imap1", "--from", "2026-11-03", "--to", "2026-11-02"]);
  refused(["query", "blast-radius", "--incident", "0".repeat(32)]);
  assert.equal(fingerprint(), before, "the store is unchanged");
});

test("API: hostile values get a 400 or an empty answer, and change nothing", async () => {
  const store = await openStore(storeSchema.parse({ dataDir: demo.dataDir }));
  const app = await buildApi(testDeps(store));
  const count = async () => {
    const rs = await store.client.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" });
    return (await rs.json<{ n: number }>())[0]?.n;
  };
  const events = await count();
  const get = async (url: string) => {
    const res = await app.inject({ url, headers: bearer("viewer") });
    return { status: res.statusCode, body: res.json() as { items?: unknown[]; message?: string } };
  };
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  try {
    for (const v of HOSTILE_TEXT) {
      for (const k of ["host", "user"]) {
        const r = await get(`/api/v1/forensics/timeline?${q({ [k]: v })}`);
        assert.equal(r.status, 200, r.body.message);
        assert.deepEqual(r.body.items, []);
      }
      const p = await get(`/api/v1/forensics/pivot/user/${encodeURIComponent(v)}`);
      assert.equal(p.status, 200, p.body.message);
      assert.deepEqual(p.body.items, []);
    }
    const bad = [
      ...[HUGE, "bad\u0000name"].map((v) => `/api/v1/forensics/timeline?${q({ user: v })}`),
      ...NOT_ADDRESSES.map((v) => `/api/v1/forensics/timeline?${q({ ip: v })}`),
      ...NOT_ADDRESSES.map((v) => `/api/v1/forensics/pivot/ip/${encodeURIComponent(v)}`),
      ...NOT_NETWORKS.map((v) => `/api/v1/forensics/timeline?${q({ network: v })}`),
      ...NOT_NETWORKS.map((v) => `/api/v1/forensics/blast-radius/${"0".repeat(32)}?${q({ network: v })}`),
      ...NOT_TIMES.map((v) => `/api/v1/forensics/timeline?${q({ host: "imap1", from: v })}`),
      ...NOT_TIMES.map((v) => `/api/v1/forensics/pivot/host/imap1?${q({ to: v })}`),
      ...NOT_IDS.map((v) => `/api/v1/forensics/blast-radius/${encodeURIComponent(v)}`),
      ...[DROP, "0", "100000"].map((v) => `/api/v1/forensics/timeline?${q({ host: "imap1", limit: v })}`),
      ...[DROP, HUGE].map((v) => `/api/v1/forensics/timeline?${q({ host: "imap1", cursor: v })}`),
      `/api/v1/forensics/pivot/${encodeURIComponent(DROP)}/x`,
      `/api/v1/forensics/timeline?${q({ host: "imap1", user: "x" })}`,
      `/api/v1/forensics/timeline?${q({ host: "imap1", sql: DROP })}`,
    ];
    for (const url of bad) {
      const r = await get(url);
      // 414: a path parameter beyond the router's limit, refused before any handler.
      assert.ok([400, 404, 414].includes(r.status), `${url.slice(0, 120)}: ${r.status}`);
      assert.ok(r.body.message && !r.body.message.includes("\n"), r.body.message);
    }
    assert.equal(await count(), events, "events count unchanged");
  } finally {
    await app.close();
    await store.close();
  }
  assert.equal(fingerprint(), before);
});
