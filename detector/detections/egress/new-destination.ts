// egress.new_destination — a host's process sends data to a network (its
// ASN, else its /24) it has never talked to, weighted by bytes. Per (host,
// process), the networks it talked to are a first-seen set (LRU, capped);
// after a learning period per host, a network not in the set is a candidate
// for `noveltyHours`: it fires when its bytes pass `firstHourBytes` within
// its first hour (an upload to a fresh drop server) or `cumulativeBytes`
// within the novelty window (slow exfiltration: a few MB every hour for
// weeks), then again as the bytes double; after the window it is known.
//
// Learning does not whitewash everything it sees: what a host talks to at
// least hourly shows up in its first `startupHours`, and only that is known
// outright. A network first contacted later in the learning period is known
// for the first-hour rule but still held to the cumulative one: it is either
// a daily job (reported once, on the first day: confirm and allow-list it) or
// slow exfiltration that started after monitoring did.
//
// Flows whose job is to talk to ever-new networks (the MTA's SMTP client to
// MX hosts) are not judged here (their volume is, by egress.volume), nor are
// allow-listed destinations. A process that talks to more networks than its
// set holds during learning is one of those by nature and is not judged
// either.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, scoreAbove, severityOf } from "../../core/finding.js";
import { EntityTable } from "../../state/entity-table.js";
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
  /** Hours of a host's data during which every network its processes talk to is learned as normal. */
  learningHours: z.int().min(1).default(24),
  /** Bytes to a new network within its first hour that fire. */
  firstHourBytes: z
    .int()
    .min(1)
    .default(10 * MB),
  /** Bytes to a new network within its novelty window that fire (slow exfiltration). */
  cumulativeBytes: z
    .int()
    .min(1)
    .default(50 * MB),
  /** A host's first hours: networks contacted then are known outright (the rest of learning still counts bytes). */
  startupHours: z.int().min(0).default(1),
  /** How long a network stays new after the first contact. */
  noveltyHours: z.int().min(1).default(24),
  /** Networks remembered per (host, process), least recently used dropped first. */
  maxNetworksPerProcess: z.int().min(8).default(256),
  /** New networks followed at once per (host, process). */
  maxCandidatesPerProcess: z.int().min(1).default(16),
  maxProcesses: z.int().min(100).default(20_000),
  maxHosts: z.int().min(10).default(50_000),
  allowedDestinations: z.array(allowedDestinationSchema).default([]),
  worldFacing: z.array(worldFacingSchema).default(DEFAULT_WORLD_FACING),
});
type Config = z.infer<typeof config>;

const CANDIDATE_EVIDENCE = 20;

interface Candidate {
  first: number;
  /** First contacted while its host was learning: only the cumulative rule applies. */
  learning: boolean;
  last: number;
  bytes: number;
  firstHour: number;
  /** Bytes at the last finding (0: not fired). */
  fired: number;
  ip: string;
  port: number;
  label: string;
  evidence: string[];
}

interface ProcessState {
  /** Network → last contact (ms), in least-recently-contacted order. */
  known: Map<string, number>;
  /** Talked to more networks than `known` holds while learning: world-facing by nature. */
  open: boolean;
  candidates: Map<string, Candidate> | undefined;
}

interface ProcessSnapshot {
  known: [string, number][];
  open: boolean;
  candidates: [string, Candidate][] | null;
}

class NewDestinationInstance implements DetectionInstance {
  private readonly hosts: EntityTable<number>;
  private readonly processes: EntityTable<ProcessState>;
  private readonly dests: Destinations;
  private readonly world: WorldFacing;
  private readonly eg: Egress = newEgress();
  private readonly learningMs: number;
  private readonly startupMs: number;
  private readonly noveltyMs: number;

