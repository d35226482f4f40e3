// egress.volume — a host sends far more data out than it does at this hour:
// bytes out per (host, process) and per (host, destination network) per hour
// against a robust baseline of the same entity (median/MAD of the last
// `baselineDays` hourly totals, and of the same hour of day ±1 h on previous
// days, so a nightly backup is expected at night: state/seasonal-baseline).
// Until there is history a conservative absolute threshold applies. It fires while the hour runs, as
// soon as the total crosses the threshold (the running clock hour against its
// own threshold, or the last 60 minutes — the open hour plus the unexpired
// part of the previous one — against the larger of the two hours'
// thresholds, so an upload straddling the hour is not split in two halves
// that each pass); one episode is one finding whose score rises as it grows.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import {
  type EntityType,
  type Finding,
  findingId,
  iso,
  MAX_EVIDENCE,
  scoreAbove,
  severityOf,
} from "../../core/finding.js";
import { EntityTable } from "../../state/entity-table.js";
import { SeasonalBaseline, type SeasonalBaselineJSON } from "../../state/seasonal-baseline.js";
import {
  allowedDestinationSchema,
  DEFAULT_WORLD_FACING,
  Destinations,
  type Egress,
  formatBytes,
  formatDuration,
  HOUR,
  MB,
  NONE,
  newEgress,
  readEgress,
  WorldFacing,
  worldFacingSchema,
} from "./signals.js";

const config = z.strictObject({
  /** Bytes per hour that fire while there is no history (the host is younger than warmupHours). */
  coldBytes: z
    .int()
    .min(1)
    .default(200 * MB),
  /** Bytes per hour never below which a warm entity fires (the floor of the baseline threshold). */
  minBytes: z
    .int()
    .min(1)
    .default(100 * MB),
  /** Threshold = median + madMultiplier × robust spread … */
  madMultiplier: z.number().min(1).default(6),
  /** … and at least ratio × median. */
  ratio: z.number().min(1).default(3),
  /** Hourly history kept per entity (ring of baselineDays × 24 totals, 4 bytes each). */
  baselineDays: z.int().min(2).max(28).default(7),
  /** Hours of history before an entity's (or, for a new entity, its host's) baseline counts. */
  warmupHours: z.int().min(1).default(24),
  /** Also judge against the same hour of day (±1 h): daily jobs are expected at their hour. */
  sameHourOfDay: z.boolean().default(true),
  /** Also baseline (host, destination network); world-facing flows are exempt from it. */
  perDestination: z.boolean().default(true),
  /** An entity gets its hourly baseline from the first hour it moves this much (below, it holds a few counters). */
  trackFromBytes: z
    .int()
    .min(0)
    .default(1 * MB),
  /** Flows not counted at all: known backup targets, partners (CIDR, optionally per host/process). */
  allowedDestinations: z.array(allowedDestinationSchema).default([]),
  /** Flows whose destinations are ever new by design (MTA to MX hosts): counted per process only. */
  worldFacing: z.array(worldFacingSchema).default(DEFAULT_WORLD_FACING),
  maxProcesses: z.int().min(100).default(20_000),
  maxDestinations: z.int().min(100).default(20_000),
  maxHosts: z.int().min(10).default(50_000),
});
type Config = z.infer<typeof config>;

/** Samples at least this large are kept as evidence before an episode starts. */
const EVIDENCE_MIN_BYTES = MB;
const PRE_EVIDENCE = 10;

interface Episode {
  start: number;
  last: number;
  bytes: number;
  /** Bytes at the last finding (0: not fired yet). */
  fired: number;
  evidence: string[];
}

/** One (host, process) or (host, destination) series. */
interface Series {
  /** Start of the open hour (ms). */
  hour: number;
  cur: number;
  prev: number;
  /** First time bytes moved in the open / previous hour (0: none). */
  curFirst: number;
  prevFirst: number;
  since: number;
  /** From the first hour with ≥ trackFromBytes on. */
  base: SeasonalBaseline | undefined;
  /** Baseline part of the threshold of the open / previous hour (0: no history), and what was expected. */
  thr: number;
  thrPrev: number;
  expected: number;
  warm: boolean;
  /** Majority vote over the other dimension (the destination of a process, the process of a destination). */
  top: string;
  topBytes: number;
  /** For a destination: its label. */
  label: string;
  evCur: string[] | undefined;
  evPrev: string[] | undefined;
  ep: Episode | undefined;
}

