// egress.rare_process — a process that never connects out does. Per host, the
// processes seen connecting to external networks during a learning period are
// its normal talkers; after it, any other process connecting out is a finding
// (scored by the bytes it sends, re-fired as they pass 1 MB, 10 MB, 100 MB …
// within its first `noveltyHours`, after which it is a known talker). Daemons
// whose job never involves an outbound connection to the Internet — the
// directory, the database, Dovecot's auth process — are configured and fire
// from the first connection, even while the host is learning, and are never
// learned.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, severityOf } from "../../core/finding.js";
import { EntityTable } from "../../state/entity-table.js";
import {
  allowedDestinationSchema,
  Destinations,
  type Egress,
  formatBytes,
  formatDuration,
  HOUR,
  MB,
  NONE,
  newEgress,
  readEgress,
  UNKNOWN_PROCESS,
} from "./signals.js";

const config = z.strictObject({
  /** Hours of a host's data during which the processes that connect out are learned as its normal talkers. */
  learningHours: z.int().min(1).default(24),
  /**
   * Processes (comm, as `ss` shows it) that must never connect to an external
   * network: they fire at once, also while learning. `auth` is Dovecot's auth
   * process (its process title is `dovecot/auth`).
   */
  neverConnectOut: z.array(z.string().min(1)).default(["slapd", "mariadbd", "mysqld", "auth", "dovecot/auth"]),
  /** Processes allowed to connect out on any host without being learned (configuration management, agents). */
  allowedProcesses: z.array(z.string().min(1)).default([]),
  /** Bytes a newly seen (not never-connect) process must send before it is reported. */
  minBytes: z.int().min(0).default(0),
  /** How long a new talker's episode stays open (re-fired as its bytes grow); then it is known. */
  noveltyHours: z.int().min(1).default(24),
  /** Connections to these do not count (a partner, the backup target). */
  allowedDestinations: z.array(allowedDestinationSchema).default([]),
  maxProcessesPerHost: z.int().min(8).default(256),
  maxHosts: z.int().min(10).default(50_000),
});
type Config = z.infer<typeof config>;

interface Episode {
  start: number;
  last: number;
  bytes: number;
  /** Bytes at which it fires next (0 = on the first connection). */
  next: number;
  firstDest: string;
  evidence: string[];
}

interface HostState {
  first: number;
  /** Process → last outbound connection (ms), least recent first. */
  known: Map<string, number>;
  episodes: Map<string, Episode> | undefined;
}

interface HostSnapshot {
  first: number;
  known: [string, number][];
  episodes: [string, Episode][] | null;
}

/** The byte levels at which a new talker is reported again: 1 MB, 10 MB, 100 MB, … */
function nextLevel(bytes: number): number {
  let level = MB;
  while (level <= bytes) level *= 10;
  return level;
}

class RareProcessInstance implements DetectionInstance {
  private readonly hosts: EntityTable<HostState>;
  private readonly dests: Destinations;
  private readonly never: ReadonlySet<string>;
  private readonly allowed: ReadonlySet<string>;
  private readonly eg: Egress = newEgress();
  private readonly learningMs: number;
  private readonly noveltyMs: number;

  constructor(
    private readonly cfg: Config,
    ctx: DetectionContext,
  ) {
    this.hosts = new EntityTable(cfg.maxHosts);
    this.dests = new Destinations(ctx.networks, cfg.allowedDestinations);
    this.never = new Set(cfg.neverConnectOut);
    this.allowed = new Set(cfg.allowedProcesses);
    this.learningMs = cfg.learningHours * HOUR;
    this.noveltyMs = cfg.noveltyHours * HOUR;
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    // Zeek knows no processes: only the host's own sockets are read here. The
    // learning clock of a host starts with its agent (heartbeat or socket sample).
    if (e.source === "zeek-conn") return NONE;
    const h = this.hosts.upsert(e.host, now, () => ({ first: now, known: new Map(), episodes: undefined }));
    if (e.kind !== "net") return NONE;
    const g = this.eg;
    if (!readEgress(e, this.dests, g) || g.process === UNKNOWN_PROCESS) return NONE;
    const name = g.process;
    if (this.allowed.has(name) || this.dests.allowed(g.dest, g.host, name)) return NONE;
    const never = this.never.has(name);
    if (!never) {
      const seen = h.known.get(name);
      if (seen !== undefined) {
        if (now - seen > HOUR) {
          h.known.delete(name);
          h.known.set(name, now);
        }
        return NONE;
      }
      if (now - h.first < this.learningMs) {
        this.remember(h, name, now);
        return NONE;
      }
    }
    let ep = h.episodes?.get(name);
    if (ep && now - (never ? ep.last : ep.start) > this.noveltyMs) {
      // A new talker's window passed: it is known now. A never-connect
      // daemon quiet for a window starts a new episode.
      h.episodes?.delete(name);
      if (!never) {
        this.remember(h, name, now);
        return NONE;
      }
      ep = undefined;
    }
    if (!ep) {
      ep = {
        start: now,
        last: now,
        bytes: 0,
        next: 0,
        firstDest: `${g.dest.label} at ${g.ip}:${g.port}`,
        evidence: [],
      };
      this.addEpisode(h, name, ep, now);
    }
    ep.last = now;
    ep.bytes += g.bytes;
    if (ep.evidence.length < MAX_EVIDENCE) ep.evidence.push(e.id);
    if (!never && ep.bytes < this.cfg.minBytes) return NONE;
    if (ep.bytes < ep.next) return NONE;
    ep.next = nextLevel(ep.bytes);
    return [this.finding(e.host, name, h, ep, never, now)];
  }

