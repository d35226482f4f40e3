// The central service (`mailwarden detect`): the detection stages, the
// findings stage and the archiver, each a consumer group of its own, sharing
// one producer and the store. Every instance runs all of them; Kafka spreads
// the partitions over the instances of one deployment.
import type { Kafka, Producer } from "kafkajs";
import { Partitioners } from "kafkajs";
import type { DetectorConfig } from "../../config/roles.js";
import { topicsFor } from "../../events/topics.js";
import type { Logger } from "../../telemetry/log.js";
import { defaultTopicSpecs, ensureTopics } from "../../transport/kafka/topics.js";
import { createCorrelator } from "../correlator/correlator.js";
import { firstLine, type Store } from "../store/client.js";
import { alertsLedger } from "./alerts-ledger.js";
import { Archiver } from "./archiver.js";
import { DetectionStage } from "./detection-stage.js";
import { EVENT_KEYS, engineOptions, REPARTITION_KEYS } from "./engines.js";
import { FindingsStage, type FindingsStageOptions } from "./findings-stage.js";
import { configuredNetworks } from "./networks-config.js";
import { Stage, serialSender } from "./stage.js";

export interface DetectorDeps {
  kafka: Kafka;
  store: Store;
  log: Logger;
  notify?: FindingsStageOptions["notify"];
  accept?: FindingsStageOptions["accept"];
}

export interface DetectorStatus {
  /** Event time (ms) up to which events have been evaluated, per detection stage. */
  watermarks: { events: number; sources: number };
  /** Records consumed per stage. */
  processed: Record<string, number>;
  /** Events waiting in the detection stages' reorder buffers. */
  buffered: number;
  /** Auth events re-keyed by the first detection stage for the second. */
  rekeyed: number;
  /** Findings emitted by the detection stages, and received by the findings stage. */
  emitted: number;
  findings: number;
  alerts: number;
  archived: number;
  late: number;
}

export class DetectorService {
  private readonly producer: Producer;
  private readonly stages: Stage[] = [];
  private readonly detection: DetectionStage[] = [];
  private findingsStage: FindingsStage | undefined;
  private archiver: Archiver | undefined;

  constructor(
    private readonly cfg: DetectorConfig,
    private readonly deps: DetectorDeps,
  ) {
    // Not idempotent: kafkajs's idempotent producer was seen failing with
    // OUT_OF_ORDER_SEQUENCE_NUMBER on this traffic (large multi-topic batches).
    // A retried send may duplicate a record; findings are idempotent by id and
    // a stage that fails a send restarts from its checkpoint.
    this.producer = deps.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    const { cfg, deps } = this;
    const d = cfg.detector;
    const networks = configuredNetworks(d.networks);
    const topics = topicsFor(cfg.kafka.topicPrefix);
    const admin = deps.kafka.admin();
    await admin.connect();
    await ensureTopics(
      admin,
      defaultTopicSpecs(topics, {
        partitions: cfg.kafka.topics.partitions,
        replicationFactor: cfg.kafka.topics.replicationFactor,
        retentionMs: cfg.kafka.topics.retentionHours * 3_600_000,
      }),
    );
    await admin.disconnect();
    await this.producer.connect();
    const send = serialSender(this.producer);

    const engine = engineOptions(d, networks);
    const common = {
      kafka: deps.kafka,
      stateDir: d.stateDir,
      checkpointMs: d.checkpointSeconds * 1000,
      idleMs: d.idleFlushSeconds * 1000,
      startAt: d.startAt,
      log: deps.log,
    };
    const byAccount = new DetectionStage({
      engine,
      keys: EVENT_KEYS,
      repartition: true,
      networks,
      topics,
      partitions: cfg.kafka.topics.partitions,
      idleMs: d.idleFlushSeconds * 1000,
      send,
    });
    const bySource = new DetectionStage({
      engine,
      keys: REPARTITION_KEYS,
      repartition: false,
      networks,
      topics,
      partitions: cfg.kafka.topics.partitions,
      idleMs: d.idleFlushSeconds * 1000,
      send,
    });
    this.detection.push(byAccount, bySource);
    this.findingsStage = new FindingsStage({
      client: deps.store.client,
      send,
      correlator: createCorrelator(d.correlator, { networks }),
      alertsTopic: topics.alerts,
      ledger: alertsLedger(deps.kafka, topics.alerts, d.groupId),
      ...(deps.accept ? { accept: deps.accept } : {}),
      ...(deps.notify ? { notify: deps.notify } : {}),
    });
    this.archiver = new Archiver(deps.store.client, cfg.store.batch);
    const eventTopics = Object.values(topics.events);
    this.stages.push(
      new Stage({
        ...common,
        name: "detect-events",
        groupId: `${d.groupId}.events`,
        topics: eventTopics,
        handler: byAccount,
      }),
      new Stage({
        ...common,
        name: "detect-sources",
        groupId: `${d.groupId}.sources`,
        topics: Object.values(topics.repartition),
        handler: bySource,
      }),
      new Stage({
        ...common,
        name: "findings",
        groupId: `${d.groupId}.findings`,
        topics: [topics.findings],
        handler: this.findingsStage,
      }),
      new Stage({
        ...common,
        name: "archive",
        groupId: `${d.groupId}.archive`,
        topics: eventTopics,
        handler: this.archiver,
      }),
    );
    for (const s of this.stages) await s.start();
  }

  status(): DetectorStatus {
    const [a, b] = this.detection.map((s) => s.engine.stats());
    return {
      watermarks: {
        events: a?.watermark ?? Number.NEGATIVE_INFINITY,
        sources: b?.watermark ?? Number.NEGATIVE_INFINITY,
      },
      processed: Object.fromEntries(this.stages.map((s) => [s.name, s.processed])),
      buffered: (a?.buffered ?? 0) + (b?.buffered ?? 0),
      rekeyed: this.detection[0]?.rekeyed ?? 0,
      emitted: (a?.findings ?? 0) + (b?.findings ?? 0),
      findings: this.findingsStage?.received ?? 0,
      alerts: this.findingsStage?.alerted ?? 0,
      archived: this.archiver?.archived ?? 0,
      late: (a?.late ?? 0) + (b?.late ?? 0),
    };
  }

  /**
   * Ready once every stage's consumer holds its group assignment and the
   * store answers a query; otherwise the reasons it is not.
   */
  async readiness(): Promise<{ ready: boolean; reasons?: string[] }> {
    const reasons = this.stages
      .filter((s) => !s.joined)
      .map((s) => `stage ${s.name} has not joined its consumer group`);
    if (this.stages.length === 0) reasons.push("the detector has not started");
    await this.deps.store.client
      .query({ query: "SELECT 1", format: "JSONEachRow" })
      .then((rs) => rs.json())
      .catch((e: unknown) => reasons.push(`store: ${firstLine(e)}`));
    return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
  }

  /**
   * True once `events` events have been archived and evaluated, everything
   * re-keyed has been evaluated by the second stage, and every finding has
   * reached the findings stage: what `eval` and the demo wait for.
   */
  drained(events: number): boolean {
    const s = this.status();
    return (
      s.archived >= events &&
      (s.processed["detect-events"] ?? 0) >= events &&
      s.buffered === 0 &&
      (s.processed["detect-sources"] ?? 0) >= s.rekeyed &&
      s.findings >= s.emitted
    );
  }

  async stop(): Promise<void> {
    for (const s of this.stages) await s.stop();
    await this.producer.disconnect().catch(() => undefined);
  }
}