interface HostState {
  first: number;
}

type SeriesSnapshot = Omit<Series, "base"> & { base: SeasonalBaselineJSON | null };

class VolumeInstance implements DetectionInstance {
  private readonly hosts: EntityTable<HostState>;
  private readonly processes: EntityTable<Series>;
  private readonly destinations: EntityTable<Series>;
  private readonly dests: Destinations;
  private readonly world: WorldFacing;
  private readonly eg: Egress = newEgress();
  private readonly ringHours: number;
  private readonly warmupMs: number;

  constructor(
    private readonly cfg: Config,
    ctx: DetectionContext,
  ) {
    this.hosts = new EntityTable(cfg.maxHosts);
    this.processes = new EntityTable(cfg.maxProcesses);
    this.destinations = new EntityTable(cfg.maxDestinations);
    this.dests = new Destinations(ctx.networks, cfg.allowedDestinations);
    this.world = new WorldFacing(cfg.worldFacing);
    this.ringHours = cfg.baselineDays * 24;
    this.warmupMs = cfg.warmupHours * HOUR;
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    // A host's age starts with its agent: its first heartbeat or socket sample
    // (a database server that never connects out is still a known host whose
    // processes send 0 B/h, though the poller reports no socket of it).
    if (e.source !== "zeek-conn") this.touchHost(e.host, now);
    if (e.kind !== "net") return NONE;
    const g = this.eg;
    if (!readEgress(e, this.dests, g) || g.bytes <= 0) return NONE;
    if (this.dests.allowed(g.dest, g.host, g.process)) return NONE;
    const host = e.source === "zeek-conn" ? this.touchHost(g.host, now) : (this.hosts.get(g.host) as HostState);
    const hostWarm = now - host.first >= this.warmupMs;
    let out: Finding[] = NONE;
    const p = this.processes.upsert(`${g.host}\u0000${g.process}`, now, () => this.series(now, ""));
    const fp = this.account(p, e, now, g.bytes, g.dest.label, hostWarm, "host_process", `${g.host}/${g.process}`);
    if (fp) out = [fp];
    if (this.cfg.perDestination && !this.world.matches(g.process, g.port)) {
      const d = this.destinations.upsert(`${g.host}\u0000${g.dest.origin}`, now, () => this.series(now, g.dest.label));
      const fd = this.account(
        d,
        e,
        now,
        g.bytes,
        g.process,
        hostWarm,
        "host_destination",
        `${g.host}->${g.dest.origin}`,
      );
      if (fd) out = out === NONE ? [fd] : [...out, fd];
    }
    return out;
  }

  private touchHost(host: string, now: number): HostState {
    return this.hosts.upsert(host, now, () => ({ first: now }));
  }

  private series(now: number, label: string): Series {
    return {
      hour: now - (now % HOUR),
      cur: 0,
      prev: 0,
      curFirst: 0,
      prevFirst: 0,
      since: now,
      base: undefined,
      thr: 0,
      thrPrev: 0,
      expected: 0,
      warm: false,
      top: "",
      topBytes: 0,
      label,
      evCur: undefined,
      evPrev: undefined,
      ep: undefined,
    };
  }

