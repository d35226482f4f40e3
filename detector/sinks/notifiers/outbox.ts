// A durable outbox per receiver: notices are appended to a disk FIFO (the
// agent's checksummed Spool, fsync'ed) and a delivery loop sends them in
// order, one at a time. Enqueueing is a local append, so a receiver that is
// down never blocks detection; a notice leaves the outbox only once the
// receiver accepted it (2xx), so it survives outages and restarts. Failures
// that can heal (network, timeout, 408/425/429, 5xx) are retried forever with
// exponential backoff and jitter (honouring Retry-After); a notice the
// receiver rejects for good (other 4xx) is written to dead-letters.jsonl and
// counted, so one bad notice cannot block the queue. Sends are paced by the
// receiver's token bucket. Delivery is at-least-once: a crash between the
// receiver's 2xx and the ack re-sends, with the same notice id.
//
// The one way a notice is refused is a full outbox (maxQueueBytes, default
// 64 MiB, some 50k notices): it is dropped, logged and counted rather than
// stalling the detector.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { Spool } from "../../../collectors/spool/spool.js";
import type { Logger } from "../../../telemetry/log.js";
import type { AlertNotice } from "./notice.js";
import type { DeliveryResult, Notifier } from "./notifier.js";
import { TokenBucket } from "./token-bucket.js";

/** The spool's per-record header (length + crc32). */
const RECORD_HEADER = 8;
const MAX_RETRY_AFTER_MS = 3_600_000;

export interface OutboxOptions {
  name: string;
  dir: string;
  notifier: Notifier;
  maxQueueBytes: number;
  ratePerMinute: number;
  burst: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  log: Logger;
  metrics?: Registry;
  /** Test hook for jitter. */
  random?: () => number;
}

