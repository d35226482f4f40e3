// Slack incoming webhook: a Block Kit message (header with severity and
// detection, the summary, entity fields, triage, a link) plus `text` as the
// notification fallback. Log-derived values (user names, hosts) are escaped
// for mrkdwn, so a hostile user name cannot inject links or mentions.
import { postJson } from "./http.js";
import { type AlertNotice, NOTICE_ACTIONS, type NoticeAction } from "./notice.js";
import type { DeliveryResult, Notifier } from "./notifier.js";

/** Slack's mrkdwn control characters (and <!channel>-style mentions) neutralized. */
export function slackEscape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

const cap = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

const MARK: Record<string, string> = { critical: "[CRITICAL]", high: "[HIGH]", medium: "[MEDIUM]", low: "[LOW]" };

const VERB: Record<NoticeAction, string> = {
  trigger: "",
  acknowledge: "Acknowledged: ",
  resolve: "Resolved: ",
};

export function slackMessage(n: AlertNotice): { text: string; blocks: object[] } {
  const head = `${VERB[n.action]}${MARK[n.severity] ?? n.severity} ${n.title}`;
  const fields: { type: "mrkdwn"; text: string }[] = [
    { type: "mrkdwn", text: `*Severity*\n${n.severity} (score ${n.score})` },
    { type: "mrkdwn", text: `*Detection*\n\`${slackEscape(n.detection)}\`` },
    { type: "mrkdwn", text: `*Entity* (${slackEscape(n.entity_type)})\n\`${slackEscape(cap(n.entity, 500))}\`` },
    { type: "mrkdwn", text: `*Event time*\n${n.ts}` },
  ];
  if (n.host) fields.push({ type: "mrkdwn", text: `*Host*\n\`${slackEscape(cap(n.host, 500))}\`` });
  if (n.user) fields.push({ type: "mrkdwn", text: `*User*\n\`${slackEscape(cap(n.user, 500))}\`` });
  if (n.src_ip) fields.push({ type: "mrkdwn", text: `*Source*\n\`${slackEscape(cap(n.src_ip, 500))}\`` });
  if (n.incident_id) fields.push({ type: "mrkdwn", text: `*Incident*\n\`${n.incident_id}\`` });
  const blocks: object[] = [
    { type: "header", text: { type: "plain_text", text: cap(head, 150) } },
    { type: "section", text: { type: "mrkdwn", text: cap(slackEscape(n.summary), 3000) }, fields: fields.slice(0, 10) },
  ];
  if (n.action !== "trigger" && n.actor) {
    const note = n.note ? `: ${slackEscape(cap(n.note, 1000))}` : "";
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `by *${slackEscape(n.actor)}*${note}` }] });
  }
  if (n.action === "trigger" && n.triage) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: cap(`*Triage*\n${slackEscape(n.triage)}`, 3000) },
    });
  }
  if (n.action === "trigger" && n.false_positives?.length) {
    blocks.push({
      type: "context",
      elements: [
        { type: "mrkdwn", text: cap(`Known benign causes: ${slackEscape(n.false_positives.join("; "))}`, 2000) },
      ],
    });
  }
  if (n.link) {
    blocks.push({
      type: "actions",
      elements: [{ type: "button", text: { type: "plain_text", text: "Open in Mailwarden" }, url: n.link }],
    });
  }
  const text = cap(`${head}: ${slackEscape(n.summary)} (${slackEscape(n.entity)})`, 3000);
  return { text, blocks };
}

export class SlackNotifier implements Notifier {
  readonly type = "slack";
  readonly actions: ReadonlySet<NoticeAction> = new Set(NOTICE_ACTIONS);

  constructor(private readonly opts: { url: string; timeoutMs: number }) {}

  send(notice: AlertNotice, signal: AbortSignal): Promise<DeliveryResult> {
    return postJson(this.opts.url, JSON.stringify(slackMessage(notice)), { timeoutMs: this.opts.timeoutMs, signal });
  }
}
