// A detection stage: decoded events → the engine (the detections of some
// state keys) → findings to the findings topic. The first stage reads the
// collectors' topics (keyed by account, host or sender) and re-keys released,
// enriched auth events onto the repartition topics; the second reads those
// and runs the detections keyed by source network and mail domain.
import type { Message } from "kafkajs";
import type { MailEvent } from "../../events/event.js";
import type { Topics } from "../../events/topics.js";
import type { StateKey } from "../core/detection.js";
import { DetectorEngine, type EngineOptions, type EngineSnapshot } from "../core/engine.js";
import type { Finding } from "../core/finding.js";
import type { NetworkInfo } from "../core/networks.js";
import { domainOf } from "../detections/auth/signals.js";
import { decodeEvents } from "./records.js";
import type { SendBatch, StageHandler, StageMessage } from "./stage.js";

export interface DetectionStageOptions {
  engine: Omit<EngineOptions, "keys" | "onRelease">;
  keys: StateKey[];
  /** Re-key auth events for the source/domain stage (first stage only). */
  repartition: boolean;
  networks: NetworkInfo;
  topics: Topics;
  /** The stage's idle period (see idle()). */
  idleMs: number;
  send: SendBatch;
  onFindings?: (n: number) => void;
  onDeadLetters?: (n: number) => void;
}

export function findingMessage(f: Finding): Message {
  return { key: "findings", value: JSON.stringify(f) };
}

export class DetectionStage implements StageHandler {
  readonly engine: DetectorEngine;
  private repartitioned: { topic: string; messages: Message[] }[] = [];
  /** Events re-keyed for the next stage (each may go to several topics). */
  rekeyed = 0;

  constructor(private readonly opts: DetectionStageOptions) {
    this.engine = new DetectorEngine({
      ...opts.engine,
      keys: opts.keys,
      ...(opts.repartition ? { onRelease: (e: MailEvent) => this.rekey(e) } : {}),
    });
  }

  private rekey(e: MailEvent): void {
    if (e.kind !== "auth") return;
    const value = JSON.stringify(e);
    if (e.src_ip) this.push(this.opts.topics.repartition.source, this.opts.networks.network(e.src_ip), value);
    if (e.user) this.push(this.opts.topics.repartition.domain, domainOf(e.user.toLowerCase()), value);
  }

  private push(topic: string, key: string, value: string): void {
    let t = this.repartitioned.find((x) => x.topic === topic);
    if (!t) {
      t = { topic, messages: [] };
      this.repartitioned.push(t);
    }
    t.messages.push({ key, value });
    this.rekeyed += 1;
  }

  async handle(messages: StageMessage[]): Promise<void> {
    const { events, deadLetters } = decodeEvents(messages, this.opts.topics.deadletter);
    const findings: Finding[] = [];
    for (const { event, lane } of events) for (const f of this.engine.ingest(event, lane)) findings.push(f);
    await this.send(findings, deadLetters.messages.length ? [deadLetters] : []);
    this.opts.onDeadLetters?.(deadLetters.messages.length);
  }

  async lanesIdle(lanes: string[]): Promise<void> {
    await this.send(this.engine.retireLanes(lanes), []);
  }

  /**
   * Input idle: first release what every lane has delivered (a pause of the
   * producer must not let a fast lane's events overtake a slow one's); once
   * the idle lasts three periods, the input has ended: release everything.
   */
  async idle(idleForMs: number): Promise<void> {
    const long = idleForMs >= 3 * this.opts.idleMs;
    await this.send(long ? this.engine.flush() : this.engine.releaseDelivered(), []);
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

  snapshot(): unknown {
    return this.engine.snapshot();
  }

  restore(state: unknown): void {
    this.engine.restore(state as EngineSnapshot);
  }
}
