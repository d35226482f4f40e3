// The durable outbox against a real local HTTP receiver: signed webhook
// deliveries, a receiver that is down for a while (and a detector restart in
// between), retries and dead letters, and rate limiting.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Registry } from "prom-client";
import type { AlertNotice } from "./notice.js";
import { backoffDelay, Outbox, type OutboxOptions } from "./outbox.js";
import { type Received, removeTempDirs, sampleNotice, silentLog, TestReceiver, tempDir, waitFor } from "./testing.js";
import { TokenBucket } from "./token-bucket.js";
import { verifyWebhookSignature, WebhookNotifier } from "./webhook.js";

const SECRET = "s3cret-for-the-test-receiver";
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  removeTempDirs();
});

/** The receiver side of the contract, written from the header spec, not with the sender's helpers. */
function verified(r: Received): AlertNotice & { schema: string } {
  const ts = r.headers["x-mailwarden-timestamp"] as string;
  const expected = `sha256=${createHmac("sha256", SECRET).update(`${ts}.${r.body}`).digest("hex")}`;
  assert.equal(r.headers["x-mailwarden-signature"], expected, "HMAC-SHA256 of timestamp.body");
  assert.ok(Math.abs(Date.now() / 1000 - Number(ts)) < 300, "fresh timestamp");
  const body = JSON.parse(r.body) as AlertNotice & { schema: string };
  assert.equal(r.headers["x-mailwarden-delivery"], body.id);
  assert.equal(r.headers["x-mailwarden-event"], body.action);
  assert.equal(r.headers["content-type"], "application/json");
  return body;
}

async function receiver(): Promise<TestReceiver> {
  const r = new TestReceiver();
  await r.start(0);
  cleanups.push(() => r.stop());
  return r;
}

function outbox(url: string, dir: string, over: Partial<OutboxOptions> = {}): Outbox {
  const o = new Outbox({
    name: "hook",
    dir,
    notifier: new WebhookNotifier({ url: `${url}/hook`, secret: SECRET, timeoutMs: 2000 }),
    maxQueueBytes: 16 * 1024 * 1024,
    ratePerMinute: 60_000,
    burst: 1000,
    initialBackoffMs: 20,
    maxBackoffMs: 200,
    log: silentLog,
    ...over,
  });
  cleanups.push(() => o.stop());
  return o;
}

const tmp = (name: string) => tempDir(`outbox-${name}`);

/** First-seen order of alert ids: what the on-call sees, at-least-once duplicates collapsed. */
const deduped = (rs: Received[]) => [...new Set(rs.map((r) => verified(r).alert_id))];

test("webhook deliveries are signed over timestamp and body; tampering and replays are detectable", async () => {
  const rx = await receiver();
  const box = outbox(rx.url, tmp("sign"));
  box.start();
  const n = sampleNotice(1);
  assert.equal(await box.enqueue([n]), true);
  await waitFor("one delivery", () => rx.received.length === 1);
  const r = rx.received[0] as Received;
  assert.equal(r.method, "POST");
  assert.equal(r.path, "/hook");
  const body = verified(r);
  assert.equal(body.schema, "mailwarden.alert.v1");
  assert.deepEqual({ ...body, schema: undefined }, { ...n, schema: undefined });

  const ts = r.headers["x-mailwarden-timestamp"] as string;
  const sig = r.headers["x-mailwarden-signature"] as string;
  const now = Number(ts) * 1000;
  assert.deepEqual(
    verifyWebhookSignature({ secret: SECRET, body: r.body, timestamp: ts, signature: sig, nowMs: now }),
    { ok: true },
  );
  const tampered = r.body.replace('"high"', '"low"');
  assert.equal(
    verifyWebhookSignature({ secret: SECRET, body: tampered, timestamp: ts, signature: sig, nowMs: now }).ok,
    false,
  );
  assert.equal(
    verifyWebhookSignature({
      secret: SECRET,
      body: r.body,
      timestamp: String(Number(ts) + 1),
      signature: sig,
      nowMs: now,
    }).ok,
    false,
    "the timestamp is signed: it cannot be refreshed",
  );
  assert.deepEqual(
    verifyWebhookSignature({ secret: SECRET, body: r.body, timestamp: ts, signature: sig, nowMs: now + 600_000 }),
    { ok: false, reason: "timestamp outside tolerance" },
    "an old capture is refused",
  );
  assert.equal(
    verifyWebhookSignature({ secret: "other-secret-0123456", body: r.body, timestamp: ts, signature: sig, nowMs: now })
      .ok,
    false,
  );
});

test("receiver down for a while, then up: enqueue never waits, every notice arrives after, in order, none lost", async () => {
  const rx = await receiver();
  await rx.stop(); // down: connections to its port are refused
  const box = outbox(rx.url, tmp("outage"));
  box.start();
  const notices = Array.from({ length: 60 }, (_, i) => sampleNotice(100 + i));
  // Detection keeps going while the receiver is down: each enqueue is a local fsync'ed append.
  for (const [i, n] of notices.entries()) {
    assert.equal(await box.enqueue([n]), true);
    if (i % 20 === 0) await sleep(100);
  }
  await waitFor("failed attempts while down", () => box.failures >= 3);
  assert.equal(box.delivered, 0);
  assert.ok(box.pendingBytes > 0);

  await rx.start(); // back, same port
  await waitFor("all delivered", () => deduped(rx.received).length === notices.length);
  assert.deepEqual(
    deduped(rx.received),
    notices.map((n) => n.alert_id),
    "in enqueue order",
  );
  await waitFor("outbox drained", () => box.isEmpty);
  assert.ok(rx.received.length <= notices.length + 1, "at most the one in flight is repeated");
});

