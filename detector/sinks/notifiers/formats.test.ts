// What each receiver is sent: Slack blocks (escaped), PagerDuty Events v2,
// Alertmanager alerts, and the notices built from findings, incidents and
// analyst actions.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FindingView, IncidentView } from "../../api/repository.js";
import { alertmanagerAlert } from "./alertmanager.js";
import { type IncidentLike, noticeFromAction, noticeFromIncident } from "./notice.js";
import { pagerDutyEvent } from "./pagerduty.js";
import { slackEscape, slackMessage } from "./slack.js";
import { sampleFinding, sampleNotice } from "./testing.js";

test("a finding's notice: deterministic id per score, triage from the detection, link", () => {
  const n = sampleNotice(1);
  assert.equal(n.action, "trigger");
  assert.equal(n.alert_type, "finding");
  assert.equal(n.alert_id, sampleFinding(1).id);
  assert.equal(n.title, "Credential stuffing from one source");
  assert.ok(n.triage && n.triage.length > 20, "triage text");
  assert.ok(n.false_positives && n.false_positives.length > 0);
  assert.equal(n.link, `https://mailwarden.example.net/api/v1/alerts/${n.alert_id}`);
  assert.equal(sampleNotice(1).id, n.id, "same finding, same notice id");
  assert.notEqual(sampleNotice(1, "critical", { score: 95 }).id, n.id, "a higher re-fire is a new notice");
});

const incident: IncidentLike = {
  id: "9".repeat(32),
  version: 3,
  opened_at: "2026-06-17T03:00:00.000Z",
  updated_at: "2026-06-17T04:00:00.000Z",
  severity: "critical",
  score: 95,
  stages: ["initial_access", "credential_access", "exfiltration"],
  entities: ["203.0.113.7", "ldap1", "mx1", "10.0.0.9"],
  hosts: ["ldap1", "mx1"],
  users: [],
  src_ips: ["203.0.113.7"],
  finding_ids: ["1".repeat(32)],
  summary: "stuffing, then a bulk LDAP read, then 800 MB out of mx1",
};

test("an incident's notice; a merged incident is resolved", () => {
  const o = { now: new Date("2026-06-17T04:00:01.000Z") };
  const n = noticeFromIncident(incident, o);
  assert.equal(n.action, "trigger");
  assert.equal(n.detection, "incident");
  assert.equal(n.title, "Incident: initial_access → credential_access → exfiltration");
  assert.equal(n.entity, "203.0.113.7, ldap1, mx1 +1");
  assert.equal(n.host, "ldap1, mx1");
  assert.equal(n.user, undefined);
  assert.notEqual(noticeFromIncident({ ...incident, version: 4 }, o).id, n.id);
  const merged = noticeFromIncident({ ...incident, merged_into: "8".repeat(32) }, o);
  assert.equal(merged.action, "resolve");
  assert.match(merged.note ?? "", /merged into incident 8{32}/);
});

test("analyst actions become acknowledge / resolve / trigger (reopen); feedback notifies nobody", () => {
  const f = sampleFinding(7);
  const view: FindingView = {
    ...f,
    host: f.host ?? "",
    user: "",
    src_ip: f.src_ip ?? "",
    details: {},
    incident_id: null,
    state: {
      status: "acknowledged",
      feedback: null,
      feedback_note: "",
      feedback_by: null,
      updated_by: "rita",
      note: "",
      updated_at: null,
    },
    suppressed_by: [],
  };
  const at = "2026-06-17T05:00:00.000Z";
  const o = { now: new Date(at) };
  const ack = noticeFromAction(
    { action: "acknowledge", type: "finding", alert: view, actor: "rita", note: "on it", at },
    o,
  );
  assert.equal(ack?.action, "acknowledge");
  assert.equal(ack?.alert_id, f.id);
  assert.equal(ack?.actor, "rita");
  assert.equal(ack?.note, "on it");
  assert.equal(ack?.user, undefined, "empty fields are left out");
  assert.equal(
    noticeFromAction({ action: "reopen", type: "finding", alert: view, actor: "rita", note: "", at }, o)?.action,
    "trigger",
  );
  assert.equal(
    noticeFromAction(
      { action: "feedback", verdict: "false_positive", type: "finding", alert: view, actor: "rita", note: "x", at },
      o,
    ),
    undefined,
  );
  const iv: IncidentView = {
    ...incident,
    merged_into: null,
    state: {
      status: "resolved",
      feedback: null,
      feedback_note: "",
      feedback_by: null,
      updated_by: "adam",
      note: "",
      updated_at: at,
    },
  };
  const res = noticeFromAction({ action: "resolve", type: "incident", alert: iv, actor: "adam", note: "", at }, o);
  assert.equal(res?.action, "resolve");
  assert.equal(res?.alert_type, "incident");
  assert.equal(res?.alert_id, incident.id);
});

