// Against a REAL Prometheus Alertmanager (Debian's prometheus-alertmanager,
// started here on loopback with its own storage): alerts sent through the
// router and outbox show up in Alertmanager's own GET /api/v2/alerts with our
// labels and annotations, an outage of Alertmanager loses nothing, and a
// resolve ends the alert. Skipped only when the binary is missing on a
// developer machine that is neither root nor CI; in CI it must run.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { FindingView } from "../../api/repository.js";
import { notifiersConfigSchema } from "./config.js";
import { createNotificationRouter, type NotificationRouter } from "./router.js";
import { removeTempDirs, sampleFinding, silentLog, tempDir, waitFor } from "./testing.js";

const BINARY = "/usr/bin/prometheus-alertmanager";
const installed = existsSync(BINARY);
const mustRun = process.getuid?.() === 0 || Boolean(process.env.CI);
const skip = !installed && !mustRun ? `${BINARY} not installed (apt-get install prometheus-alertmanager)` : false;

const dir = tempDir("alertmanager");
let port = 0;
let am: ChildProcess | undefined;
let amLog = "";
let router: NotificationRouter | undefined;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", () => resolve()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

const amUrl = () => `http://127.0.0.1:${port}`;

async function startAlertmanager(): Promise<void> {
  am = spawn(
    BINARY,
    [
      `--config.file=${join(dir, "am.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  am.stderr?.on("data", (d: Buffer) => {
    amLog = (amLog + d.toString()).slice(-4000);
  });
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${amUrl()}/-/ready`)).ok) return;
    } catch {
      // not yet listening
    }
    if (am.exitCode !== null || Date.now() > until) throw new Error(`alertmanager did not start:\n${amLog}`);
    await sleep(100);
  }
}

