// Generic webhook: the notice as JSON, signed so the receiver can trust it.
//   X-Mailwarden-Timestamp: <unix seconds of this attempt>
//   X-Mailwarden-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
// The timestamp is part of the signed material, so a captured request cannot
// be replayed later with a fresh timestamp; receivers reject timestamps
// outside a tolerance (verifyWebhookSignature) and dedup on X-Mailwarden-Delivery
// (the notice id), since delivery is at-least-once.
import { createHmac, timingSafeEqual } from "node:crypto";
import { postJson } from "./http.js";
import { type AlertNotice, NOTICE_ACTIONS, type NoticeAction } from "./notice.js";
import type { DeliveryResult, Notifier } from "./notifier.js";

export const SIGNATURE_HEADER = "x-mailwarden-signature";
export const TIMESTAMP_HEADER = "x-mailwarden-timestamp";
export const DELIVERY_HEADER = "x-mailwarden-delivery";
export const EVENT_HEADER = "x-mailwarden-event";

export const WEBHOOK_SCHEMA_VERSION = "mailwarden.alert.v1";

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** For receivers (and tests): checks the signature in constant time and the timestamp's freshness. */
export function verifyWebhookSignature(opts: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs?: number;
  toleranceSeconds?: number;
}): { ok: true } | { ok: false; reason: string } {
  const { timestamp, signature } = opts;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "missing or malformed timestamp" };
  const age = Math.abs((opts.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (opts.toleranceSeconds ?? 300)) return { ok: false, reason: "timestamp outside tolerance" };
  if (!signature) return { ok: false, reason: "missing signature" };
  const expected = Buffer.from(signWebhook(opts.secret, timestamp, opts.body));
  const got = Buffer.from(signature);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return { ok: false, reason: "bad signature" };
  return { ok: true };
}

export function webhookBody(notice: AlertNotice): string {
  return JSON.stringify({ schema: WEBHOOK_SCHEMA_VERSION, ...notice });
}

export class WebhookNotifier implements Notifier {
  readonly type = "webhook";
  readonly actions: ReadonlySet<NoticeAction> = new Set(NOTICE_ACTIONS);

  constructor(
    private readonly opts: {
      url: string;
      secret: string;
      headers?: Record<string, string>;
      timeoutMs: number;
      now?: () => number;
    },
  ) {}

  send(notice: AlertNotice, signal: AbortSignal): Promise<DeliveryResult> {
    const body = webhookBody(notice);
    const timestamp = String(Math.floor((this.opts.now?.() ?? Date.now()) / 1000));
    return postJson(this.opts.url, body, {
      headers: {
        ...this.opts.headers,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhook(this.opts.secret, timestamp, body),
        [DELIVERY_HEADER]: notice.id,
        [EVENT_HEADER]: notice.action,
      },
      timeoutMs: this.opts.timeoutMs,
      signal,
    });
  }
}
