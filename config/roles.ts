// One schema per role. The CLI's one-shot commands (query, setup) use the
// detector's schema, so they see the same store and broker the detector uses.
import { z } from "zod";
import { compileSsOptions } from "../collectors/parsers/ss.js";
import { checkParserOptions } from "../collectors/pipeline/line-parser.js";
import { apiConfigSchema } from "../detector/api/config.js";
import { correlatorConfig } from "../detector/correlator/correlator.js";
import { notifiersConfigSchema } from "../detector/sinks/notifiers/config.js";
import { SOURCES } from "../events/event.js";
import { kafkaSchema, logSchema, storeSchema } from "./common.js";

export const detectorSectionSchema = z
  .strictObject({
    /** Checkpoints of detector state with the Kafka offsets they belong to. */
    stateDir: z.string().min(1).default("./state/detector"),
    /** Consumer group prefix; every detector instance of one deployment shares it. */
    groupId: z.string().min(1).default("mailwarden-detector"),
    /** Seed of the hashed state, shared by the instances of a deployment; default derived from groupId. */
    hashSeed: z.int().min(0).max(0x7fffffff).optional(),
    /** Events this far behind the newest one are still put in order. */
    allowedLatenessSeconds: z.int().min(0).max(3600).default(120),
    /** With no new event for this long (wall time), buffered events are evaluated anyway. */
    idleFlushSeconds: z.int().min(1).max(600).default(5),
    checkpointSeconds: z.int().min(1).max(3600).default(10),
    /** Where a new consumer group starts: all records still in the topics, or only new ones. */
    startAt: z.enum(["earliest", "latest"]).default("earliest"),
    /** Entities idle this long are forgotten (keep it above the longest window: 7 days). */
    idleEvictionDays: z.int().min(1).max(365).default(14),
    /** Per-detection settings, validated against each detection's own schema. */
    detections: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    disabled: z.array(z.string()).default([]),
    correlator: correlatorConfig.prefault({}),
    networks: z
      .strictObject({
        /** Our own networks: never "sources", never "egress". */
        internal: z.array(z.string()).optional(),
        /** JSON file of [{cidr, asn, country, name?}] for offline ASN/country lookups (relative: to the config file). */
        asnTable: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .prefault({});

export const detectorConfigSchema = z.strictObject({
  kafka: kafkaSchema,
  store: storeSchema,
  log: logSchema,
  detector: detectorSectionSchema,
  api: apiConfigSchema,
  notifiers: notifiersConfigSchema,
});
export type DetectorConfig = z.infer<typeof detectorConfigSchema>;

const parserId = z.enum(["auto", ...SOURCES.filter((s) => s !== "agent")]);

/** Per-parser options by parser id, e.g. `mariadb-audit: { columns: [postfix.mailbox.password] }`. */
const parserOptionsSchema = z
  .record(z.string(), z.unknown())
  .superRefine((o, ctx) => {
    try {
      checkParserOptions(o);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  })
  .optional();

const fileSourceSchema = z.strictObject({
  type: z.literal("file"),
  path: z.string().min(1),
  parser: parserId.default("auto"),
  parserOptions: parserOptionsSchema,
  /** Where to begin a file the agent has no offset for yet. */
  startAt: z.enum(["beginning", "end"]).default("end"),
});

const journaldSourceSchema = z.strictObject({
  type: z.literal("journald"),
  /** journalctl match arguments, e.g. ["_SYSTEMD_UNIT=dovecot.service"]. */
  matches: z.array(z.string().min(1)).default([]),
  parser: parserId.default("auto"),
  parserOptions: parserOptionsSchema,
});

const stdinSourceSchema = z.strictObject({
  type: z.literal("stdin"),
  parser: parserId.default("auto"),
  parserOptions: parserOptionsSchema,
});

const ssSourceSchema = z
  .strictObject({
    type: z.literal("ss"),
    /** Seconds between samples of the kernel's TCP socket table. */
    intervalSeconds: z.number().min(0.1).max(3600).default(5),
    /** Peers in these networks are not egress (CIDR). Default: RFC 1918, loopback, link-local, ULA. */
    internalNetworks: z.array(z.string().min(1)).optional(),
    /** Sockets tracked at most; past that they are counted (conn_untracked). */
    maxSockets: z.int().min(1).optional(),
    ssPath: z.string().min(1).default("ss"),
    /** Also read the kernel's socket-destroy notifications (`ss -E`): bytes after the last sample, short connections. */
    closeEvents: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    try {
      compileSsOptions(ssOptions(s));
    } catch (e) {
      ctx.addIssue({ code: "custom", path: ["internalNetworks"], message: (e as Error).message });
    }
  });

/** The ss parser's options from an `ss` source's config. */
export function ssOptions(s: { internalNetworks?: string[] | undefined; maxSockets?: number | undefined }) {
  return {
    ...(s.internalNetworks ? { internalNetworks: s.internalNetworks } : {}),
    ...(s.maxSockets ? { maxSockets: s.maxSockets } : {}),
  };
}

export const sourceSchema = z.discriminatedUnion("type", [
  fileSourceSchema,
  journaldSourceSchema,
  stdinSourceSchema,
  ssSourceSchema,
]);
export type SourceConfig = z.infer<typeof sourceSchema>;

export const collectorConfigSchema = z.strictObject({
  /** The name events carry as `host`; default: the machine's host name. */
  host: z.string().min(1).max(255).optional(),
  /** Offsets, cursors and the spool live here. */
  stateDir: z.string().min(1).default("./state"),
  sources: z.array(sourceSchema).min(1, "at least one source is required"),
  kafka: kafkaSchema,
  spool: z
    .strictObject({
      maxBytes: z
        .int()
        .min(1024 * 1024)
        .default(1024 * 1024 * 1024),
    })
    .prefault({}),
  heartbeatSeconds: z.int().min(1).max(3600).default(30),
  log: logSchema,
});
export type CollectorConfig = z.infer<typeof collectorConfigSchema>;
