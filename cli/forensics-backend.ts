// Where `mailwarden query` answers forensics from: the store itself, or the
// detector's API when `mailwarden detect` holds the embedded store (only one
// process may open it). Which one is decided by the store's own lock: the
// engine writes its pid to `<dataDir>/status` while it holds the directory
// and removes the file on close, so a live pid there means "go through the
// API" — decided before opening, with no failed open on the way. A ClickHouse
// server takes any number of clients: always direct.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DetectorConfig } from "../config/roles.js";
import { resolveApiTokens } from "../detector/api/config.js";
import { encodeCursor } from "../detector/api/cursor.js";
import { type BlastRadius, blastRadius } from "../detector/forensics/blast-radius.js";
import type { ForensicsNetworks } from "../detector/forensics/networks.js";
import { type PivotQuery, type PivotResult, pivot } from "../detector/forensics/pivot.js";
import { type TimelinePage, type TimelineQuery, timeline } from "../detector/forensics/timeline.js";
import { openStore } from "../detector/store/client.js";
import { ApiClient } from "./api-client.js";
import { UserError } from "./errors.js";

export interface ForensicsBackend {
  /** What answers, for the stderr summary. */
  via: string;
  /** Largest page it serves. */
  maxPage: number;
  timeline(q: TimelineQuery): Promise<TimelinePage>;
  pivot(q: PivotQuery): Promise<PivotResult>;
  /** Undefined when there is no such incident. */
  blastRadius(incident: string, networks: string[]): Promise<BlastRadius | undefined>;
  close(): Promise<void>;
}

/** The pid of another live process holding the embedded store, if any. */
export function storeHolder(dataDir: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(join(resolve(dataDir), "status"), "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(/^PID: (\d+)$/m.exec(status)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

function throughApi(cfg: DetectorConfig, holder: number): ForensicsBackend {
  const host = cfg.api.host === "0.0.0.0" || cfg.api.host === "::" ? "127.0.0.1" : cfg.api.host;
  const base = `http://${host.includes(":") ? `[${host}]` : host}:${cfg.api.port}`;
  const token = process.env.MAILWARDEN_API_TOKEN || resolveApiTokens(cfg.api)[0]?.token;
  if (!cfg.api.enabled || !token) {
    throw new UserError(
      `the store ${resolve(cfg.store.dataDir)} is held by process ${holder} (mailwarden detect?): ` +
        "query through its API with --config detector.yaml (api.tokens) or MAILWARDEN_API_TOKEN",
      1,
    );
  }
  const api = new ApiClient(base, token);
  const range = (q: { from?: number; to?: number }) => ({
    ...(q.from === undefined ? {} : { from: new Date(q.from).toISOString() }),
    ...(q.to === undefined ? {} : { to: new Date(q.to).toISOString() }),
  });
  return {
    via: `the detector API at ${base} (process ${holder} holds the store)`,
    maxPage: 500,
    timeline: (q) => {
      const e = q.entity;
      return api.get<TimelinePage>("/api/v1/forensics/timeline", {
        ...(e.kind === "network" ? { network: e.cidrs } : { [e.kind]: e.value }),
        ...range(q),
        limit: q.limit,
        ...(q.after ? { cursor: encodeCursor(q.after) } : {}),
      });
    },
    pivot: (q) =>
      api.get<PivotResult>(`/api/v1/forensics/pivot/${q.kind}/${encodeURIComponent(q.value)}`, {
        ...range(q),
        limit: q.perRelation,
      }),
    blastRadius: (incident, networks) =>
      api.get<BlastRadius>(`/api/v1/forensics/blast-radius/${incident}`, { network: networks }),
    close: async () => undefined,
  };
}

export async function openForensics(cfg: DetectorConfig, facts: ForensicsNetworks): Promise<ForensicsBackend> {
  const holder = cfg.store.url ? undefined : storeHolder(cfg.store.dataDir);
  if (holder !== undefined) return throughApi(cfg, holder);
  const store = await openStore(cfg.store);
  return {
    via: `the ${store.mode} store at ${store.location}`,
    maxPage: 10_000,
    timeline: (q) => timeline(store.client, q),
    pivot: (q) => pivot(store.client, q),
    blastRadius: (incident, networks) => blastRadius(store.client, { incident, networks, facts }),
    close: () => store.close(),
  };
}
