// Ships spooled events to Kafka, oldest first: one topic per event kind, keyed
// per DESIGN §4, acks from all in-sync replicas, gzip, idempotent producer.
// An event leaves the spool only after the broker has acknowledged it; while
// the broker is down the shipper backs off and retries forever (the spool
// absorbs the outage), so a crash at any point re-sends, never loses.
import { setTimeout as sleep } from "node:timers/promises";
import { CompressionTypes, type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import type { MailEvent } from "../../events/event.js";
import { partitionKey, type Topics, topicsFor } from "../../events/topics.js";
import type { Logger } from "../../telemetry/log.js";
import type { Spool } from "../spool/spool.js";

export interface ShipperOptions {
  maxBatchEvents: number;
  /** Wait this long for more events before sending a small batch. */
  lingerMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_SHIPPER: ShipperOptions = { maxBatchEvents: 5000, lingerMs: 50, maxBackoffMs: 10_000 };

export function toTopicMessages(events: MailEvent[], topics: Topics): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const e of events) {
    const topic = topics.events[e.kind];
    const list = byTopic.get(topic) ?? [];
    if (list.length === 0) byTopic.set(topic, list);
    list.push({ key: partitionKey(e), value: JSON.stringify(e) });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** The producer settings every event producer uses (agent and replay): ordered, idempotent. */
export function createEventProducer(kafka: Kafka): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

export async function sendEvents(producer: Producer, events: MailEvent[], topics: Topics): Promise<void> {
  await producer.sendBatch({
    acks: -1,
    compression: CompressionTypes.GZIP,
    topicMessages: toTopicMessages(events, topics),
  });
}

export class KafkaShipper {
  private producer: Producer | undefined;
  private connected = false;
  sent = 0;
  failures = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly spool: Spool,
    private readonly log: Logger,
    private readonly topics: Topics = topicsFor(),
    private readonly opts: ShipperOptions = DEFAULT_SHIPPER,
  ) {}

  /** Ships until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let backoff = 250;
    let outage = false;
    while (!signal.aborted) {
      const first = await this.spool.read(1, signal);
      if (!first) break;
      if (this.spool.pendingBytes < 256 * 1024) await sleep(this.opts.lingerMs);
      try {
        await this.shipOnce();
        if (outage) this.log.info({ spoolBytes: this.spool.pendingBytes }, "kafka reachable again, draining the spool");
        outage = false;
        backoff = 250;
      } catch (e) {
        this.failures += 1;
        if (!outage) {
          this.log.warn(
            { err: (e as Error).message, spoolBytes: this.spool.pendingBytes },
            "kafka unreachable, spooling to disk",
          );
        }
        outage = true;
        await this.disconnect();
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
      }
    }
  }

  /**
   * On shutdown: sends what the spool holds, stopping at the first failure or
   * once `deadlineMs` has passed (each attempt is bounded by the producer's
   * short retry policy). Whatever is left stays spooled for the next start.
   */
  async drain(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    try {
      while (!this.spool.isEmpty && Date.now() < until) await this.shipOnce();
    } catch (e) {
      this.log.warn({ err: (e as Error).message, spoolBytes: this.spool.pendingBytes }, "left events spooled at exit");
    }
  }

  private async shipOnce(): Promise<void> {
    const batch = await this.spool.read(this.opts.maxBatchEvents);
    if (!batch || batch.events.length === 0) return;
    await sendEvents(await this.connect(), batch.events, this.topics);
    this.spool.ack(batch.end);
    this.sent += batch.events.length;
  }

  private async connect(): Promise<Producer> {
    if (this.producer && this.connected) return this.producer;
    this.producer = createEventProducer(this.kafka);
    await this.producer.connect();
    this.connected = true;
    return this.producer;
  }

  async disconnect(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    this.connected = false;
    await p?.disconnect().catch(() => undefined);
  }
}
