// Configuration sections shared by every role (collector, detector, CLI).
import { z } from "zod";

export const kafkaSchema = z
  .strictObject({
    brokers: z
      .array(z.string().regex(/^[^\s,]+:\d{1,5}$/, "expected host:port"))
      .min(1)
      .default(["127.0.0.1:9092"]),
    clientId: z.string().min(1).default("mailwarden"),
    /** Topic names start with this (several deployments can share one cluster). */
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, "letters, digits, '.', '_' and '-' only")
      .default("mailwarden"),
    topics: z
      .strictObject({
        partitions: z.int().min(1).max(1024).default(6),
        replicationFactor: z.int().min(1).max(7).default(1),
        retentionHours: z.int().min(1).default(168),
      })
      .prefault({}),
  })
  .prefault({});

export const storeSchema = z
  .strictObject({
    /** Embedded engine's data directory; ignored when `url` is set. */
    dataDir: z.string().min(1).default("./data"),
    /** ClickHouse server URL; unset = embedded engine. Usually from CLICKHOUSE_URL. */
    url: z.url().optional(),
    username: z.string().min(1).default("default"),
    /** Never from argv: from CLICKHOUSE_PASSWORD or the file named by passwordFile / CLICKHOUSE_PASSWORD_FILE. */
    password: z.string().optional(),
    passwordFile: z.string().min(1).optional(),
    database: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a plain identifier")
      .default("mailwarden"),
    retentionDays: z.int().min(1).max(3650).default(180),
    batch: z
      .strictObject({
        maxRows: z.int().min(1).max(1_000_000).default(10_000),
        maxDelayMs: z.int().min(10).max(60_000).default(1_000),
      })
      .prefault({}),
  })
  .prefault({});

export const logSchema = z
  .strictObject({
    level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .prefault({});

export type KafkaConfig = z.infer<typeof kafkaSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;
export type LogConfig = z.infer<typeof logSchema>;

/**
 * Environment variables that override file values, by config path. Typed
 * values (numbers, lists) are converted before validation, so a bad env value
 * is reported exactly like a bad file value.
 */
export const COMMON_ENV: Record<string, { path: string[]; type: "string" | "int" | "list" }> = {
  KAFKA_BROKERS: { path: ["kafka", "brokers"], type: "list" },
  CLICKHOUSE_URL: { path: ["store", "url"], type: "string" },
  CLICKHOUSE_USER: { path: ["store", "username"], type: "string" },
  CLICKHOUSE_PASSWORD: { path: ["store", "password"], type: "string" },
  CLICKHOUSE_PASSWORD_FILE: { path: ["store", "passwordFile"], type: "string" },
  CLICKHOUSE_DATABASE: { path: ["store", "database"], type: "string" },
  MAILWARDEN_DATA: { path: ["store", "dataDir"], type: "string" },
  MAILWARDEN_RETENTION_DAYS: { path: ["store", "retentionDays"], type: "int" },
  LOG_LEVEL: { path: ["log", "level"], type: "string" },
};