test("notices survive a detector restart while the receiver is down", async () => {
  const rx = await receiver();
  await rx.stop();
  const dir = tmp("restart");
  const first = outbox(rx.url, dir);
  first.start();
  const notices = Array.from({ length: 25 }, (_, i) => sampleNotice(200 + i));
  await first.enqueue(notices.slice(0, 10));
  for (const n of notices.slice(10, 20)) await first.enqueue([n]);
  await waitFor("retrying", () => first.failures >= 2);
  await first.stop(); // the process goes away with everything still queued

  const second = outbox(rx.url, dir);
  await second.enqueue(notices.slice(20));
  second.start();
  await sleep(150);
  assert.equal(rx.received.length, 0);
  await rx.start();
  await waitFor("all delivered after restart", () => deduped(rx.received).length === notices.length);
  assert.deepEqual(
    deduped(rx.received),
    notices.map((n) => n.alert_id),
  );
});

test("5xx and 429 (with Retry-After) are retried; a 4xx rejection is dead-lettered and the queue moves on", async () => {
  const rx = await receiver();
  let calls = 0;
  rx.respond = (r) => {
    calls += 1;
    const id = (JSON.parse(r.body) as AlertNotice).alert_id;
    if (id === sampleNotice(301).alert_id) return { status: 400, body: "unknown field" };
    if (calls === 1) return { status: 503, body: "busy" };
    if (calls === 2) return { status: 429, body: "slow down", headers: { "retry-after": "1" } };
    return { status: 204 };
  };
  const dir = tmp("errors");
  const metrics = new Registry();
  const box = outbox(rx.url, dir, { metrics });
  box.start();
  const started = Date.now();
  await box.enqueue([sampleNotice(300), sampleNotice(301), sampleNotice(302)]);
  await waitFor("drained", () => box.isEmpty && box.delivered === 2);
  assert.ok(Date.now() - started >= 900, "Retry-After honoured");
  assert.deepEqual(
    rx.received.map((r) => (JSON.parse(r.body) as AlertNotice).alert_id),
    [300, 300, 300, 301, 302].map((n) => sampleNotice(n).alert_id),
  );
  assert.equal(box.deadLettered, 1);
  const dead = readFileSync(join(dir, "dead-letters.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(dead.length, 1);
  assert.equal(dead[0].notice.alert_id, sampleNotice(301).alert_id);
  assert.match(dead[0].reason, /^HTTP 400: unknown field/);
  const text = await metrics.metrics();
  assert.match(text, /mailwarden_notifier_delivered_total\{receiver="hook"\} 2/);
  assert.match(text, /mailwarden_notifier_dead_letters_total\{receiver="hook"\} 1/);
  assert.match(text, /mailwarden_notifier_failures_total\{receiver="hook",retryable="true"\} 2/);
  assert.match(text, /mailwarden_notifier_queue_bytes\{receiver="hook"\} 0/);
});

test("a full outbox refuses (and counts) instead of blocking the detector", async () => {
  const rx = await receiver();
  await rx.stop();
  const metrics = new Registry();
  const box = outbox(rx.url, tmp("full"), { maxQueueBytes: 1024 * 1024, metrics });
  const big = { ...sampleNotice(400), summary: "x".repeat(300 * 1024) };
  assert.equal(await box.enqueue([big]), true);
  assert.equal(await box.enqueue([big]), true);
  assert.equal(await box.enqueue([big]), true);
  assert.equal(await box.enqueue([big]), false, "would exceed 1 MiB");
  assert.equal(box.dropped, 1);
  assert.match(await metrics.metrics(), /mailwarden_notifier_dropped_total\{receiver="hook"\} 1/);
});

test("rate limit: a token bucket paces sends after the burst", async () => {
  let t = 0;
  const bucket = new TokenBucket(2, 3, () => t);
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0], "the burst");
  assert.equal(bucket.reserve(), 500);
  assert.equal(bucket.reserve(), 1000, "reservations queue up");
  t = 10_000;
  assert.equal(bucket.reserve(), 0, "refilled, capped at the burst");
  assert.equal(bucket.reserve(), 0);
  assert.equal(bucket.reserve(), 0);
  assert.equal(bucket.reserve(), 500);

  const rx = await receiver();
  const box = outbox(rx.url, tmp("rate"), { ratePerMinute: 600, burst: 2 });
  box.start();
  const started = Date.now();
  await box.enqueue(Array.from({ length: 6 }, (_, i) => sampleNotice(500 + i)));
  await waitFor("delivered", () => rx.received.length === 6);
  assert.ok(Date.now() - started >= 350, "4 sends beyond the burst at 10/s take at least 0.4 s");
});

test("backoff grows exponentially with jitter and stays under the cap", () => {
  assert.equal(
    backoffDelay(1, 1000, 60_000, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(1, 1000, 60_000, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(4, 1000, 60_000, () => 1),
    8000,
  );
  assert.equal(
    backoffDelay(30, 1000, 60_000, () => 1),
    60_000,
  );
  assert.equal(
    backoffDelay(1000, 1000, 60_000, () => 0.5),
    45_000,
  );
});
