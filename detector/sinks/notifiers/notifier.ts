// The port every receiver implements: format one notice, send it, and say
// whether a failure is worth retrying. Delivery policy (queueing, retries,
// rate limits) is the outbox's, not the notifier's.
import type { AlertNotice, NoticeAction } from "./notice.js";

export type DeliveryResult =
  | { ok: true; status: number }
  | {
      ok: false;
      /** Network errors, timeouts, 408/425/429 and 5xx: try again later. Other failures go to the dead letters. */
      retryable: boolean;
      reason: string;
      /** The receiver's Retry-After, when it gave one. */
      retryAfterMs?: number;
    };

export interface Notifier {
  readonly type: "webhook" | "slack" | "pagerduty" | "alertmanager";
  /** The actions this receiver understands (Alertmanager has no acknowledge). */
  readonly actions: ReadonlySet<NoticeAction>;
  /** Sends one notice; never throws for a delivery failure. */
  send(notice: AlertNotice, signal: AbortSignal): Promise<DeliveryResult>;
}