test("Slack: blocks with severity, summary, entity and link; hostile log values cannot inject mrkdwn", () => {
  const n = sampleNotice(2, "critical", {
    user: "<!channel> <https://evil.example|click> & co",
    summary: "many logins for <!here>",
  });
  const m = slackMessage(n);
  const json = JSON.stringify(m);
  assert.ok(!json.includes("<!channel>") && !json.includes("<!here>") && !json.includes("<https://evil"));
  assert.ok(json.includes("&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co"));
  assert.match(m.text, /^\[CRITICAL\] Credential stuffing from one source: many logins for &lt;!here&gt;/);
  const header = m.blocks[0] as { type: string; text: { text: string } };
  assert.equal(header.type, "header");
  assert.equal(header.text.text, "[CRITICAL] Credential stuffing from one source");
  const section = m.blocks[1] as { fields: { text: string }[] };
  assert.ok(section.fields.some((f) => f.text === "*Entity* (src_ip)\n`203.0.113.7`"));
  assert.ok(section.fields.some((f) => f.text.startsWith("*Severity*\ncritical")));
  assert.ok(JSON.stringify(m.blocks.at(-1)).includes(n.link as string), "a button to the alert");
  assert.equal(slackEscape("a<b>&c"), "a&lt;b&gt;&amp;c");
  const ack = slackMessage({ ...n, action: "resolve", actor: "rita", note: "reset done" });
  assert.match(ack.text, /^Resolved: /);
  assert.ok(JSON.stringify(ack.blocks).includes("by *rita*: reset done"));
});

test("PagerDuty Events v2: trigger with payload; acknowledge/resolve carry only the dedup_key", () => {
  const n = sampleNotice(3, "high", { user: "alice@example.net" });
  const e = pagerDutyEvent(n, "R0UTINGKEY");
  assert.equal(e.routing_key, "R0UTINGKEY");
  assert.equal(e.event_action, "trigger");
  assert.equal(e.dedup_key, n.alert_id);
  const payload = e.payload as Record<string, unknown>;
  assert.equal(payload.severity, "error");
  assert.equal(payload.source, "imap1");
  assert.equal(payload.component, "auth.stuffing");
  assert.equal(payload.timestamp, n.ts);
  assert.match(payload.summary as string, /^\[high\] Credential stuffing from one source: /);
  assert.equal((payload.custom_details as Record<string, unknown>).user, "alice@example.net");
  assert.deepEqual(e.links, [{ href: n.link, text: "Alert in Mailwarden" }]);
  assert.equal(
    pagerDutyEvent(sampleNotice(3, "critical"), "k").payload &&
      (pagerDutyEvent(sampleNotice(3, "critical"), "k").payload as { severity: string }).severity,
    "critical",
  );
  assert.deepEqual(pagerDutyEvent({ ...n, action: "acknowledge" }, "R0UTINGKEY"), {
    routing_key: "R0UTINGKEY",
    event_action: "acknowledge",
    dedup_key: n.alert_id,
  });
});

test("Alertmanager: labels identify, annotations explain; resolve ends it at the resolve time", () => {
  const n = sampleNotice(4, "medium", { user: "bob@example.net" });
  const now = Date.parse("2026-06-17T03:10:00.000Z");
  const a = alertmanagerAlert(n, { ttlMs: 3_600_000, nowMs: now });
  assert.deepEqual(a.labels, {
    alertname: "auth.stuffing",
    severity: "medium",
    entity: "203.0.113.7",
    entity_type: "src_ip",
    alert_type: "finding",
    alert_id: n.alert_id,
    source: "mailwarden",
    host: "imap1",
    user: "bob@example.net",
    src_ip: "203.0.113.7",
    stage: "initial_access",
  });
  assert.equal(a.annotations.summary, n.summary);
  assert.ok(a.annotations.triage);
  assert.equal(a.startsAt, n.ts);
  assert.equal(a.endsAt, "2026-06-17T04:10:00.000Z");
  assert.equal(a.generatorURL, n.link);
  const resolved = alertmanagerAlert(
    { ...n, action: "resolve", created_at: "2026-06-17T03:30:00.000Z" },
    { ttlMs: 3_600_000, nowMs: now },
  );
  assert.deepEqual(resolved.labels, a.labels, "same labels: the same alert");
  assert.equal(resolved.endsAt, "2026-06-17T03:30:00.000Z");
});