/** Exponential backoff with "equal jitter": between half and all of min(max, initial·2^(n-1)). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

type Labels = "receiver";

interface OutboxMetrics {
  enqueued: Counter<Labels>;
  delivered: Counter<Labels>;
  failures: Counter<Labels | "retryable">;
  deadLetters: Counter<Labels>;
  dropped: Counter<Labels>;
  queueBytes: Gauge<Labels>;
  seconds: Histogram<Labels>;
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

function outboxMetrics(registry: Registry): OutboxMetrics {
  const registers = [registry];
  const labelNames = ["receiver"] as const;
  return {
    enqueued: metric(
      registry,
      "mailwarden_notifier_enqueued_total",
      () =>
        new Counter({
          name: "mailwarden_notifier_enqueued_total",
          help: "Notices put in a receiver's outbox",
          labelNames,
          registers,
        }),
    ),
    delivered: metric(
      registry,
      "mailwarden_notifier_delivered_total",
      () =>
        new Counter({
          name: "mailwarden_notifier_delivered_total",
          help: "Notices a receiver accepted",
          labelNames,
          registers,
        }),
    ),
    failures: metric(
      registry,
      "mailwarden_notifier_failures_total",
      () =>
        new Counter({
          name: "mailwarden_notifier_failures_total",
          help: "Failed delivery attempts",
          labelNames: ["receiver", "retryable"] as const,
          registers,
        }),
    ),
    deadLetters: metric(
      registry,
      "mailwarden_notifier_dead_letters_total",
      () =>
        new Counter({
          name: "mailwarden_notifier_dead_letters_total",
          help: "Notices a receiver rejected for good (written to dead-letters.jsonl)",
          labelNames,
          registers,
        }),
    ),
    dropped: metric(
      registry,
      "mailwarden_notifier_dropped_total",
      () =>
        new Counter({
          name: "mailwarden_notifier_dropped_total",
          help: "Notices refused by a full outbox",
          labelNames,
          registers,
        }),
    ),
    queueBytes: metric(
      registry,
      "mailwarden_notifier_queue_bytes",
      () =>
        new Gauge({
          name: "mailwarden_notifier_queue_bytes",
          help: "Undelivered bytes in the outbox",
          labelNames,
          registers,
        }),
    ),
    seconds: metric(
      registry,
      "mailwarden_notifier_delivery_seconds",
      () =>
        new Histogram({
          name: "mailwarden_notifier_delivery_seconds",
          help: "Duration of delivery attempts",
          labelNames,
          buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers,
        }),
    ),
  };
}

export class Outbox {
  private readonly spool: Spool<AlertNotice>;
  private readonly bucket: TokenBucket;
  private readonly metrics: OutboxMetrics | undefined;
  private stopping: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private outage = false;
  delivered = 0;
  failures = 0;
  deadLettered = 0;
  dropped = 0;

  constructor(private readonly opts: OutboxOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.spool = new Spool<AlertNotice>({ dir: opts.dir, maxBytes: opts.maxQueueBytes });
    if (this.spool.tornRecords > 0) {
      opts.log.warn(
        { receiver: opts.name, records: this.spool.tornRecords },
        "outbox: dropped a record cut short by a crash",
      );
    }
    this.bucket = new TokenBucket(opts.ratePerMinute / 60, opts.burst);
    this.metrics = opts.metrics ? outboxMetrics(opts.metrics) : undefined;
    this.metrics?.queueBytes.set({ receiver: opts.name }, this.spool.pendingBytes);
  }

  get name(): string {
    return this.opts.name;
  }

  get pendingBytes(): number {
    return this.spool.pendingBytes;
  }

  get isEmpty(): boolean {
    return this.spool.isEmpty;
  }

  /**
   * Appends notices durably (one fsync for the batch). Returns false, having
   * logged and counted them, when the outbox is full.
   */
  async enqueue(notices: AlertNotice[]): Promise<boolean> {
    if (notices.length === 0) return true;
    const labels = { receiver: this.opts.name };
    // The spool would wait for room; the detector must not, so a full outbox refuses instead.
    const bytes = Buffer.byteLength(JSON.stringify(notices)) + RECORD_HEADER;
    const pending = this.spool.pendingBytes;
    if (pending > 0 && pending + bytes > this.opts.maxQueueBytes) {
      this.dropped += notices.length;
      this.metrics?.dropped.inc(labels, notices.length);
      this.opts.log.error(
        { receiver: this.opts.name, notices: notices.map((n) => n.id), pendingBytes: pending },
        "outbox full: notices dropped",
      );
      return false;
    }
    await this.spool.append(notices);
    this.metrics?.enqueued.inc(labels, notices.length);
    this.metrics?.queueBytes.set(labels, this.spool.pendingBytes);
    return true;
  }

  /** Starts delivering in the background. */
  start(): void {
    if (this.loop) return;
    this.stopping = new AbortController();
    this.loop = this.run(this.stopping.signal).catch((e) => {
      this.opts.log.error({ err: e, receiver: this.opts.name }, "outbox delivery loop failed");
    });
  }

  /** Stops delivering (an attempt in flight is abandoned and will be re-sent) and closes the outbox. */
  async stop(): Promise<void> {
    this.stopping?.abort();
    await this.loop;
    this.loop = undefined;
    this.spool.close();
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const batch = await this.next(signal);
      if (!batch) return;
      for (const notice of batch.events) {
        if (!(await this.deliver(notice, signal))) return;
      }
      this.spool.ack(batch.end);
      this.metrics?.queueBytes.set({ receiver: this.opts.name }, this.spool.pendingBytes);
    }
  }

  /** The next record; waits for one. A per-wait signal keeps listeners off the long-lived one. */
  private async next(signal: AbortSignal) {
    const wait = new AbortController();
    const onAbort = () => wait.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.spool.read(1, wait.signal);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Sends one notice until it is accepted or dead-lettered (true), or the outbox stops (false). */
  private async deliver(notice: AlertNotice, signal: AbortSignal): Promise<boolean> {
    const labels = { receiver: this.opts.name };
    if (!this.opts.notifier.actions.has(notice.action)) return true;
    for (let attempt = 1; ; attempt++) {
      const wait = this.bucket.reserve();
      if (wait > 0 && !(await pause(wait, signal))) return false;
      const started = performance.now();
      let result: DeliveryResult;
      try {
        result = await this.opts.notifier.send(notice, signal);
      } catch (e) {
        result = { ok: false, retryable: true, reason: (e as Error).message };
      }
      this.metrics?.seconds.observe(labels, (performance.now() - started) / 1000);
      if (signal.aborted) return false;
      if (result.ok) {
        this.delivered += 1;
        this.metrics?.delivered.inc(labels);
        if (this.outage)
          this.opts.log.info({ receiver: this.opts.name, attempts: attempt }, "receiver reachable again");
        this.outage = false;
        return true;
      }
      this.failures += 1;
      this.metrics?.failures.inc({ ...labels, retryable: String(result.retryable) });
      if (!result.retryable) {
        this.deadLetter(notice, result.reason);
        return true;
      }
      // The receiver's Retry-After wins over our own backoff (up to an hour).
      const delay = Math.max(
        backoffDelay(attempt, this.opts.initialBackoffMs, this.opts.maxBackoffMs, this.opts.random),
        Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS),
      );
      if (!this.outage) {
        this.opts.log.warn(
          { receiver: this.opts.name, reason: result.reason, pendingBytes: this.spool.pendingBytes },
          "receiver unavailable: notices wait in the outbox",
        );
      }
      this.outage = true;
      if (!(await pause(delay, signal))) return false;
    }
  }

  private deadLetter(notice: AlertNotice, reason: string): void {
    this.deadLettered += 1;
    this.metrics?.deadLetters.inc({ receiver: this.opts.name });
    this.opts.log.error(
      { receiver: this.opts.name, notice: notice.id, reason },
      "receiver rejected a notice: dead-lettered",
    );
    appendFileSync(
      join(this.opts.dir, "dead-letters.jsonl"),
      `${JSON.stringify({ at: new Date().toISOString(), reason, notice })}\n`,
    );
  }
}

/** Sleeps unless stopped; false when stopped. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
