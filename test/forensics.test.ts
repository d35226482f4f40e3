// Forensics against a simulated breach with known ground truth (one demo run):
// the built CLI on the store directly, then the API, and the CLI going
// through the API while another process holds the store.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { stringify } from "yaml";
import { storeSchema } from "../config/common.js";
import { startApiServer } from "../detector/api/server.js";
import { TOKENS, testDeps } from "../detector/api/testing.js";
import { networksFromConfig } from "../detector/forensics/networks.js";
import { openStore } from "../detector/store/client.js";
import type { AttackLabel } from "../simulator/context.js";
import { MONITOR_USER } from "../simulator/noise/monitoring.js";
import { CLI } from "./support/agent.js";
import { runDemo } from "./support/demo-run.js";

// A smaller platform than the default keeps the demo well inside its time limit on a busy machine.
const demo = runDemo(["--accounts", "1000"]);
after(() => rmSync(demo.cwd, { recursive: true, force: true }));

const attack = demo.labels.filter((l): l is AttackLabel => "attack" in l);
const stage = (s: string) => attack.filter((l) => l.stage === s);
const accountsOf = (ls: AttackLabel[]) =>
  new Set(ls.flatMap((l) => l.entities.accounts).filter((a) => a.includes("@")));
const asnTable = join(demo.simDir, "networks.json");

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, LOG_FORMAT: "json", MAILWARDEN_DATA: demo.dataDir, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI without blocking this process: needed while this process serves the API it calls. */
async function cliAsync(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, LOG_FORMAT: "json", MAILWARDEN_DATA: demo.dataDir },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, stdout, stderr };
}

const jsonl = <T>(s: string): T[] =>
  s
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

/** RFC 4180 as writeRows writes it: quoted fields may hold commas and doubled quotes. */
function csv(s: string): Record<string, string>[] {
  const records = s
    .trimEnd()
    .split("\n")
    .map((line) =>
      [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
        (m[1] ?? "").replace(/^"|"$/g, "").replaceAll('""', '"'),
      ),
    );
  const [cols = [], ...rows] = records;
  return rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i] ?? ""])));
}

const sql = (q: string) => jsonl<Record<string, unknown>>(cli(["query", "--sql", q]).stdout);

const breachIncidents = sql(
  "SELECT id FROM incidents WHERE has(stages, 'credential_access') AND merged_into = '' ORDER BY opened_at",
).map((r) => String(r.id));
const attackerIp = stage("stolen_credential_use")[0]?.entities.source_ips[0] as string;
const attackerIps = () => new Set(stage("stolen_credential_use").flatMap((l) => l.entities.source_ips));

