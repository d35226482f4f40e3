// One schema per role. The CLI's one-shot commands (query, setup) use the
// detector's schema, so they see the same store and broker the detector uses.
import { z } from "zod";
import { SOURCES } from "../events/event.js";
import { kafkaSchema, logSchema, storeSchema } from "./common.js";

export const detectorConfigSchema = z.strictObject({
  kafka: kafkaSchema,
  store: storeSchema,
  log: logSchema,
});
export type DetectorConfig = z.infer<typeof detectorConfigSchema>;

const parserId = z.enum(["auto", ...SOURCES.filter((s) => s !== "agent")]);

const fileSourceSchema = z.strictObject({
  type: z.literal("file"),
  path: z.string().min(1),
  parser: parserId.default("auto"),
  /** Where to begin a file the agent has no offset for yet. */
  startAt: z.enum(["beginning", "end"]).default("end"),
});

const journaldSourceSchema = z.strictObject({
  type: z.literal("journald"),
  /** journalctl match arguments, e.g. ["_SYSTEMD_UNIT=dovecot.service"]. */
  matches: z.array(z.string().min(1)).default([]),
  parser: parserId.default("auto"),
});

const stdinSourceSchema = z.strictObject({
  type: z.literal("stdin"),
  parser: parserId.default("auto"),
});

export const sourceSchema = z.discriminatedUnion("type", [fileSourceSchema, journaldSourceSchema, stdinSourceSchema]);
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
