// One JSON POST with Node's global fetch, bounded by a timeout, classified for
// the outbox: retry (network, timeout, 408/425/429, 5xx) or give up (other
// 4xx, redirects — a webhook that redirects is misconfigured, and following it
// would hand the signed body to another host).
import { PACKAGE_VERSION } from "../../../config/paths.js";
import type { DeliveryResult } from "./notifier.js";

export const USER_AGENT = `mailwarden/${PACKAGE_VERSION}`;

const RETRYABLE = new Set([408, 425, 429]);

/** Retry-After: seconds or an HTTP date, as a delay in ms. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorCode(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return "timeout";
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

export async function postJson(
  url: string,
  body: string,
  opts: { headers?: Record<string, string>; timeoutMs: number; signal: AbortSignal },
): Promise<DeliveryResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...opts.headers },
      redirect: "manual",
      signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
    });
  } catch (e) {
    return { ok: false, retryable: true, reason: `POST failed: ${errorCode(e)}` };
  }
  // Read (and bound) the body so the connection is released; it explains failures.
  let text = "";
  try {
    text = (await res.text()).slice(0, 300);
  } catch {
    // the status is what counts
  }
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
  const reason = `HTTP ${res.status}${text ? `: ${text.replace(/\s+/g, " ").trim()}` : ""}`;
  const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
  const retryable = RETRYABLE.has(res.status) || res.status >= 500;
  return { ok: false, retryable, reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}