test("blast-radius: every incident with a credential dump lists exactly the platform's accounts, as CSV", () => {
  assert.ok(breachIncidents.length > 0, "the demo has an incident with credential access");
  // The dumps read every account (the SQL pages name them all; LDAP and the
  // passwd-file are labelled all_accounts); the monitoring probe's mailbox is
  // an account of the platform too.
  const expected = new Set([...accountsOf(stage("credential_access")), MONITOR_USER]);
  for (const id of breachIncidents) {
    const r = cli(["query", "blast-radius", "--incident", id, "--format", "csv"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = csv(r.stdout);
    assert.deepEqual(new Set(rows.map((a) => a.account)), expected, `incident ${id}`);
    for (const a of rows) {
      assert.match(a.credentials_read_at ?? "", /^\d{4}-\d{2}-\d{2}T/);
      assert.match(a.evidence ?? "", /^[0-9a-f]{32}( [0-9a-f]{32})*$/);
    }
    assert.match(r.stderr, /credential reads \((LDAP search|SQL select|file read)/);
  }
});

test("blast-radius: with the attacker's login networks, exactly the labelled stolen-credential accounts logged in from them", () => {
  const use = stage("stolen_credential_use");
  const networks = use.flatMap((l) => l.entities.source_networks);
  assert.ok(networks.length > 0);
  const config = join(demo.cwd, "forensics.yaml");
  writeFileSync(config, stringify({ detector: { networks: { asnTable } } }));
  // One network as a CIDR, the others by their ASN from the table.
  const asns = networksFromConfig({ asnTable }).asnTable;
  const args = networks.flatMap((n, i) => ["--network", i === 0 ? n : `AS${asns.find((r) => r.cidr === n)?.asn}`]);
  const r = cli([
    "query",
    "blast-radius",
    "--incident",
    breachIncidents[0] as string,
    ...args,
    "--config",
    config,
    "--format",
    "jsonl",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rows = jsonl<{ account: string; attacker_login_at: string | null; attacker_ips: string[]; evidence: string[] }>(
    r.stdout,
  );
  const logged = rows.filter((a) => a.attacker_login_at !== null);
  assert.deepEqual(new Set(logged.map((a) => a.account)), accountsOf(use));
  const ips = new Set(use.flatMap((l) => l.entities.source_ips));
  for (const a of logged) {
    assert.ok(
      a.attacker_ips.every((ip) => ips.has(ip)),
      `${a.account}: ${a.attacker_ips}`,
    );
    assert.ok(a.evidence.length >= 1);
  }
});

test("timeline --ip: the attacker's address, every event in time order, paged without gaps or repeats", () => {
  const r = cli(["query", "timeline", "--ip", attackerIp, "--limit", "100000"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = jsonl<{ ts: string; id: string; src_ip: string; dst_ip: string; type: string; user: string }>(r.stdout);
  const [count] = sql(
    `SELECT count(DISTINCT id) AS n FROM events WHERE src_ip = '${attackerIp}' OR dst_ip = '${attackerIp}'`,
  );
  assert.ok(rows.length > 0);
  assert.equal(rows.filter((e) => e.type === "event").length, Number(count?.n));
  for (const e of rows) assert.ok(e.src_ip === attackerIp || e.dst_ip === attackerIp, JSON.stringify(e));
  const times = rows.map((e) => e.ts);
  assert.deepEqual(times, [...times].sort(), "oldest first");
  const accounts = accountsOf(stage("stolen_credential_use"));
  assert.ok(
    rows.every((e) => accounts.has(e.user)),
    "only the labelled victims' logins",
  );

  // The same in pages of 2: the cursor on stderr continues exactly where the page ended.
  const paged: string[] = [];
  let cursor: string | undefined;
  do {
    const p = cli(["query", "timeline", "--ip", attackerIp, "--limit", "2", ...(cursor ? ["--cursor", cursor] : [])]);
    assert.equal(p.code, 0, p.stderr);
    paged.push(...jsonl<{ id: string }>(p.stdout).map((e) => e.id));
    cursor = /--cursor (\S+)/.exec(p.stderr)?.[1];
  } while (cursor);
  assert.deepEqual(
    paged,
    rows.map((e) => e.id),
  );
});

test("timeline --network and --user: the exfiltration destination's network, one victim's account", () => {
  const exfil = stage("exfiltration")[0]?.entities.destination_networks[0] as string;
  const net = cli(["query", "timeline", "--network", exfil, "--format", "jsonl"]);
  assert.equal(net.code, 0, net.stderr);
  const flows = jsonl<{ dst_ip: string; process: string }>(net.stdout);
  assert.ok(flows.length > 0);
  assert.ok(
    flows.every((e) => e.process === "php-fpm8.2"),
    "only the PHP worker talked to it",
  );

  const victim = [...accountsOf(stage("stolen_credential_use"))][0] as string;
  const user = cli(["query", "timeline", "--user", victim, "--format", "csv", "--limit", "100000"]);
  assert.equal(user.code, 0, user.stderr);
  const rows = csv(user.stdout);
  assert.ok(
    rows.some((e) => e.src_ip !== undefined && attackerIps().has(e.src_ip)),
    "the attacker's login shows",
  );
});

test("pivot ip: the attacker's address touched only victims, on the IMAP/POP hosts", () => {
  const r = cli(["query", "pivot", "ip", attackerIp, "--format", "jsonl"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = jsonl<{ relation: string; value: string; events: number; first_seen: string; last_seen: string }>(
    r.stdout,
  );
  const of = (rel: string) => rows.filter((x) => x.relation === rel);
  const seen = of("seen")[0];
  assert.equal(seen?.value, attackerIp);
  const timeline = jsonl<{ ts: string }>(cli(["query", "timeline", "--ip", attackerIp, "--limit", "100000"]).stdout);
  assert.equal(seen?.events, timeline.length);
  assert.equal(seen?.first_seen, timeline[0]?.ts);
  const victims = accountsOf(stage("stolen_credential_use"));
  const accounts = [...of("account_logged_in"), ...of("account_tried")];
  assert.ok(accounts.length > 0);
  assert.ok(
    accounts.every((a) => victims.has(a.value)),
    JSON.stringify(accounts),
  );
  assert.ok(of("host").length > 0 && of("host").every((h) => /^(imap|pop)/.test(h.value)), JSON.stringify(of("host")));
});

test("API: the same answers under /api/v1/forensics, and the CLI goes through it while the store is held", async () => {
  const store = await openStore(storeSchema.parse({ dataDir: demo.dataDir }));
  const networks = networksFromConfig({ asnTable });
  const api = await startApiServer(
    { enabled: true, host: "127.0.0.1", port: 0, bodyLimit: 65536, tokens: [] },
    {
      ...testDeps(store),
      networks,
    },
  );
  try {
    const get = async (path: string, role: keyof typeof TOKENS = "viewer") => {
      const res = await api.app.inject({ url: path, headers: { authorization: `Bearer ${TOKENS[role].token}` } });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    };
    const t = await get(`/api/v1/forensics/timeline?ip=${attackerIp}&limit=500`);
    assert.equal(t.status, 200);
    const held = await cliAsync(["query", "timeline", "--ip", attackerIp]);
    assert.equal(held.code, 1, "no API token: one line saying who holds the store");
    assert.match(held.stderr, /^mailwarden: the store .* is held by process \d+/);

    const br = await get(`/api/v1/forensics/blast-radius/${breachIncidents[0]}`);
    assert.equal(br.status, 200);
    assert.ok((br.body.accounts as unknown[]).length > 0);
    assert.equal((await get("/api/v1/forensics/blast-radius/00000000000000000000000000000000")).status, 404);
    assert.equal((await get(`/api/v1/forensics/pivot/ip/${attackerIp}`)).status, 200);
    assert.equal((await get("/api/v1/forensics/pivot/ip/1.2.3.4")).status, 200);
    const unauth = await api.app.inject({ url: `/api/v1/forensics/pivot/ip/${attackerIp}` });
    assert.equal(unauth.statusCode, 401);
    const doc = (await api.app.inject({ url: "/openapi.json" })).json() as { paths: Record<string, unknown> };
    for (const p of ["timeline", "pivot/{kind}/{value}", "blast-radius/{incident}"]) {
      assert.ok(`/api/v1/forensics/${p}` in doc.paths, p);
    }

    // The CLI sees the store held by this process and asks the API instead.
    const config = join(demo.cwd, "via-api.yaml");
    const port = Number(new URL(api.url).port);
    writeFileSync(config, stringify({ api: { port, tokens: [TOKENS.viewer] } }));
    const via = await cliAsync(["query", "timeline", "--ip", attackerIp, "--config", config, "--limit", "100000"]);
    assert.equal(via.code, 0, via.stderr);
    assert.match(via.stderr, /detector API/);
    assert.deepEqual(
      jsonl<{ id: string }>(via.stdout).map((e) => e.id),
      (t.body.items as { id: string }[]).map((e) => e.id),
    );
    const csvOut = await cliAsync([
      "query",
      "blast-radius",
      "--incident",
      breachIncidents[0] as string,
      "--config",
      config,
      "--format",
      "csv",
    ]);
    assert.equal(csvOut.code, 0, csvOut.stderr);
    assert.equal(csv(csvOut.stdout).length, (br.body.accounts as unknown[]).length);
    const bad = await cliAsync(["query", "timeline", "--ip", attackerIp, "--from", "2026-13-45", "--config", config]);
    assert.equal(bad.code, 2);
  } finally {
    await api.close();
    await store.close();
  }
});
