// The host agent (`mailwarden collect`): sources → parsers → disk spool →
// Kafka, plus heartbeats. A source's offset is committed only after its events
// are in the spool (fsync'ed), and an event leaves the spool only after Kafka
// acknowledged it, so a crash anywhere re-sends (same ids) and loses nothing.
import { hostname } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Kafka } from "kafkajs";
import { type CollectorConfig, type SourceConfig, ssOptions } from "../../config/roles.js";
import type { MailEvent } from "../../events/event.js";
import { topicsFor } from "../../events/topics.js";
import type { Logger } from "../../telemetry/log.js";
import { createLineParser, type LineParser } from "../pipeline/line-parser.js";
import { DEFAULT_SHIPPER, KafkaShipper } from "../sinks/kafka.js";
import { FileSource } from "../sources/file.js";
import { JournaldSource } from "../sources/journald.js";
import { SocketPoller } from "../sources/socket-poller.js";
import { StdinSource } from "../sources/stdin.js";
import type { Source } from "../sources/types.js";
import { Spool } from "../spool/spool.js";
import { heartbeatEvent } from "./heartbeat.js";

export interface AgentDeps {
  kafka: Kafka;
  log: Logger;
  now?: () => Date;
  stdin?: Readable;
  /** Test hook: shorter polling. */
  pollMs?: number;
}

interface Pipe {
  source: Source;
  parser: LineParser;
}

export class Agent {
  readonly host: string;
  private readonly spool: Spool;
  private readonly shipper: KafkaShipper;
  private readonly pipes: Pipe[];
  private readonly now: () => Date;
  private heartbeatSeq = 0;

  constructor(
    private readonly cfg: CollectorConfig,
    private readonly deps: AgentDeps,
  ) {
    this.host = cfg.host ?? hostname();
    this.now = deps.now ?? (() => new Date());
    this.spool = new Spool({ dir: join(cfg.stateDir, "spool"), maxBytes: cfg.spool.maxBytes });
    if (this.spool.tornRecords > 0) {
      deps.log.warn({ records: this.spool.tornRecords }, "spool: dropped a record cut short by a crash");
    }
    this.shipper = new KafkaShipper(
      deps.kafka,
      this.spool,
      deps.log,
      topicsFor(cfg.kafka.topicPrefix),
      DEFAULT_SHIPPER,
    );
    this.pipes = cfg.sources.map((s) => ({
      source: this.buildSource(s),
      parser: createLineParser({
        source: s.type === "ss" ? "ss" : s.parser,
        host: this.host,
        now: this.now,
        parserOptions: s.type === "ss" ? { ss: ssOptions(s) } : (s.parserOptions ?? {}),
      }),
    }));
  }

  private buildSource(s: SourceConfig): Source {
    const onEvent = (what: string, detail: string) => this.deps.log.info({ source: detail }, `file ${what}`);
    switch (s.type) {
      case "file":
        return new FileSource({
          path: s.path,
          startAt: s.startAt,
          stateDir: this.cfg.stateDir,
          onEvent,
          ...(this.deps.pollMs ? { pollMs: this.deps.pollMs } : {}),
        });
      case "journald":
        return new JournaldSource({ matches: s.matches, stateDir: this.cfg.stateDir });
      case "stdin":
        return new StdinSource(this.deps.stdin);
      case "ss":
        return new SocketPoller({
          intervalMs: Math.round(s.intervalSeconds * 1000),
          ssPath: s.ssPath,
          closeEvents: s.closeEvents,
          now: this.now,
          onError: (m) => this.deps.log.warn({ source: "ss" }, m),
        });
    }
  }

  /** Runs until `signal` aborts or every source has ended (stdin EOF); then flushes. */
  async run(signal: AbortSignal): Promise<void> {
    const stopShipping = new AbortController();
    const onAbort = () => stopShipping.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const shipping = this.shipper.run(stopShipping.signal);
    // One at start: a restarted agent is alive to the detector at once, not an interval later.
    await this.spool.append([this.heartbeat()]);
    const heartbeat = setInterval(() => {
      this.spool.append([this.heartbeat()]).catch((e) => this.deps.log.error({ err: e }, "heartbeat"));
    }, this.cfg.heartbeatSeconds * 1000);
    try {
      await Promise.all(this.pipes.map((p) => this.pump(p, signal)));
    } finally {
      clearInterval(heartbeat);
      await this.spool.append([this.heartbeat()]);
      stopShipping.abort();
      await shipping;
      await this.shipper.drain(5000);
      await this.shipper.disconnect();
      this.spool.close();
      signal.removeEventListener("abort", onAbort);
    }
  }

  private async pump({ source, parser }: Pipe, signal: AbortSignal): Promise<void> {
    for await (const batch of source.batches(signal)) {
      const events: MailEvent[] = [];
      for (const line of batch.lines) for (const e of parser.parseLine(line.text, line.position)) events.push(e);
      await this.spool.append(events);
      batch.commit();
    }
    // Joins still open (a search without its result yet) would be lost with
    // the process: their lines are committed already.
    const pending = parser.flush();
    if (pending.length > 0) await this.spool.append(pending);
  }

  /** Counters for the heartbeat and the `collect` summary. */
  counters(): Record<string, number> {
    const c: Record<string, number> = {
      lines_read: 0,
      events: 0,
      events_sent: this.shipper.sent,
      spool_bytes: this.spool.pendingBytes,
      source_lag_bytes: 0,
    };
    for (const { source, parser } of this.pipes) {
      const s = parser.stats();
      c.lines_read = (c.lines_read ?? 0) + s.read;
      c.events = (c.events ?? 0) + s.events;
      c.source_lag_bytes = (c.source_lag_bytes ?? 0) + source.lag();
      for (const [reason, n] of Object.entries(s.skipped)) c[`skipped_${reason}`] = (c[`skipped_${reason}`] ?? 0) + n;
    }
    return c;
  }

  private heartbeat(): MailEvent {
    this.heartbeatSeq += 1;
    return heartbeatEvent(this.host, this.now().toISOString(), this.heartbeatSeq, {
      ...this.counters(),
      interval_s: this.cfg.heartbeatSeconds,
    });
  }
}
