// Prometheus Alertmanager (API v2): POST /api/v2/alerts with one alert whose
// labels identify it (alertname = detection, severity, entity, host, …,
// alert_id) and whose annotations explain it (summary, triage). A trigger
// sets endsAt = now + ttl (Alertmanager resolves it by itself unless it is
// sent again); a resolve sends the same labels with endsAt = the resolve time.
// Alertmanager has no acknowledge: silences are managed in Alertmanager.
import { postJson } from "./http.js";
import type { AlertNotice, NoticeAction } from "./notice.js";
import type { DeliveryResult, Notifier } from "./notifier.js";

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

const cap = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function alertmanagerAlert(n: AlertNotice, opts: { ttlMs: number; nowMs: number }): AlertmanagerAlert {
  const labels: Record<string, string> = {
    alertname: n.detection,
    severity: n.severity,
    entity: cap(n.entity, 1024),
    entity_type: n.entity_type,
    alert_type: n.alert_type,
    alert_id: n.alert_id,
    source: "mailwarden",
  };
  if (n.host) labels.host = cap(n.host, 1024);
  if (n.user) labels.user = cap(n.user, 1024);
  if (n.src_ip) labels.src_ip = cap(n.src_ip, 1024);
  if (n.stage) labels.stage = n.stage;
  const annotations: Record<string, string> = {
    summary: cap(n.summary, 4096),
    title: n.title,
    score: String(n.score),
  };
  if (n.triage) annotations.triage = cap(n.triage, 4096);
  if (n.false_positives?.length) annotations.false_positives = cap(n.false_positives.join("; "), 4096);
  if (n.incident_id) annotations.incident_id = n.incident_id;
  const startsAt = n.ts;
  const endsAt =
    n.action === "resolve"
      ? new Date(Math.max(Date.parse(n.created_at), Date.parse(startsAt))).toISOString()
      : new Date(opts.nowMs + opts.ttlMs).toISOString();
  return { labels, annotations, startsAt, endsAt, ...(n.link ? { generatorURL: n.link } : {}) };
}

export class AlertmanagerNotifier implements Notifier {
  readonly type = "alertmanager";
  readonly actions: ReadonlySet<NoticeAction> = new Set<NoticeAction>(["trigger", "resolve"]);
  private readonly endpoint: string;

  constructor(private readonly opts: { url: string; ttlMinutes: number; timeoutMs: number; now?: () => number }) {
    this.endpoint = new URL("api/v2/alerts", opts.url.endsWith("/") ? opts.url : `${opts.url}/`).toString();
  }

  send(notice: AlertNotice, signal: AbortSignal): Promise<DeliveryResult> {
    const alert = alertmanagerAlert(notice, {
      ttlMs: this.opts.ttlMinutes * 60_000,
      nowMs: this.opts.now?.() ?? Date.now(),
    });
    return postJson(this.endpoint, JSON.stringify([alert]), { timeoutMs: this.opts.timeoutMs, signal });
  }
}
