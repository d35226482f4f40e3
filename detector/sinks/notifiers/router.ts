// Routes notices to receivers and owns their outboxes. Each receiver gets the
// notices its route accepts — at or above its minimum severity, of the alert
// types and detections it asks for, and actions it understands — appended to
// its own outbox, so one slow or dead receiver delays nobody else.
//
// Hooks: `notifyAlerts` is the findings stage's `notify` (new findings and
// incidents), `onAlertAction` is the API's (an analyst's ack / resolve /
// reopen reaches PagerDuty and the others).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Registry } from "prom-client";
import { ConfigError } from "../../../cli/errors.js";
import type { Logger } from "../../../telemetry/log.js";
import type { AlertActionEvent } from "../../api/context.js";
import { AlertmanagerNotifier } from "./alertmanager.js";
import type { NotifiersConfig, ReceiverConfig, RouteConfig } from "./config.js";
import {
  type AlertNotice,
  type DetectorAlert,
  type NoticeOptions,
  noticeFromAction,
  noticesFromAlerts,
  severityRank,
} from "./notice.js";
import type { Notifier } from "./notifier.js";
import { Outbox } from "./outbox.js";
import { PagerDutyNotifier } from "./pagerduty.js";
import { SlackNotifier } from "./slack.js";
import { WebhookNotifier } from "./webhook.js";

export interface Receiver {
  name: string;
  route: RouteConfig;
  notifier: Notifier;
  outbox: Outbox;
}

/** Whether a receiver's route takes a notice (pure). */
export function routeAccepts(route: RouteConfig, notifier: Pick<Notifier, "actions">, n: AlertNotice): boolean {
  if (!notifier.actions.has(n.action)) return false;
  if (severityRank(n.severity) < severityRank(route.minSeverity)) return false;
  if (!route.types.includes(n.alert_type)) return false;
  if (route.detections && !route.detections.includes(n.detection)) return false;
  return true;
}

export class NotificationRouter {
  constructor(
    readonly receivers: Receiver[],
    private readonly opts: { log: Logger; linkTemplate?: string; now?: () => Date },
  ) {}

  private noticeOptions(): NoticeOptions {
    return {
      now: this.opts.now?.() ?? new Date(),
      ...(this.opts.linkTemplate ? { linkTemplate: this.opts.linkTemplate } : {}),
    };
  }

  /** Appends each receiver's share of the notices to its outbox (one fsync per receiver). */
  async notify(notices: AlertNotice[]): Promise<void> {
    await Promise.all(
      this.receivers.map(async (r) => {
        const mine = notices.filter((n) => routeAccepts(r.route, r.notifier, n));
        if (mine.length > 0) await r.outbox.enqueue(mine);
      }),
    );
  }

  /** The findings stage's hook. */
  notifyAlerts = async (alerts: DetectorAlert[]): Promise<void> => {
    await this.notify(noticesFromAlerts(alerts, this.noticeOptions()));
  };

  /** The API's hook. */
  onAlertAction = async (e: AlertActionEvent): Promise<void> => {
    const notice = noticeFromAction(e, this.noticeOptions());
    if (notice) await this.notify([notice]);
  };

  start(): void {
    for (const r of this.receivers) r.outbox.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.outbox.stop()));
  }
}

function secret(inline: string | undefined, file: string | undefined, path: string): string {
  if (inline !== undefined) return inline;
  try {
    const value = (readFileSync(file as string, "utf8").split("\n")[0] ?? "").trim();
    if (value === "") throw new ConfigError(path, `${file} is empty`);
    return value;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(path, `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** Builds a receiver's notifier from its config; secrets are read from their files here. */
export function buildNotifier(r: ReceiverConfig, index: number): Notifier {
  const path = `notifiers.receivers.${index}`;
  const timeoutMs = r.delivery.timeoutMs;
  switch (r.type) {
    case "webhook":
      return new WebhookNotifier({
        url: r.url,
        secret: secret(r.secret, r.secretFile, `${path}.secretFile`),
        headers: r.headers,
        timeoutMs,
      });
    case "slack":
      return new SlackNotifier({ url: secret(r.url, r.urlFile, `${path}.urlFile`), timeoutMs });
    case "pagerduty":
      return new PagerDutyNotifier({
        url: r.url,
        routingKey: secret(r.routingKey, r.routingKeyFile, `${path}.routingKeyFile`),
        timeoutMs,
      });
    case "alertmanager":
      return new AlertmanagerNotifier({ url: r.url, ttlMinutes: r.ttlMinutes, timeoutMs });
  }
}

export interface NotifierDeps {
  log: Logger;
  metrics?: Registry;
  now?: () => Date;
}

/** The configured receivers with their outboxes (not started). */
export function createNotificationRouter(cfg: NotifiersConfig, deps: NotifierDeps): NotificationRouter {
  const receivers = cfg.receivers.map((r, i): Receiver => {
    const notifier = buildNotifier(r, i);
    return {
      name: r.name,
      route: r.route,
      notifier,
      outbox: new Outbox({
        name: r.name,
        dir: join(cfg.outboxDir, r.name),
        notifier,
        maxQueueBytes: r.delivery.maxQueueBytes,
        ratePerMinute: r.delivery.ratePerMinute,
        burst: r.delivery.burst,
        initialBackoffMs: r.delivery.initialBackoffMs,
        maxBackoffMs: r.delivery.maxBackoffMs,
        log: deps.log,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }),
    };
  });
  return new NotificationRouter(receivers, {
    log: deps.log,
    ...(cfg.linkTemplate ? { linkTemplate: cfg.linkTemplate } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
