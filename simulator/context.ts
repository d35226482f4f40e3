// What every generator gets: the platform, the run's time span, the services
// that write log lines, the egress flows the socket sampler reports, and the
// ground-truth labels. Generators are called once per simulated hour, in a
// fixed order, so the output depends only on the seed and the options.
import type { SocketRow } from "./formats/ss.js";
import type { Account, Host, Platform } from "./platform.js";
import type { Rng } from "./rng.js";
import type { Services } from "./services.js";
import type { LogWriter } from "./writer.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

export const STAGES = [
  "initial_access",
  "credential_access",
  "staging",
  "exfiltration",
  "stolen_credential_use",
  "defense_evasion",
] as const;
export type Stage = (typeof STAGES)[number];

export interface LabelEntities {
  accounts: string[];
  /** True when the stage touched every account (a whole-store dump); `accounts` is then empty. */
  all_accounts?: boolean;
  source_ips: string[];
  source_networks: string[];
  hosts: string[];
  processes: string[];
  destination_ips: string[];
  destination_networks: string[];
}

export interface AttackLabel {
  attack: string;
  scenario: string;
  stage: Stage;
  start: string;
  end: string;
  description: string;
  /** Parser ids whose events show this stage. */
  evidence: string[];
  /** Credential records read / messages sent / bytes sent, where the stage has such a count. */
  records?: number;
  bytes?: number;
  entities: LabelEntities;
}

export interface NoiseLabel {
  noise: string;
  start: string;
  end: string;
  description: string;
  evidence: string[];
  /** The detection this benign activity resembles. */
  resembles: string[];
  entities: LabelEntities;
}

export type Label = AttackLabel | NoiseLabel;

export function emptyEntities(): LabelEntities {
  return {
    accounts: [],
    source_ips: [],
    source_networks: [],
    hosts: [],
    processes: [],
    destination_ips: [],
    destination_networks: [],
  };
}

/** A TCP connection the socket sampler reports while it is open; bytes grow linearly from start to end. */
export interface Flow {
  host: string;
  process: string;
  pid: number;
  fd: number;
  uid: number;
  cgroup: string;
  local: string;
  localPort: number;
  peer: string;
  peerPort: number;
  start: number;
  end: number;
  bytesOut: number;
  bytesIn: number;
}

export function flowRow(f: Flow, ts: number): SocketRow {
  const frac = Math.min(1, Math.max(0, (ts - f.start) / Math.max(1, f.end - f.start)));
  return {
    local: f.local,
    localPort: f.localPort,
    peer: f.peer,
    peerPort: f.peerPort,
    process: f.process,
    pid: f.pid,
    fd: f.fd,
    uid: f.uid,
    ino: 90_000 + ((f.pid * 31 + f.localPort * 7 + Math.floor(f.start / 1000)) % 900_000),
    cgroup: f.cgroup,
    bytesSent: Math.floor(f.bytesOut * frac),
    bytesReceived: Math.floor(f.bytesIn * frac),
    lastSend: 4 + ((f.pid + Math.floor(ts / 1000)) % 400),
  };
}

/** Where an account connects from while something (travel) overrides its habits. */
export interface LocationOverride {
  start: number;
  end: number;
  ip: (ts: number) => string;
}

export interface Sim {
  readonly platform: Platform;
  readonly rng: Rng;
  readonly start: number;
  readonly end: number;
  readonly days: number;
  readonly out: LogWriter;
  readonly svc: Services;
  /** Extra flows (backup, exfiltration) the socket sampler adds to its samples. */
  readonly flows: Flow[];
  readonly locations: Map<number, LocationOverride>;
  /** Accounts whose normal clients are disabled (e.g. a forgotten-password user stops trying). */
  readonly accountByUser: (user: string) => Account | undefined;
  /** Host by name (throws for an unknown name). */
  readonly host: (name: string) => Host;
}

/** A generator: called for every simulated hour [t0, t1) in order; `labels` at the end. */
export interface Activity {
  readonly name: string;
  hour(t0: number, t1: number): void;
  labels?(): Label[];
}

/** Fraction of the run → absolute time, aligned to the minute. */
export function at(sim: Sim, fraction: number, offsetMs = 0): number {
  const t = sim.start + (sim.end - sim.start) * fraction + offsetMs;
  return Math.floor(t / MINUTE_MS) * MINUTE_MS;
}

/** A random instant in [t0, t1). */
export function within(rng: Rng, t0: number, t1: number): number {
  return t0 + rng.next() * (t1 - t0);
}

export function overlaps(t0: number, t1: number, a: number, b: number): boolean {
  return t0 < b && a < t1;
}

/** Label entities from a partial list; sets are sorted so labels are stable and diffable. */
export function entities(
  e: Partial<Record<Exclude<keyof LabelEntities, "all_accounts">, Iterable<string>>> & { all_accounts?: boolean },
): LabelEntities {
  const out = emptyEntities();
  for (const k of Object.keys(out) as Array<Exclude<keyof LabelEntities, "all_accounts">>) {
    const v = e[k];
    if (v !== undefined) out[k] = [...new Set(v)].sort();
  }
  if (e.all_accounts === true) out.all_accounts = true;
  return out;
}
