// A detection stage: decoded events → the engine (the detections of some
// state keys) → findings to the findings topic. The first stage reads the
// collectors' topics (keyed by account, host or sender) and re-keys released,
// enriched auth events onto the repartition topics; the second reads those
// and runs the detections keyed by source network and mail domain.
//
// The repartition protocol between the stages (writer ids, re-sends, when a
// writer's input has ended) is in repartition.ts.
import { randomBytes } from "node:crypto";
import type { Message } from "kafkajs";
import type { MailEvent } from "../../events/event.js";
import type { Topics } from "../../events/topics.js";
import type { StateKey } from "../core/detection.js";
import { DetectorEngine, type EngineOptions, type EngineSnapshot } from "../core/engine.js";
import type { Finding } from "../core/finding.js";
import type { NetworkInfo } from "../core/networks.js";
import { domainOf } from "../detections/auth/signals.js";
import { repartitionCopies } from "./engines.js";
import { decodeEvents } from "./records.js";
import { controlMessages, controlOf, eventHeaders, type ReaderSnapshot, RepartitionReader } from "./repartition.js";
import type { SendBatch, StageHandler, StageMessage } from "./stage.js";

export interface DetectionStageOptions {
  engine: Omit<EngineOptions, "keys" | "onRelease">;
  keys: StateKey[];
  /** Re-key auth events for the source/domain stage (first stage only). */
  repartition: boolean;
  networks: NetworkInfo;
  topics: Topics;
  /** Partitions of the repartition topics (a writer's control records go to each). */
  partitions: number;
  /** The stage's idle period (see idle()). */
  idleMs: number;
  send: SendBatch;
  onFindings?: (n: number) => void;
  onDeadLetters?: (n: number) => void;
}

export function findingMessage(f: Finding): Message {
  return { key: "findings", value: JSON.stringify(f) };
}

interface StageSnapshot {
  engine: EngineSnapshot;
  writer: string;
  reader: ReaderSnapshot;
}

export class DetectionStage implements StageHandler {
  readonly engine: DetectorEngine;
  private repartitioned: { topic: string; messages: Message[] }[] = [];
  /** Records written for the next stage: events re-keyed (each may go to several topics) and control records. */
  rekeyed = 0;
  /** Re-sent repartitioned events dropped (a writer resumed from its checkpoint). */
  resent = 0;
  /** This instance as a writer of the repartition topics; kept across restarts by the checkpoint. */
  private writer = randomBytes(6).toString("hex");
  /** The frontier this writer last said it was done at (not checkpointed: a restart says it again). */
  private doneAt: number | undefined;
  private readonly reader = new RepartitionReader();

  constructor(private readonly opts: DetectionStageOptions) {
    this.engine = new DetectorEngine({
      ...opts.engine,
      keys: opts.keys,
      ...(opts.repartition ? { onRelease: (e: MailEvent, late: boolean) => this.rekey(e, late) } : {}),
    });
  }

  /**
   * Source-keyed detections count per address, /24 and ASN, so the source
   * key is the origin (the ASN when known, else the network): every address
   * of one ASN meets on one partition.
   */
  private rekey(e: MailEvent, late: boolean): void {
    const copies = repartitionCopies(e);
    if (copies.length === 0) return;
    const value = JSON.stringify(e);
    const headers = eventHeaders(this.writer, late);
    for (const { key, entity } of copies) {
      const partitionKey = key === "source" ? this.opts.networks.origin(entity) : domainOf(entity.toLowerCase());
      this.push(this.opts.topics.repartition[key], partitionKey, value, headers);
    }
  }

  /**
   * An auth event is re-keyed once per key (source, domain): each copy is for
   * the detections of its key only, or they would count it twice.
   */
  private keyOf(lane: string): StateKey | undefined {
    const { source, domain } = this.opts.topics.repartition;
    if (lane.startsWith(`${source}/`)) return "source";
    if (lane.startsWith(`${domain}/`)) return "domain";
    return undefined;
  }