  /** Adds one sample to a series; a finding when it crosses (or, in an episode, doubles). */
  private account(
    s: Series,
    e: MailEvent,
    now: number,
    bytes: number,
    other: string,
    hostWarm: boolean,
    entityType: EntityType,
    entity: string,
  ): Finding | undefined {
    this.roll(s, now);
    s.cur += bytes;
    if (s.curFirst === 0) s.curFirst = now;
    if (s.base) s.base.add(now, bytes);
    else if (s.cur >= this.cfg.trackFromBytes) {
      s.base = new SeasonalBaseline(this.ringHours);
      s.base.add(now, s.cur);
    }
    if (s.top === other) s.topBytes += bytes;
    else if (s.topBytes >= bytes) s.topBytes -= bytes;
    else {
      s.top = other;
      s.topBytes = bytes - s.topBytes;
    }
    if (bytes >= EVIDENCE_MIN_BYTES) {
      if (!s.evCur) s.evCur = [e.id];
      else if (s.evCur.length < PRE_EVIDENCE) s.evCur.push(e.id);
    }

    let ep = s.ep;
    if (ep && now - ep.last > HOUR) {
      ep = undefined;
      s.ep = undefined;
    }
    if (ep) {
      ep.bytes += bytes;
      if (ep.evidence.length < MAX_EVIDENCE) ep.evidence.push(e.id);
    }

    const floor = s.warm || hostWarm ? this.cfg.minBytes : this.cfg.coldBytes;
    const thrCur = Math.max(floor, s.thr);
    const prevPart = s.prev * (1 - (now - s.hour) / HOUR);
    const window = s.cur + prevPart;
    const thrWindow = Math.max(thrCur, s.thrPrev);
    const over = s.cur > thrCur || window > thrWindow;
    if (!over) return undefined;
    const threshold = s.cur > thrCur ? thrCur : thrWindow;
    if (!ep) {
      const start = prevPart > 0 && s.prevFirst > 0 ? s.prevFirst : s.curFirst;
      const evidence = [...(prevPart > 0 ? (s.evPrev ?? []) : []), ...(s.evCur ?? [])];
      if (!evidence.includes(e.id)) evidence.push(e.id);
      ep = s.ep = { start, last: now, bytes: window, fired: 0, evidence: evidence.slice(0, MAX_EVIDENCE) };
    }
    ep.last = now;
    if (ep.fired > 0 && ep.bytes < 2 * ep.fired) return undefined;
    ep.fired = ep.bytes;
    return this.finding(s, ep, now, threshold, hostWarm, entityType, entity);
  }

  /** Closes the open hour when `now` is past it: previous-hour part of the window, thresholds of the new hour. */
  private roll(s: Series, now: number): void {
    const hour = now - (now % HOUR);
    if (hour <= s.hour) return;
    const consecutive = hour - s.hour === HOUR;
    s.prev = consecutive ? s.cur : 0;
    s.prevFirst = consecutive ? s.curFirst : 0;
    s.evPrev = consecutive ? s.evCur : undefined;
    s.thrPrev = consecutive ? s.thr : 0;
    s.cur = 0;
    s.curFirst = 0;
    s.evCur = undefined;
    s.hour = hour;
    s.thr = 0;
    s.expected = 0;
    s.warm = false;
    if (s.base) this.threshold(s, s.base, hour);
    if (!consecutive) s.topBytes = 0;
  }

  /**
   * The baseline part of the threshold of the hour starting at `hour` (once
   * per series and hour): all hours once the series is warm, and the same
   * hour of previous days (±1 h) as soon as there is one.
   */
  private threshold(s: Series, base: SeasonalBaseline, hour: number): void {
    const { madMultiplier: k, ratio } = this.cfg;
    base.advance(hour);
    const warm = base.hoursObserved >= this.cfg.warmupHours;
    let thr = 0;
    let expected = 0;
    const all = warm ? base.overall() : undefined;
    if (all) {
      thr = Math.max(all.median + k * all.spread, ratio * all.median);
      expected = all.median;
    }
    const same = this.cfg.sameHourOfDay ? base.sameHour(1) : undefined;
    if (same) {
      const t = Math.max(same.median + k * same.spread, ratio * same.median);
      if (t > thr) {
        thr = t;
        expected = same.median;
      }
    }
    s.thr = thr;
    s.expected = expected;
    s.warm = warm;
  }