  private remember(h: HostState, name: string, now: number): void {
    if (h.known.size >= this.cfg.maxProcessesPerHost) {
      const oldest = h.known.keys().next().value;
      if (oldest !== undefined) h.known.delete(oldest);
    }
    h.known.set(name, now);
  }

  private addEpisode(h: HostState, name: string, ep: Episode, now: number): void {
    h.episodes ??= new Map();
    if (h.episodes.size >= 32) {
      // Only when a new process appears: retire closed episodes, then the oldest.
      for (const [n, old] of h.episodes) {
        if (now - old.last > this.noveltyMs) {
          h.episodes.delete(n);
          if (!this.never.has(n)) this.remember(h, n, old.last);
        }
      }
      const oldest = h.episodes.size >= 32 ? h.episodes.keys().next().value : undefined;
      if (oldest !== undefined) h.episodes.delete(oldest);
    }
    h.episodes.set(name, ep);
  }

  private finding(host: string, name: string, h: HostState, ep: Episode, never: boolean, now: number): Finding {
    const mb = ep.bytes / MB;
    // A never-connect daemon starts high (70) and is critical from ~100 MB; a
    // new talker starts low (35) and is high from ~250 MB.
    const score = Math.min(99, Math.round(never ? 70 + 3 * Math.log2(1 + mb) : 35 + 6 * Math.log2(1 + mb)));
    const entity = `${host}/${name}`;
    const why = never
      ? `${name} is configured as never connecting out`
      : `first outbound connection of ${name} in ${formatDuration(ep.start - h.first)} of history; ${h.known.size} known talkers on ${host}`;
    return {
      id: findingId(rareProcessDetection.id, entity, ep.start),
      ts: iso(now),
      detection: rareProcessDetection.id,
      stage: rareProcessDetection.stage,
      entity_type: "host_process",
      entity,
      host,
      score,
      severity: severityOf(score),
      observed: ep.bytes,
      expected: 0,
      window_start: iso(ep.start),
      window_end: iso(now),
      evidence: [...ep.evidence],
      summary: `${name} on ${host} connected out (first to ${ep.firstDest}) and sent ${formatBytes(ep.bytes)}${now > ep.start ? ` in ${formatDuration(now - ep.start)}` : ""} (${why})`,
      details: { never_connects_out: never, first_destination: ep.firstDest, known_talkers: h.known.size },
    };
  }

  evict(before: number): number {
    return this.hosts.evictIdle(before);
  }

  size(): number {
    return this.hosts.size;
  }

  snapshot(): unknown {
    return this.hosts.snapshot(
      (h): HostSnapshot => ({
        first: h.first,
        known: [...h.known],
        episodes: h.episodes ? [...h.episodes] : null,
      }),
    );
  }

  restore(state: unknown): void {
    this.hosts.restore(state as [string, number, HostSnapshot][], (h) => ({
      first: h.first,
      known: new Map(h.known),
      episodes: h.episodes ? new Map(h.episodes) : undefined,
    }));
  }
}

export const rareProcessDetection: Detection<Config> = {
  id: "egress.rare_process",
  title: "A process that never connects out does",
  stage: "exfiltration",
  attack: ["T1041", "T1048", "T1071"],
  rationale:
    "On a mail platform few processes open connections to the Internet: the MTA's SMTP client, the package updater, monitoring agents. A directory server, a database or Dovecot's auth process connecting out means code running inside it or in its place (a webshell's child, an implant, a dump piped to a socket); a process never seen talking out before is the same signal with less certainty. Scored by the bytes it sends. The peers a mail operator would pick have no rule for outbound data at all (wazuh-ruleset #176).",
  falsePositives: [
    "A newly installed agent or tool, or an administrator's one-off download tool (curl, wget) on a server.",
    "A database or directory replicating to a replica outside the networks configured as internal (add the replica's network to the internal networks or allowedDestinations).",
    "A package update run that did not happen during the learning period (its helper processes appear new).",
  ],
  triage:
    "Who is the process (pid in the evidence: command line, parent, binary path and hash, start time)? Why would it connect out, and to whom (the destination's owner)? For a never-connect daemon treat it as compromise until shown otherwise: isolate the host or block the destination, capture memory and the process, and review credential-access findings on the host.",
  method: "baseline",
  kinds: ["net", "agent"],
  key: "host",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new RareProcessInstance(cfg, ctx),
};