async function stopAlertmanager(): Promise<void> {
  const p = am;
  am = undefined;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((resolve) => p.once("exit", resolve));
  p.kill("SIGTERM");
  await exited;
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

async function amAlerts(filter?: string): Promise<AmAlert[]> {
  const q = filter ? `?filter=${encodeURIComponent(filter)}` : "";
  const res = await fetch(`${amUrl()}/api/v2/alerts${q}`);
  assert.equal(res.status, 200);
  return (await res.json()) as AmAlert[];
}

before(async () => {
  if (skip) return;
  assert.ok(
    installed,
    `${BINARY} is required when running as root or in CI: apt-get install -y --no-install-recommends prometheus-alertmanager`,
  );
  writeFileSync(
    join(dir, "am.yml"),
    ["route:", "  receiver: blackhole", "  group_wait: 1s", "receivers:", "  - name: blackhole", ""].join("\n"),
  );
  port = await freePort();
  await startAlertmanager();
  const cfg = notifiersConfigSchema.parse({
    outboxDir: join(dir, "outbox"),
    linkTemplate: "https://mailwarden.example.net/api/v1/{type}/{id}",
    receivers: [
      {
        name: "am",
        type: "alertmanager",
        url: amUrl(),
        route: { minSeverity: "medium" },
        delivery: { initialBackoffMs: 50, maxBackoffMs: 500, timeoutMs: 2000 },
      },
    ],
  });
  router = createNotificationRouter(cfg, { log: silentLog });
  router.start();
});

after(async () => {
  await router?.stop();
  await stopAlertmanager();
  removeTempDirs();
});

const finding = sampleFinding(1, {
  severity: "critical",
  score: 94,
  user: "alice@example.net",
  ts: new Date(Date.now() - 60_000).toISOString(),
});

function view(): FindingView {
  return {
    ...finding,
    host: finding.host ?? "",
    user: finding.user ?? "",
    src_ip: finding.src_ip ?? "",
    details: {},
    incident_id: null,
    state: {
      status: "open",
      feedback: null,
      feedback_note: "",
      feedback_by: null,
      updated_by: null,
      note: "",
      updated_at: null,
    },
    suppressed_by: [],
  };
}

test("a finding sent through the outbox is an active alert in Alertmanager, labelled and annotated", {
  skip,
}, async () => {
  await router?.notifyAlerts([
    { type: "finding", finding },
    { type: "finding", finding: sampleFinding(2, { severity: "low", score: 20 }) }, // below the route's minimum
  ]);
  let alerts: AmAlert[] = [];
  const until = Date.now() + 15_000;
  while (alerts.length === 0 && Date.now() < until) {
    alerts = await amAlerts(`alert_id="${finding.id}"`);
    if (alerts.length === 0) await sleep(100);
  }
  assert.equal(alerts.length, 1, amLog);
  const a = alerts[0] as AmAlert;
  assert.deepEqual(a.labels, {
    alertname: "auth.stuffing",
    severity: "critical",
    entity: "203.0.113.7",
    entity_type: "src_ip",
    alert_type: "finding",
    alert_id: finding.id,
    source: "mailwarden",
    host: "imap1",
    user: "alice@example.net",
    src_ip: "203.0.113.7",
    stage: "initial_access",
  });
  assert.equal(a.annotations.summary, finding.summary);
  assert.equal(a.annotations.title, "Credential stuffing from one source");
  assert.ok((a.annotations.triage ?? "").length > 20, "triage annotation");
  assert.equal(a.status.state, "active");
  assert.equal(Date.parse(a.startsAt), Date.parse(finding.ts));
  assert.ok(Date.parse(a.endsAt) > Date.now() + 23 * 3_600_000, "endsAt = now + ttl (24 h)");
  assert.equal(a.generatorURL, `https://mailwarden.example.net/api/v1/alerts/${finding.id}`);
  assert.deepEqual(await amAlerts(`alert_id="${sampleFinding(2).id}"`), [], "the low finding was not routed here");
});

test("Alertmanager down, then back: queued alerts arrive; acknowledge is not sent; resolve ends the alert", {
  skip,
}, async () => {
  await stopAlertmanager();
  const later = [3, 4, 5].map((n) =>
    sampleFinding(n, { severity: "high", score: 80, ts: new Date(Date.now() - 30_000).toISOString() }),
  );
  await router?.notifyAlerts(later.map((f) => ({ type: "finding" as const, finding: f })));
  await sleep(500); // attempts fail while it is down
  assert.ok((router?.receivers[0]?.outbox.failures ?? 0) > 0, "delivery attempts failed during the outage");
  await startAlertmanager(); // fresh process, same storage
  const until = Date.now() + 20_000;
  let found: AmAlert[] = [];
  while (Date.now() < until) {
    found = (await amAlerts('source="mailwarden"')).filter((a) => later.some((f) => f.id === a.labels.alert_id));
    if (found.length === later.length) break;
    await sleep(100);
  }
  assert.equal(found.length, later.length, `all queued alerts delivered after the outage\n${amLog}`);

  const at = new Date().toISOString();
  await router?.onAlertAction({ action: "acknowledge", type: "finding", alert: view(), actor: "rita", note: "", at });
  await router?.onAlertAction({ action: "resolve", type: "finding", alert: view(), actor: "rita", note: "reset", at });
  const deadline = Date.now() + 15_000;
  let still = await amAlerts(`alert_id="${finding.id}"`);
  while (still.length > 0 && Date.now() < deadline) {
    await sleep(100);
    still = await amAlerts(`alert_id="${finding.id}"`);
  }
  assert.deepEqual(still, [], "resolved: no longer listed as an alert");
  await waitFor("outbox drained", () => router?.receivers[0]?.outbox.isEmpty === true);
  assert.equal(router?.receivers[0]?.outbox.deadLettered, 0, "Alertmanager accepted every alert");
  assert.equal(
    router?.receivers[0]?.outbox.delivered,
    5,
    "1 + 3 triggers and the resolve; the acknowledge was not sent",
  );
});