  private finding(
    s: Series,
    ep: Episode,
    now: number,
    threshold: number,
    hostWarm: boolean,
    entityType: EntityType,
    entity: string,
  ): Finding {
    const known = s.warm || hostWarm;
    const score = scoreAbove(ep.bytes, threshold, known ? 60 : 50);
    const [host, name] = entityType === "host_process" ? splitOnce(entity, "/") : splitOnce(entity, "->");
    const took = now > ep.start ? ` in ${formatDuration(now - ep.start)}` : "";
    const ageH = Math.floor((now - s.since) / HOUR);
    let history: string;
    if (s.warm) history = `usual ${formatBytes(s.expected)}/h at this hour`;
    else if (!hostWarm) history = "host still learning, no history";
    else if (ageH < 2) history = "never seen from this host; usual 0 B/h";
    else history = `seen from this host for ${ageH} h only`;
    const summary =
      entityType === "host_process"
        ? `${name} on ${host} sent ${formatBytes(ep.bytes)}${took}${s.top ? `, mostly to ${s.top}` : ""} (${history}; threshold ${formatBytes(threshold)}/h)`
        : `${s.top || "a process"} on ${host} sent ${formatBytes(ep.bytes)} to ${s.label}${took} (${history}; threshold ${formatBytes(threshold)}/h)`;
    return {
      id: findingId(volumeDetection.id, entity, ep.start),
      ts: iso(now),
      detection: volumeDetection.id,
      stage: volumeDetection.stage,
      entity_type: entityType,
      entity,
      host,
      score,
      severity: severityOf(score),
      observed: Math.round(ep.bytes),
      expected: Math.round(s.expected),
      window_start: iso(ep.start),
      window_end: iso(now),
      evidence: [...ep.evidence],
      summary,
      details: {
        threshold: Math.round(threshold),
        baseline_warm: s.warm,
        host_warm: hostWarm,
        hours_tracked: ageH,
        [entityType === "host_process" ? "top_destination" : "top_process"]: s.top,
      },
    };
  }

  evict(before: number): number {
    return this.processes.evictIdle(before) + this.destinations.evictIdle(before) + this.hosts.evictIdle(before);
  }

  size(): number {
    return this.processes.size + this.destinations.size + this.hosts.size;
  }

  snapshot(): unknown {
    const enc = (s: Series): SeriesSnapshot => ({ ...s, base: s.base ? s.base.toJSON() : null });
    return {
      hosts: this.hosts.snapshot((h) => h.first),
      processes: this.processes.snapshot(enc),
      destinations: this.destinations.snapshot(enc),
    };
  }

  restore(state: unknown): void {
    const st = state as {
      hosts: [string, number, number][];
      processes: [string, number, SeriesSnapshot][];
      destinations: [string, number, SeriesSnapshot][];
    };
    const dec = (s: SeriesSnapshot): Series => ({
      ...s,
      base: s.base ? SeasonalBaseline.from(s.base, this.ringHours) : undefined,
      evCur: s.evCur ?? undefined,
      evPrev: s.evPrev ?? undefined,
      ep: s.ep ?? undefined,
    });
    this.hosts.restore(st.hosts, (first) => ({ first }));
    this.processes.restore(st.processes, dec);
    this.destinations.restore(st.destinations, dec);
  }
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + sep.length)];
}

export const volumeDetection: Detection<Config> = {
  id: "egress.volume",
  title: "Outbound data volume far above the host's baseline",
  stage: "exfiltration",
  attack: ["T1041", "T1048", "T1567"],
  rationale:
    "The data of a breach has to leave: hundreds of MB of account records, password hashes or mail spool going out from a host whose processes usually send a fraction of that at this hour. Bytes out are baselined per (host, process) and per (host, destination network), robustly (median/MAD of hourly totals, by hour of day so nightly jobs are expected), and judged while the hour runs, so a large upload is reported within a minute of its first big sample. The peers a mail operator would pick have no rule for outbound data at all (wazuh-ruleset #176; fail2ban and CrowdSec read inbound logs only).",
  falsePositives: [
    "A backup, replication or archive job to a new or not yet allow-listed target (its first nights, before the hour-of-day baseline learns it): add the target to allowedDestinations.",
    "A one-off administrative transfer (migration, log shipping catch-up after an outage).",
    "A mail server working off a large queue after an outage (world-facing SMTP volume is baselined per process).",
  ],
  triage:
    "Identify the process and destination (entity, top_destination/top_process, evidence samples). Is the destination a known partner or backup target? Is the process one that should send this much (a database or LDAP server should not)? If unexplained: block the destination at the egress firewall, capture the process (pid, command line, open files), and check the same host for credential-access findings in the preceding days.",
  method: "baseline",
  kinds: ["net", "agent"],
  key: "host",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new VolumeInstance(cfg, ctx),
};
