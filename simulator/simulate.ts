// `mailwarden simulate`: builds the platform from the seed, runs normal life,
// benign noise and the scenario's attacks hour by hour through the streaming
// writer, then writes labels.jsonl, networks.json and manifest.json.
// Deterministic: the same options give byte-identical output (no wall clock,
// no Math.random; run time is reported by the CLI, never written to DIR), but
// for the random API token of the detector.yaml written beside the logs.
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scenarioActivities } from "./attacks/index.js";
import { type Activity, DAY_MS, type Flow, HOUR_MS, type Label, type LocationOverride, type Sim } from "./context.js";
import { slowLogHeader } from "./formats/mariadb.js";
import { networksJson } from "./networks.js";
import { noiseActivities } from "./noise/index.js";
import { egressActivity } from "./normal/egress.js";
import { hostActivity } from "./normal/hosts.js";
import { userActivity } from "./normal/users.js";
import { type Account, buildPlatform, type Host, LOG_FILES } from "./platform.js";
import { Rng } from "./rng.js";
import { Services } from "./services.js";
import { siteDetectorYaml } from "./site-settings.js";
import { type FileStats, LogWriter } from "./writer.js";

export const SCENARIOS = [
  "none",
  "kddi-breach",
  "stuffing",
  "spray",
  "slow-distributed",
  "slow-exfil",
  "smtp-exfil",
  "agent-kill",
  "mixed",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/**
 * The default --start. Fixed (never "now") so a seed always means the same
 * logs; recent enough to sit inside the store's 180-day retention for a while.
 * Override per run with --start, or for a whole environment with
 * MAILWARDEN_SIM_START (read by the CLI).
 */
export const DEFAULT_START = "2026-11-01T00:00:00Z";

/** The viewer token of the simulated platform's API (random: not part of the seeded output). */
export const API_TOKEN_FILE = "api-token";

export const DEFAULTS = { hosts: 50, accounts: 100_000, days: 7 } as const;

/** Entries newer than this stay buffered after each hour (follow-up lines may come from the next hour). */
const FLUSH_LAG_MS = 5 * 60_000;

export interface SimulateOptions {
  scenario: Scenario;
  seed: number;
  out: string;
  hosts: number;
  accounts: number;
  days: number;
  /** Epoch ms; rounded down to the hour. */
  start: number;
}

export interface HostManifest {
  roles: string[];
  public_ip?: string;
  internal_ip: string;
  /** Set when the host's agent is killed: its logs stop at this time. */
  logs_stop?: string;
  files: FileStats[];
}

export interface Manifest {
  generator: string;
  scenario: Scenario;
  seed: number;
  scale: { hosts: number; accounts: number; days: number };
  start: string;
  end: string;
  domain: string;
  hosts: Record<string, HostManifest>;
  labels: { file: string; attacks: number; noise: number };
  networks: string;
  totals: { files: number; lines: number; bytes: number };
}

export function simulationSeed(seed: number): string {
  return `mailwarden-sim/${seed}`;
}

export async function simulate(opts: SimulateOptions): Promise<Manifest> {
  const start = Math.floor(opts.start / HOUR_MS) * HOUR_MS;
  const end = start + opts.days * DAY_MS;
  mkdirSync(opts.out, { recursive: true });
  if (readdirSync(opts.out).length > 0) throw new Error(`output directory ${opts.out} is not empty`);
  const root = new Rng(simulationSeed(opts.seed));
  const platform = buildPlatform(root.seed, opts.hosts, opts.accounts);
  const out = new LogWriter(opts.out, end);
  for (const h of platform.hosts) {
    for (const f of h.files) out.open(h.name, f, f === "mariadbSlow" ? slowLogHeader() : undefined);
  }
  const byUser = new Map<string, Account>(platform.accounts.map((a) => [a.user, a]));
  const byName = new Map<string, Host>(platform.hosts.map((h) => [h.name, h]));
  const flows: Flow[] = [];
  const locations = new Map<number, LocationOverride>();
  const sim: Sim = {
    platform,
    rng: root,
    start,
    end,
    days: opts.days,
    out,
    svc: new Services(platform, out, root.fork("services")),
    flows,
    locations,
    accountByUser: (u) => byUser.get(u),
    host: (name) => {
      const h = byName.get(name);
      if (h === undefined) throw new Error(`no simulated host ${name}`);
      return h;
    },
  };
  // Order matters only for determinism; the socket sampler runs last so it
  // sees the flows that attacks and noise registered for the same hour.
  const activities: Activity[] = [
    userActivity(sim),
    hostActivity(sim),
    ...noiseActivities(sim),
    ...scenarioActivities(sim, opts.scenario),
    egressActivity(sim),
  ];
  for (let t0 = start; t0 < end; t0 += HOUR_MS) {
    const t1 = t0 + HOUR_MS;
    sim.svc.beginHour(t0, t1);
    for (const a of activities) a.hour(t0, t1);
    sim.svc.endHour(t1);
    // Drop flows that ended (bounded list).
    for (let i = flows.length - 1; i >= 0; i--) if ((flows[i] as Flow).end < t0) flows.splice(i, 1);
    await out.flushBefore(t1 - FLUSH_LAG_MS);
  }
  const stats = await out.close();

  const labels: Label[] = activities.flatMap((a) => a.labels?.() ?? []);
  labels.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : labelName(a).localeCompare(labelName(b))));
  writeFileSync(join(opts.out, "labels.jsonl"), labels.map((l) => `${JSON.stringify(l)}\n`).join(""));
  writeFileSync(join(opts.out, "networks.json"), networksJson());
  writeFileSync(join(opts.out, "detector.yaml"), siteDetectorYaml(labels, "networks.json", API_TOKEN_FILE));
  // The one file that differs per run: a guessable token would open the API to anyone on the host.
  writeFileSync(join(opts.out, API_TOKEN_FILE), `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });

  const hosts: Record<string, HostManifest> = {};
  let files = 0;
  let lines = 0;
  let bytes = 0;
  for (const h of platform.hosts) {
    const fs = (stats.get(h.name) ?? []).sort((a, b) => a.file.localeCompare(b.file));
    for (const f of fs) {
      files++;
      lines += f.lines;
      bytes += f.bytes;
    }
    const hm: HostManifest = { roles: h.roles, internal_ip: h.internalIp, files: fs };
    if (h.publicIp !== undefined) hm.public_ip = h.publicIp;
    // By attack id: in `mixed` every label's scenario is "mixed".
    const stop = labels.find(
      (l) => "attack" in l && l.attack.startsWith("agent-kill-") && l.entities.hosts.includes(h.name),
    );
    if (stop !== undefined) hm.logs_stop = stop.start;
    hosts[h.name] = hm;
  }
  const manifest: Manifest = {
    generator: "mailwarden simulate",
    scenario: opts.scenario,
    seed: opts.seed,
    scale: { hosts: opts.hosts, accounts: opts.accounts, days: opts.days },
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    domain: "example.jp",
    hosts,
    labels: {
      file: "labels.jsonl",
      attacks: labels.filter((l) => "attack" in l).length,
      noise: labels.filter((l) => "noise" in l).length,
    },
    networks: "networks.json",
    totals: { files, lines, bytes },
  };
  writeFileSync(join(opts.out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function labelName(l: Label): string {
  return "attack" in l ? `${l.attack}/${l.stage}` : `noise/${l.noise}`;
}

export { LOG_FILES };
