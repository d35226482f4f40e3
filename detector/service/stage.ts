// One consuming stage of the detector: a consumer group over some topics, a
// handler whose outputs are durable when it resolves, and state that is
// checkpointed together with the offsets it reflects. On start the checkpoint
// is restored and every assigned partition is sought to the checkpointed
// offset, so after a kill -9 the stage resumes from a consistent (state,
// offsets) pair: nothing lost, and what is re-read was not yet in the state.
// Offsets are committed to Kafka only after the checkpoint is written.
import {
  type Admin,
  CompressionTypes,
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type Producer,
  type TopicMessages,
} from "kafkajs";
import { CheckpointStore } from "../../collectors/sources/checkpoint.js";
import type { Logger } from "../../telemetry/log.js";

/** Sends to several topics at once, acknowledged by all in-sync replicas. */
export type SendBatch = (topicMessages: TopicMessages[]) => Promise<void>;

/**
 * One producer shared by the stages, its sends strictly one after another:
 * kafkajs's idempotent producer assigns sequence numbers per send, and
 * concurrent sends to one partition can reach the broker out of order.
 */
export function serialSender(producer: Producer): SendBatch {
  let chain: Promise<unknown> = Promise.resolve();
  return (topicMessages) => {
    const next = chain.then(async () => {
      for (const chunk of chunked(topicMessages)) {
        await producer.sendBatch({ acks: -1, compression: CompressionTypes.GZIP, topicMessages: chunk });
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
}

/** Requests of at most this many records, so no record batch nears the broker's message.max.bytes (1 MB). */
const MAX_RECORDS_PER_SEND = 1000;

function* chunked(topicMessages: TopicMessages[]): Generator<TopicMessages[]> {
  let chunk: TopicMessages[] = [];
  let n = 0;
  for (const { topic, messages } of topicMessages) {
    let i = 0;
    while (i < messages.length) {
      const take = Math.min(MAX_RECORDS_PER_SEND - n, messages.length - i);
      chunk.push({ topic, messages: messages.slice(i, i + take) });
      i += take;
      n += take;
      if (n >= MAX_RECORDS_PER_SEND) {
        yield chunk;
        chunk = [];
        n = 0;
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

export interface StageMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export interface StageHandler {
  /** Processes messages in partition order; its outputs are durable when it resolves. */
  handle(messages: StageMessage[]): Promise<void>;
  /** Makes pending outputs durable (called before a checkpoint). */
  flush(): Promise<void>;
  /** Called while the input is idle (live mode, end of a replay), with how long it has been. */
  idle?(idleForMs: number): Promise<void>;
  /** The input lanes (topic/partition) this instance reads now (after a join or rebalance). */
  assigned?(lanes: string[]): Promise<void>;
  /** Some input lanes (topic/partition) delivered nothing for an idle period. */
  lanesIdle?(lanes: string[]): Promise<void>;
  snapshot(): unknown;
  restore(state: unknown): void;
}

export interface StageOptions {
  name: string;
  kafka: Kafka;
  groupId: string;
  topics: string[];
  stateDir: string;
  checkpointMs: number;
  idleMs: number;
  log: Logger;
  handler: StageHandler;
  /**
   * Where a stage without a checkpoint begins: every record still in the
   * topics (a new deployment must not lose what the agents already sent), or
   * only what arrives from now on (a demo sharing a broker with earlier runs).
   */
  startAt: "earliest" | "latest";
}

interface Checkpoint {
  offsets: Record<string, string>;
  state: unknown;
  at: string;
}

export class Stage {
  private readonly consumer: Consumer;
  private readonly checkpoints: CheckpointStore<Checkpoint>;
  /** Next offset to read per "topic:partition", for what the handler has processed. */
  private offsets: Record<string, string> = {};
  private lastCheckpoint = Date.now();
  private lastMessage = Date.now();
  /** Wall time of the last batch per lane ("topic/partition"). */
  private readonly laneSeen = new Map<string, number>();
  /**
   * Lanes read to their end. Only these can be quiet: a lane with a backlog
   * delivers nothing while the stage is busy with the others, and retiring it
   * would make its events late (findings would depend on timing).
   */
  private readonly caughtUp = new Set<string>();
  private assignedLanes = new Set<string>();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Serializes batch handling, idle flushes and checkpoints. */
  private lock: Promise<void> = Promise.resolve();
  private stopped = false;
  /** A quietness check (it asks the broker for the partitions' ends) is under way. */
  private checking = false;
  private readonly admin: Admin;
  private adminConnected: Promise<void> | undefined;
  /** The consumer has joined its group and holds an assignment. */
  joined = false;
  processed = 0;

  get name(): string {
    return this.opts.name;
  }

  constructor(private readonly opts: StageOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.checkpoints = new CheckpointStore(opts.stateDir, opts.name);
    this.admin = opts.kafka.admin();
  }

  async start(): Promise<void> {
    const saved = this.checkpoints.load();
    if (saved) {
      this.opts.handler.restore(saved.state);
      this.offsets = { ...saved.offsets };
      this.opts.log.info({ stage: this.opts.name, at: saved.at }, "restored checkpoint");
    } else {
      // A first checkpoint at the starting offsets, so a failure before the
      // next one has a consistent point to return to.
      this.offsets = await this.topicOffsets(this.opts.startAt === "latest" ? "high" : "low");
      this.checkpoints.save({
        offsets: this.offsets,
        state: this.opts.handler.snapshot(),
        at: new Date().toISOString(),
      });
    }
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const lanes: string[] = [];
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const offset = this.offsets[`${topic}:${partition}`];
          if (offset !== undefined) this.consumer.seek({ topic, partition, offset });
          lanes.push(`${topic}/${partition}`);
        }
      }
      // Lanes another instance reads now are neither quiet nor caught up here.
      for (const lane of [...this.laneSeen.keys()]) if (!lanes.includes(lane)) this.laneSeen.delete(lane);
      for (const lane of [...this.caughtUp]) if (!lanes.includes(lane)) this.caughtUp.delete(lane);
      // An assigned lane that never delivers is retired as quiet after the idle period.
      this.assignedLanes = new Set(lanes);
      for (const lane of lanes) if (!this.laneSeen.has(lane)) this.laneSeen.set(lane, Date.now());
      // Before any batch of this assignment (the lock is first come, first served).
      this.runLocked(async () => this.opts.handler.assigned?.(lanes));
      this.markEmptyLanes(lanes).catch((e) => this.opts.log.warn({ err: e, stage: this.opts.name }, "offsets"));
      this.joined = true;
    });
    for (const left of [this.consumer.events.REBALANCING, this.consumer.events.CRASH, this.consumer.events.STOP]) {
      this.consumer.on(left, () => {
        this.joined = false;
      });
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        await this.locked(async () => {
          this.lastMessage = Date.now();
          const lane = `${batch.topic}/${batch.partition}`;
          this.laneSeen.set(lane, this.lastMessage);
          const end = BigInt(batch.lastOffset()) + 1n;
          if (end >= BigInt(batch.highWatermark)) this.caughtUp.add(lane);
          else this.caughtUp.delete(lane);
          try {
            await this.opts.handler.handle(
              batch.messages.map((message) => ({ topic: batch.topic, partition: batch.partition, message })),
            );
          } catch (e) {
            await this.recover(e);
            return;
          }
          const last = batch.messages.at(-1) as KafkaMessage;
          this.offsets[`${batch.topic}:${batch.partition}`] = (BigInt(last.offset) + 1n).toString();
          this.processed += batch.messages.length;
          if (Date.now() - this.lastCheckpoint >= this.opts.checkpointMs) await this.checkpoint();
        });
        resolveOffset(batch.messages.at(-1)?.offset as string);
        await heartbeat();
      },
    });
    this.idleTimer = setInterval(() => this.onTimer(), Math.max(250, Math.min(this.opts.idleMs, 1000)));
  }

  /** Quiet lanes stop holding the watermark back; a quiet input releases its buffered work. */
  private onTimer(): void {
    if (this.checking) return;
    const now = Date.now();
    // Idle means the input ended, not that the fetch stalled (a busy broker): only with every lane read to its end.
    const ended = [...this.assignedLanes].every((lane) => this.caughtUp.has(lane));
    const idle = now - this.lastMessage >= this.opts.idleMs && ended;
    const quiet = idle
      ? [...this.assignedLanes]
      : [...this.laneSeen]
          .filter(([lane, at]) => now - at >= this.opts.idleMs && this.caughtUp.has(lane))
          .map(([lane]) => lane);
    if (quiet.length === 0) return;
    this.checking = true;
    // The broker is asked outside the lock: batches go on meanwhile, and a lane that delivers is no longer quiet.
    this.atEnd(quiet)
      .then((atEnd) =>
        this.runLocked(async () => {
          // A lane that delivered meanwhile is not quiet; one that did not and is behind is not caught up.
          const unchanged = (lane: string) => (this.laneSeen.get(lane) ?? now) <= now;
          const still = atEnd.filter(unchanged);
          for (const lane of quiet) if (!atEnd.includes(lane) && unchanged(lane)) this.caughtUp.delete(lane);
          if (idle) {
            if (this.lastMessage <= now && still.length === quiet.length)
              await this.opts.handler.idle?.(now - this.lastMessage);
          } else if (still.length > 0) {
            for (const lane of still) this.laneSeen.delete(lane);
            await this.opts.handler.lanesIdle?.(still);
          }
        }),
      )
      .catch((e) => this.opts.log.warn({ err: e, stage: this.opts.name }, "quiet lanes check failed"))
      .finally(() => {
        this.checking = false;
      });
  }

  /** Handler work outside a batch: serialized with batches; a failure resumes from the last checkpoint. */
  private runLocked(fn: () => Promise<void>): Promise<void> {
    return this.locked(async () => {
      try {
        await fn();
      } catch (e) {
        await this.recover(e);
        return;
      }
      if (Date.now() - this.lastCheckpoint >= this.opts.checkpointMs) await this.checkpoint();
    }).catch((e) => this.opts.log.error({ err: e, stage: this.opts.name }, "checkpoint failed"));
  }

  /**
   * A failed handler may have advanced the state without its outputs being
   * durable: go back to the last checkpoint (state and offsets together) and
   * read again from there. Re-sent outputs are idempotent downstream.
   */
  private async recover(err: unknown): Promise<void> {
    this.opts.log.warn({ err, stage: this.opts.name }, "stage failed, resuming from its last checkpoint");
    const saved = this.checkpoints.load() as Checkpoint;
    this.opts.handler.restore(saved.state);
    this.offsets = { ...saved.offsets };
    for (const [tp, offset] of Object.entries(this.offsets)) {
      const i = tp.lastIndexOf(":");
      this.consumer.seek({ topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)), offset });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }

  /** Assigned lanes with nothing to read from where this stage resumes are caught up from the start. */
  private async markEmptyLanes(lanes: string[]): Promise<void> {
    for (const lane of await this.atEnd(lanes)) this.caughtUp.add(lane);
  }

  /**
   * The lanes whose position has reached their partition's end now. "Read to
   * its end" at a lane's last batch goes stale while the stage is busy with
   * other lanes: new records may wait in the fetch that it has not handled
   * yet, and retiring that lane would make them late.
   */
  private async atEnd(lanes: string[]): Promise<string[]> {
    const ends = await this.topicOffsets("high");
    return lanes.filter((lane) => {
      const tp = lane.replace(/\/(\d+)$/, ":$1");
      return BigInt(this.offsets[tp] ?? "0") >= BigInt(ends[tp] ?? "0");
    });
  }

  private async topicOffsets(end: "low" | "high"): Promise<Record<string, string>> {
    // One admin connection for the stage's life: it is asked every second while lanes are quiet.
    this.adminConnected ??= this.admin.connect().catch((e: unknown) => {
      // Asked again at the next check (the broker may be back by then).
      this.adminConnected = undefined;
      throw e;
    });
    await this.adminConnected;
    const out: Record<string, string> = {};
    for (const topic of this.opts.topics) {
      for (const p of await this.admin.fetchTopicOffsets(topic)) out[`${topic}:${p.partition}`] = p[end];
    }
    return out;
  }

  private locked(fn: () => Promise<void>): Promise<void> {
    const next = this.lock.then(fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  /** Durable outputs first, then state + offsets, then the Kafka commit. */
  private async checkpoint(): Promise<void> {
    await this.opts.handler.flush();
    this.checkpoints.save({ offsets: this.offsets, state: this.opts.handler.snapshot(), at: new Date().toISOString() });
    this.lastCheckpoint = Date.now();
    // Only the partitions this member owns: another member's progress is its own to commit.
    const commits = Object.entries(this.offsets)
      .map(([tp, offset]) => {
        const i = tp.lastIndexOf(":");
        return { topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)), offset };
      })
      .filter((c) => this.assignedLanes.has(`${c.topic}/${c.partition}`));
    if (commits.length > 0) await this.consumer.commitOffsets(commits).catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.idleTimer);
    await this.consumer.stop().catch(() => undefined);
    await this.locked(() => this.checkpoint()).catch((e) =>
      this.opts.log.error({ err: e, stage: this.opts.name }, "final checkpoint failed"),
    );
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}