  constructor(
    private readonly cfg: Config,
    ctx: DetectionContext,
  ) {
    this.hosts = new EntityTable(cfg.maxHosts);
    this.processes = new EntityTable(cfg.maxProcesses);
    this.dests = new Destinations(ctx.networks, cfg.allowedDestinations);
    this.world = new WorldFacing(cfg.worldFacing);
    this.learningMs = cfg.learningHours * HOUR;
    this.startupMs = Math.min(cfg.startupHours, cfg.learningHours) * HOUR;
    this.noveltyMs = cfg.noveltyHours * HOUR;
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    // The learning clock of a host starts with its agent: its first heartbeat
    // or socket sample (the poller reports external peers only, so a back-end
    // host may have no net event before its first outbound connection).
    if (e.source !== "zeek-conn") this.hosts.upsert(e.host, now, () => now);
    if (e.kind !== "net") return NONE;
    const g = this.eg;
    if (!readEgress(e, this.dests, g)) return NONE;
    if (this.world.matches(g.process, g.port) || this.dests.allowed(g.dest, g.host, g.process)) return NONE;
    const hostFirst =
      e.source === "zeek-conn" ? this.hosts.upsert(g.host, now, () => now) : (this.hosts.get(g.host) as number);
    const p = this.processes.upsert(`${g.host}\u0000${g.process}`, now, () => ({
      known: new Map(),
      open: false,
      candidates: undefined,
    }));
    if (p.open) return NONE;
    const net = g.dest.origin;
    const seen = p.known.get(net);
    if (seen !== undefined) {
      // Refreshing the LRU order costs two map operations: once an hour is enough.
      if (now - seen > HOUR) {
        p.known.delete(net);
        p.known.set(net, now);
      }
      return NONE;
    }
    const learning = now - hostFirst < this.learningMs;
    if (now - hostFirst < this.startupMs) {
      this.remember(p, net, now, true);
      return NONE;
    }
    let c = p.candidates?.get(net);
    if (c && now - c.first > this.noveltyMs) {
      this.graduate(p, net, learning);
      return NONE;
    }
    if (!c) {
      c = {
        first: now,
        learning,
        last: now,
        bytes: 0,
        firstHour: 0,
        fired: 0,
        ip: g.ip,
        port: g.port,
        label: g.dest.label,
        evidence: [],
      };
      this.addCandidate(p, net, c, now, learning);
      if (p.open) return NONE;
    }
    c.last = now;
    c.bytes += g.bytes;
    if (now - c.first < HOUR) c.firstHour += g.bytes;
    if (c.evidence.length < CANDIDATE_EVIDENCE && (g.bytes > 0 || c.evidence.length === 0)) c.evidence.push(e.id);
    const threshold =
      !c.learning && c.firstHour >= this.cfg.firstHourBytes
        ? this.cfg.firstHourBytes
        : c.bytes >= this.cfg.cumulativeBytes
          ? this.cfg.cumulativeBytes
          : 0;
    if (threshold === 0 || (c.fired > 0 && c.bytes < 2 * c.fired)) return NONE;
    c.fired = c.bytes;
    return [this.finding(g.host, g.process, net, c, p, now, threshold, hostFirst)];
  }

  private remember(p: ProcessState, net: string, now: number, learning: boolean): void {
    if (p.known.size >= this.cfg.maxNetworksPerProcess) {
      if (learning) {
        p.open = true;
        p.known.clear();
        p.candidates = undefined;
        return;
      }
      const oldest = p.known.keys().next().value;
      if (oldest !== undefined) p.known.delete(oldest);
    }
    p.known.set(net, now);
  }

  /** A candidate whose novelty window passed is a known network. */
  private graduate(p: ProcessState, net: string, learning: boolean): void {
    const c = p.candidates?.get(net);
    if (!c) return;
    p.candidates?.delete(net);
    this.remember(p, net, c.last, learning);
  }

  private addCandidate(p: ProcessState, net: string, c: Candidate, now: number, learning: boolean): void {
    p.candidates ??= new Map();
    // Only when a new network appears: at most maxCandidatesPerProcess entries.
    const candidates = p.candidates;
    for (const [n, old] of candidates) if (now - old.first > this.noveltyMs) this.graduate(p, n, learning);
    if (candidates.size >= this.cfg.maxCandidatesPerProcess) {
      const oldest = candidates.keys().next().value;
      if (oldest !== undefined) this.graduate(p, oldest, learning);
    }
    // Graduating may have shown that the process talks to the world (see remember).
    if (!p.open) candidates.set(net, c);
  }

