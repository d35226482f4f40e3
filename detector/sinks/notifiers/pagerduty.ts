// PagerDuty Events API v2: trigger / acknowledge / resolve with a stable
// dedup_key — the alert's own id (finding id, or incident id for incidents) —
// so a re-sent trigger lands on the same PagerDuty incident and the analyst's
// ack/resolve in Mailwarden acknowledges/resolves it there too.
import { postJson } from "./http.js";
import { type AlertNotice, NOTICE_ACTIONS, type NoticeAction } from "./notice.js";
import type { DeliveryResult, Notifier } from "./notifier.js";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

const PD_SEVERITY: Record<string, "critical" | "error" | "warning" | "info"> = {
  critical: "critical",
  high: "error",
  medium: "warning",
  low: "info",
};

const cap = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function pagerDutyEvent(n: AlertNotice, routingKey: string): Record<string, unknown> {
  const base = { routing_key: routingKey, event_action: n.action, dedup_key: n.alert_id };
  if (n.action !== "trigger") return base;
  const details: Record<string, unknown> = {
    alert_type: n.alert_type,
    alert_id: n.alert_id,
    detection: n.detection,
    score: n.score,
    entity_type: n.entity_type,
    entity: n.entity,
    event_time: n.ts,
  };
  for (const k of ["host", "user", "src_ip", "stage", "observed", "expected", "incident_id", "triage"] as const) {
    if (n[k] !== undefined) details[k] = n[k];
  }
  if (n.false_positives?.length) details.false_positives = n.false_positives;
  return {
    ...base,
    payload: {
      summary: cap(`[${n.severity}] ${n.title}: ${n.summary}`, 1024),
      source: cap(n.host ?? n.entity, 255),
      severity: PD_SEVERITY[n.severity] ?? "warning",
      timestamp: n.ts,
      component: n.detection,
      group: n.stage ?? n.alert_type,
      class: n.entity_type,
      custom_details: details,
    },
    client: "Mailwarden",
    ...(n.link ? { client_url: n.link, links: [{ href: n.link, text: "Alert in Mailwarden" }] } : {}),
  };
}

export class PagerDutyNotifier implements Notifier {
  readonly type = "pagerduty";
  readonly actions: ReadonlySet<NoticeAction> = new Set(NOTICE_ACTIONS);

  constructor(private readonly opts: { url: string; routingKey: string; timeoutMs: number }) {}

  send(notice: AlertNotice, signal: AbortSignal): Promise<DeliveryResult> {
    return postJson(this.opts.url, JSON.stringify(pagerDutyEvent(notice, this.opts.routingKey)), {
      timeoutMs: this.opts.timeoutMs,
      signal,
    });
  }
}
