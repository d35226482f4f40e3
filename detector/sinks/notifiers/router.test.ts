// Routing by severity, type and detection over real outboxes, built from the
// config schema; PagerDuty trigger → acknowledge → resolve against a local
// Events API v2 receiver, with the analyst's actions coming from the API hook.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { Registry } from "prom-client";
import type { FindingView } from "../../api/repository.js";
import { notifiersConfigSchema } from "./config.js";
import type { AlertNotice } from "./notice.js";
import { createNotificationRouter, type NotificationRouter, routeAccepts } from "./router.js";
import {
  type Received,
  removeTempDirs,
  sampleFinding,
  sampleNotice,
  silentLog,
  TestReceiver,
  tempDir,
  waitFor,
} from "./testing.js";

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  removeTempDirs();
});

async function receiver(): Promise<TestReceiver> {
  const r = new TestReceiver();
  await r.start(0);
  cleanups.push(() => r.stop());
  return r;
}

test("routeAccepts: minimum severity, alert types, detections, and actions the receiver understands", () => {
  const all = { actions: new Set(["trigger", "acknowledge", "resolve"] as const) };
  const route = { minSeverity: "high" as const, types: ["finding" as const, "incident" as const] };
  assert.equal(routeAccepts(route, all, sampleNotice(1, "high")), true);
  assert.equal(routeAccepts(route, all, sampleNotice(1, "critical")), true);
  assert.equal(routeAccepts(route, all, sampleNotice(1, "medium")), false);
  assert.equal(routeAccepts({ ...route, types: ["incident"] }, all, sampleNotice(1, "critical")), false);
  assert.equal(routeAccepts({ ...route, detections: ["cred.bulk_read"] }, all, sampleNotice(1, "critical")), false);
  assert.equal(routeAccepts({ ...route, detections: ["auth.stuffing"] }, all, sampleNotice(1, "critical")), true);
  const am = { actions: new Set(["trigger", "resolve"] as const) };
  assert.equal(routeAccepts(route, am, { ...sampleNotice(1, "high"), action: "acknowledge" }), false);
});

test("config → receivers: secrets from files, unknown keys and duplicate names refused", () => {
  const dir = tempDir("notifier-cfg");
  const ok = notifiersConfigSchema.safeParse({
    outboxDir: dir,
    receivers: [
      { name: "soc", type: "webhook", url: "http://127.0.0.1:1/x", secret: "0123456789abcdef" },
      { name: "pd", type: "pagerduty", routingKeyFile: join(dir, "pd.key") },
      { name: "am", type: "alertmanager", url: "http://127.0.0.1:9093", route: { minSeverity: "medium" } },
      {
        name: "chat",
        type: "slack",
        url: "https://hooks.slack.example/services/T/B/X",
        delivery: { ratePerMinute: 1 },
      },
    ],
  });
  assert.ok(ok.success, JSON.stringify(ok.error?.issues));
  assert.equal(
    ok.data.receivers[1]?.type === "pagerduty" && ok.data.receivers[1].url,
    "https://events.pagerduty.com/v2/enqueue",
  );
  assert.equal(ok.data.receivers[0]?.route.minSeverity, "high", "default route: high and above");
  assert.throws(
    () => createNotificationRouter(ok.data, { log: silentLog }),
    /config: notifiers\.receivers\.1\.routingKeyFile: cannot read .*pd\.key \(ENOENT\)/,
  );
  const issues = (input: unknown) =>
    notifiersConfigSchema.safeParse(input).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assert.match(
    String(issues({ receivers: [{ name: "a", type: "webhook", url: "http://x/" }] })),
    /exactly one of secret, secretFile/,
  );
  assert.match(
    String(
      issues({
        receivers: [
          { name: "a", type: "alertmanager", url: "http://x/" },
          { name: "a", type: "alertmanager", url: "http://y/" },
        ],
      }),
    ),
    /receivers\.1\.name: duplicate receiver name/,
  );
  assert.match(
    String(issues({ receivers: [{ name: "a", type: "alertmanager", url: "http://x/", colour: 1 }] })),
    /colour/,
  );
  assert.match(String(issues({ receivers: [{ name: "a", type: "sms", url: "http://x/" }] })), /receivers\.0\.type/);
  assert.match(
    String(issues({ receivers: [{ name: "a", type: "alertmanager", url: "ftp://x/" }] })),
    /receivers\.0\.url/,
  );
});