  private finding(
    host: string,
    process: string,
    net: string,
    c: Candidate,
    p: ProcessState,
    now: number,
    threshold: number,
    hostFirst: number,
  ): Finding {
    const firstHour = threshold === this.cfg.firstHourBytes && c.firstHour >= threshold;
    const score = scoreAbove(c.bytes, threshold, firstHour ? 55 : 50);
    const entity = `${host}/${process}->${net}`;
    const who = process === "?" ? `an unidentified process on ${host}` : `${process} on ${host}`;
    const rule = firstHour
      ? `threshold ${formatBytes(this.cfg.firstHourBytes)} in its first hour`
      : `threshold ${formatBytes(this.cfg.cumulativeBytes)} within ${this.cfg.noveltyHours} h`;
    return {
      id: findingId(newDestinationDetection.id, entity, c.first),
      ts: iso(now),
      detection: newDestinationDetection.id,
      stage: newDestinationDetection.stage,
      entity_type: "host_destination",
      entity,
      host,
      score,
      severity: severityOf(score),
      observed: c.bytes,
      expected: 0,
      window_start: iso(c.first),
      window_end: iso(now),
      evidence: [...c.evidence],
      summary: `${who} sent ${formatBytes(c.bytes)} to ${c.label} (${c.ip}:${c.port})${now > c.first ? ` in ${formatDuration(now - c.first)}` : ""}, a network it never talked to in ${formatDuration(c.first - hostFirst)} of history (networks known for it: ${p.known.size}; ${rule})`,
      details: {
        destination_ip: c.ip,
        destination_port: c.port,
        first_hour_bytes: c.firstHour,
        known_networks: p.known.size,
      },
    };
  }

  evict(before: number): number {
    return this.processes.evictIdle(before) + this.hosts.evictIdle(before);
  }

  size(): number {
    return this.processes.size + this.hosts.size;
  }

  snapshot(): unknown {
    return {
      hosts: this.hosts.snapshot((first) => first),
      processes: this.processes.snapshot(
        (p): ProcessSnapshot => ({
          known: [...p.known],
          open: p.open,
          candidates: p.candidates ? [...p.candidates] : null,
        }),
      ),
    };
  }

  restore(state: unknown): void {
    const st = state as { hosts: [string, number, number][]; processes: [string, number, ProcessSnapshot][] };
    this.hosts.restore(st.hosts, (first) => first);
    this.processes.restore(st.processes, (p) => ({
      known: new Map(p.known),
      open: p.open,
      candidates: p.candidates ? new Map(p.candidates) : undefined,
    }));
  }
}

export const newDestinationDetection: Detection<Config> = {
  id: "egress.new_destination",
  title: "Data sent to a network the host's process never talked to",
  stage: "exfiltration",
  attack: ["T1041", "T1048", "T1567", "T1020"],
  rationale:
    "Mail servers talk to a small, stable set of networks besides the MX hosts their MTA delivers to: update mirrors, monitoring, the backup provider. Stolen data goes to a network the attacker controls, which the host has never talked to; weighting by bytes keeps certificate checks and one-off lookups quiet, and a cumulative rule over the first day of a new network catches slow exfiltration that stays under any hourly volume threshold. The peers a mail operator would pick have no rule for outbound data at all (wazuh-ruleset #176).",
  falsePositives: [
    "A new partner, SaaS endpoint or backup target (add it to allowedDestinations), or a provider moving a service to a new ASN.",
    "A cloud-hosted dependency whose addresses rotate across networks without a known ASN (the /24 is then the unit).",
    "A newly deployed agent or tool on the host uploading its first data.",
  ],
  triage:
    "Look up the destination (ASN, owner, reputation) and what the process is (pid, command line, parent). Is there a change ticket for a new partner or tool? If not: block the destination at the egress firewall, preserve the process and its open files, and look for credential-access and auth findings on the same host in the days before.",
  method: "baseline",
  kinds: ["net", "agent"],
  key: "host",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new NewDestinationInstance(cfg, ctx),
};
