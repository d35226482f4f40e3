// The one place a kafkajs client is built, so every process gets the same
// logging, timeouts and retry behaviour.
import { Kafka, logLevel as kafkaLogLevel, type LogEntry, type RetryOptions } from "kafkajs";
import { pino } from "pino";

export type KafkaLogLevel = "nothing" | "error" | "warn" | "info" | "debug";

/** The subset of a pino logger that kafkajs logs are routed to (pino's `(obj, msg)` call shape). */
export interface KafkaLogSink {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface CreateKafkaOptions {
  brokers: string[];
  clientId: string;
  /** Default "error": kafkajs is chatty at info (every join, every connection). */
  logLevel?: KafkaLogLevel;
  /** Where kafkajs logs go; default a pino logger on stderr. */
  logger?: KafkaLogSink;
  /** Overrides of the retry policy below (tests shorten it). */
  retry?: RetryOptions;
}

/** Default brokers of the local broker started by deploy/local/kafka. */
export const LOCAL_BROKERS = ["127.0.0.1:9092"];

const LEVELS: Record<KafkaLogLevel, kafkaLogLevel> = {
  nothing: kafkaLogLevel.NOTHING,
  error: kafkaLogLevel.ERROR,
  warn: kafkaLogLevel.WARN,
  info: kafkaLogLevel.INFO,
  debug: kafkaLogLevel.DEBUG,
};

function isRetriedNoise(namespace: string, message: string): boolean {
  return (
    (namespace === "Connection" && (message.startsWith("Response ") || message.startsWith("Connection error"))) ||
    (namespace === "BrokerPool" && message.startsWith("Failed to connect to seed broker"))
  );
}

export function createKafka(opts: CreateKafkaOptions): Kafka {
  const threshold = LEVELS[opts.logLevel ?? "error"];
  const sink = opts.logger ?? pino({ name: "kafkajs", level: "debug" }, pino.destination({ dest: 2, sync: true }));
  const route = ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp: _ts, logger: _l, ...extra } = log as typeof log & { logger?: string };
    // kafkajs logs at ERROR every error response and failed connection, also
    // those it then retries (e.g. "group coordinator not available" on a fresh
    // cluster, a broker restarting). The caller gets the real failure when the
    // retries run out, so these are warnings.
    const effective = level === kafkaLogLevel.ERROR && isRetriedNoise(namespace, message) ? kafkaLogLevel.WARN : level;
    if (effective > threshold) return;
    const obj = { kafka: namespace, ...extra };
    if (effective === kafkaLogLevel.ERROR) sink.error(obj, message);
    else if (effective === kafkaLogLevel.WARN) sink.warn(obj, message);
    else if (effective === kafkaLogLevel.INFO) sink.info(obj, message);
    else sink.debug(obj, message);
  };
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: threshold,
    logCreator: () => route,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    // Back-off doubling from 300 ms (capped at 30 s per wait), 8 retries ≈ 1 min
    // in all: rides out a broker restart or leader election, then fails so the
    // caller's own policy (spool to disk, dead letter, exit) takes over.
    retry: { initialRetryTime: 300, maxRetryTime: 30000, retries: 8, ...opts.retry },
  });
}

/** Brokers from `KAFKA_BROKERS` (comma separated, e.g. "k1:9092,k2:9092"), else the defaults. */
export function brokersFromEnv(defaultBrokers: string[] = LOCAL_BROKERS, env = process.env): string[] {
  const list = (env.KAFKA_BROKERS ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  return list.length > 0 ? list : defaultBrokers;
}