function findingView(n: number): FindingView {
  const f = sampleFinding(n, { severity: "critical", score: 93 });
  return {
    ...f,
    host: f.host ?? "",
    user: "",
    src_ip: f.src_ip ?? "",
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

test("PagerDuty: trigger from the detector, acknowledge and resolve from the analyst, one dedup_key; routing by severity", async () => {
  const pd = await receiver();
  pd.respond = (r) => {
    const e = JSON.parse(r.body) as { routing_key: string; dedup_key: string };
    if (r.path !== "/v2/enqueue" || e.routing_key !== "R0UTINGKEY0123456789abcdefABCDEF")
      return { status: 400, body: '{"status":"invalid event"}' };
    return {
      status: 202,
      body: JSON.stringify({ status: "success", message: "Event processed", dedup_key: e.dedup_key }),
    };
  };
  const hook = await receiver();
  const dir = tempDir("notifier-route");
  writeFileSync(join(dir, "pd.key"), "R0UTINGKEY0123456789abcdefABCDEF\n");
  writeFileSync(join(dir, "hook.secret"), "a-webhook-secret-long-enough\n");
  const cfg = notifiersConfigSchema.parse({
    outboxDir: join(dir, "outbox"),
    linkTemplate: "https://mailwarden.example.net/api/v1/{type}/{id}",
    receivers: [
      {
        name: "pd",
        type: "pagerduty",
        url: `${pd.url}/v2/enqueue`,
        routingKeyFile: join(dir, "pd.key"),
        route: { minSeverity: "critical" },
        delivery: { initialBackoffMs: 20, maxBackoffMs: 100 },
      },
      {
        name: "everything",
        type: "webhook",
        url: `${hook.url}/all`,
        secretFile: join(dir, "hook.secret"),
        route: { minSeverity: "low", types: ["finding"] },
        delivery: { initialBackoffMs: 20, maxBackoffMs: 100 },
      },
    ],
  });
  const metrics = new Registry();
  const router: NotificationRouter = createNotificationRouter(cfg, { log: silentLog, metrics });
  cleanups.push(() => router.stop());
  router.start();

  const crit = sampleFinding(10, { severity: "critical", score: 93 });
  await router.notifyAlerts([
    { type: "finding", finding: crit },
    { type: "finding", finding: sampleFinding(11, { severity: "medium", score: 50 }) },
    {
      type: "incident",
      incident: {
        id: "c".repeat(32),
        version: 1,
        opened_at: crit.ts,
        updated_at: crit.ts,
        severity: "critical",
        score: 93,
        stages: ["initial_access"],
        entities: ["203.0.113.7"],
        hosts: ["imap1"],
        users: [],
        src_ips: ["203.0.113.7"],
        finding_ids: [crit.id],
        summary: "stuffing",
      },
    },
  ]);
  const at = (s: number) => new Date(Date.UTC(2026, 5, 17, 4, 0, s)).toISOString();
  await router.onAlertAction({
    action: "acknowledge",
    type: "finding",
    alert: findingView(10),
    actor: "rita",
    note: "on it",
    at: at(1),
  });
  await router.onAlertAction({
    action: "feedback",
    verdict: "true_positive",
    type: "finding",
    alert: findingView(10),
    actor: "rita",
    note: "confirmed",
    at: at(2),
  });
  await router.onAlertAction({
    action: "resolve",
    type: "finding",
    alert: findingView(10),
    actor: "rita",
    note: "",
    at: at(3),
  });

  await waitFor("pagerduty events", () => pd.received.length === 4);
  const events = pd.received.map((r: Received) => JSON.parse(r.body));
  assert.deepEqual(
    events.map((e) => `${e.event_action}:${e.dedup_key}`),
    [`trigger:${crit.id}`, `trigger:${"c".repeat(32)}`, `acknowledge:${crit.id}`, `resolve:${crit.id}`],
    "critical only, in order; feedback sends nothing",
  );
  assert.equal(events[0].payload.severity, "critical");
  assert.equal(events[0].client_url, `https://mailwarden.example.net/api/v1/alerts/${crit.id}`);

  await waitFor("webhook notices", () => hook.received.length === 4);
  assert.deepEqual(
    hook.received.map((r) => {
      const n = JSON.parse(r.body) as AlertNotice;
      return `${n.action}:${n.severity}:${n.alert_type}`;
    }),
    ["trigger:critical:finding", "trigger:medium:finding", "acknowledge:critical:finding", "resolve:critical:finding"],
    "the low-threshold receiver also gets the medium finding, and no incidents",
  );
  await waitFor("outboxes drained", () => router.receivers.every((r) => r.outbox.isEmpty));
  assert.match(await metrics.metrics(), /mailwarden_notifier_delivered_total\{receiver="pd"\} 4/);
});