  private push(topic: string, key: string, value: string, headers: Message["headers"]): void {
    let t = this.repartitioned.find((x) => x.topic === topic);
    if (!t) {
      t = { topic, messages: [] };
      this.repartitioned.push(t);
    }
    t.messages.push({ key, value, headers });
    this.rekeyed += 1;
  }

  async handle(messages: StageMessage[]): Promise<void> {
    const findings: Finding[] = [];
    const dead: Message[] = [];
    // Control records take effect in partition order between the events around them.
    let run: StageMessage[] = [];
    const ingestRun = () => {
      const { events, deadLetters } = decodeEvents(run, this.opts.topics.deadletter);
      run = [];
      dead.push(...deadLetters.messages);
      for (const { event, lane, headers } of events) {
        const sub = this.reader.laneOf(event, lane, headers);
        if (sub === undefined) this.resent += 1;
        else for (const f of this.engine.ingest(event, sub, this.keyOf(lane))) findings.push(f);
      }
    };
    for (const m of messages) {
      const c = controlOf(`${m.topic}/${m.partition}`, m.message.headers);
      if (!c) {
        run.push(m);
        continue;
      }
      ingestRun();
      this.reader.control(c);
      const t = "done" in c ? c.done : Number.NEGATIVE_INFINITY;
      for (const f of this.engine.markLane(c.lane, t)) findings.push(f);
    }
    ingestRun();
    await this.send(findings, dead.length ? [{ topic: this.opts.topics.deadletter, messages: dead }] : []);
    this.opts.onDeadLetters?.(dead.length);
  }

  async assigned(lanes: string[]): Promise<void> {
    this.reader.keep(lanes);
    // A writer holds the second stage back from the moment it has input, before its first event.
    const hello = this.opts.repartition ? this.control({ hello: true }) : [];
    await this.send(this.engine.assignLanes(lanes), hello);
  }

  private control(ctl: { hello: true } | { done: number }) {
    const topics = Object.values(this.opts.topics.repartition);
    this.rekeyed += topics.length * this.opts.partitions;
    return controlMessages(topics, this.opts.partitions, this.writer, ctl);
  }

  /** Quiet partitions retire, and with them the lanes of the writers that said they are done. */
  async lanesIdle(lanes: string[]): Promise<void> {
    await this.send(this.engine.retireLanes([...lanes, ...this.reader.doneLanes(lanes)]), []);
  }

  /**
   * Input idle: first release what every lane has delivered (a pause of the
   * producer must not let a fast lane's events overtake a slow one's); once
   * the idle lasts three periods, the input has ended: release everything.
   */
  async idle(idleForMs: number): Promise<void> {
    // The second stage's input has ended only when every writer said so.
    if (!this.reader.allDone) return;
    const long = idleForMs >= 3 * this.opts.idleMs;
    await this.send(long ? this.engine.flush() : this.engine.releaseDelivered(), []);
    const { buffered, watermark } = this.engine.stats();
    if (this.opts.repartition && buffered === 0 && watermark !== this.doneAt) {
      this.doneAt = watermark;
      await this.send([], this.control({ done: watermark }));
    }
  }

  private async send(findings: Finding[], extra: { topic: string; messages: Message[] }[]): Promise<void> {
    const topicMessages = [...extra, ...this.repartitioned.splice(0)];
    if (findings.length > 0)
      topicMessages.push({ topic: this.opts.topics.findings, messages: findings.map(findingMessage) });
    if (topicMessages.length === 0) return;
    await this.opts.send(topicMessages);
    this.opts.onFindings?.(findings.length);
  }

  async flush(): Promise<void> {
    // Outputs are sent (and acknowledged) inside handle/idle: nothing pending.
  }

  snapshot(): StageSnapshot {
    return { engine: this.engine.snapshot(), writer: this.writer, reader: this.reader.snapshot() };
  }

  restore(state: unknown): void {
    const s = state as StageSnapshot;
    this.engine.restore(s.engine);
    this.writer = s.writer;
    this.reader.restore(s.reader);
  }
}
