// agent.silent — a collector stops sending heartbeats. Killing or blinding
// the EDR agent is one of the first things an intruder with root does, and
// the silence is the only trace it leaves. Each host's heartbeat interval is
// learned (median of its recent gaps); the host is silent once no heartbeat
// came for max(silenceMultiplier × interval, minSilenceSeconds) of event time,
// which the other hosts' events keep moving (onTime). One finding per silence
// episode; the next heartbeat ends it. Deadlines wait in a min-heap, so a
// watermark tick costs O(log n) per due host, not a scan of all hosts.
import TinyQueue from "tinyqueue";
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, severityOf } from "../../core/finding.js";
import { EntityTable } from "../../state/entity-table.js";

const config = z.strictObject({
  /** The collectors' configured interval: used until a host's own gaps are known. */
  heartbeatSeconds: z.int().min(1).max(3600).default(30),
  silenceMultiplier: z.number().min(1.5).default(3),
  /** Never call a host silent sooner than this (a restart, a broker hiccup). */
  minSilenceSeconds: z.int().min(10).default(120),
  /** Heartbeats a host must have sent before its silence means something. */
  minHeartbeats: z.int().min(1).default(3),
  /** Decommissioned hosts: their silence is expected. */
  retiredHosts: z.array(z.string().min(1)).default([]),
  maxHosts: z.int().min(10).default(10_000),
});
type Config = z.infer<typeof config>;

/** Gaps remembered per host for the interval's median. */
const GAPS = 8;
const SCORE = 65;

interface HostState {
  last: number;
  count: number;
  gaps: number[];
  /** Heartbeat interval (ms): the median gap, or the declared interval before any gap. */
  interval: number;
  /** Silence limit (ms) after `last`. */
  limit: number;
  /** The episode starting at `last` was reported. */
  fired: boolean;
}

/** [deadline, host, last heartbeat]: stale once the host has sent a newer heartbeat. */
type Deadline = [number, string, number];

const byDeadline = (a: Deadline, b: Deadline) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2];

const NONE: Finding[] = [];

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

class SilentInstance implements DetectionInstance {
  private readonly hosts: EntityTable<HostState>;
  private deadlines = new TinyQueue<Deadline>([], byDeadline);
  private readonly retired: Set<string>;

  constructor(private readonly cfg: Config) {
    this.hosts = new EntityTable(cfg.maxHosts);
    this.retired = new Set(cfg.retiredHosts.map((h) => h.toLowerCase()));
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    if (e.action !== "heartbeat" || this.retired.has(e.host.toLowerCase())) return NONE;
    const declared = e.attrs?.interval_s;
    const h = this.hosts.upsert(e.host, now, () => ({
      last: now,
      count: 0,
      gaps: [],
      interval: 0,
      limit: 0,
      fired: false,
    }));
    if (h.count > 0) {
      if (now <= h.last) return NONE; // a late or duplicate heartbeat says nothing new
      h.gaps.push(now - h.last);
      if (h.gaps.length > GAPS) h.gaps.shift();
    }
    h.count += 1;
    h.last = now;
    h.fired = false;
    h.interval =
      h.gaps.length > 0
        ? medianOf(h.gaps)
        : (typeof declared === "number" && declared > 0 ? declared : this.cfg.heartbeatSeconds) * 1000;
    h.limit = Math.max(this.cfg.silenceMultiplier * h.interval, this.cfg.minSilenceSeconds * 1000);
    this.deadlines.push([now + h.limit, e.host, now]);
    return NONE;
  }

  onTime(now: number): Finding[] {
    let out = NONE;
    for (let d = this.deadlines.peek(); d !== undefined && d[0] < now; d = this.deadlines.peek()) {
      this.deadlines.pop();
      const [, host, last] = d;
      const h = this.hosts.get(host);
      if (h === undefined || h.last !== last || h.fired || h.count < this.cfg.minHeartbeats) continue;
      h.fired = true;
      if (out === NONE) out = [];
      out.push(this.finding(host, h, now));
    }
    return out;
  }

  private finding(host: string, h: HostState, now: number): Finding {
    const silentS = Math.round((now - h.last) / 1000);
    const intervalS = Math.round(h.interval / 1000);
    const limitS = Math.round(h.limit / 1000);
    const minutes = silentS >= 600 ? `${Math.round(silentS / 60)} min` : `${silentS} s`;
    return {
      id: findingId(silentDetection.id, host, h.last),
      ts: iso(now),
      detection: silentDetection.id,
      stage: silentDetection.stage,
      entity_type: "host",
      entity: host,
      host,
      score: SCORE,
      severity: severityOf(SCORE),
      observed: silentS,
      expected: intervalS,
      window_start: iso(h.last),
      window_end: iso(now),
      evidence: [],
      summary: `collector on ${host} silent for ${minutes} while other hosts keep reporting (last heartbeat ${iso(h.last)}; usually every ${intervalS} s; limit ${limitS} s)`,
      details: { last_heartbeat: iso(h.last), interval_s: intervalS, limit_s: limitS, heartbeats: h.count },
    };
  }

  evict(before: number): number {
    // Stale deadlines of evicted hosts are skipped when they come due.
    return this.hosts.evictIdle(before);
  }

  size(): number {
    return this.hosts.size;
  }

  snapshot(): unknown {
    return this.hosts.snapshot((h) => h);
  }

  restore(state: unknown): void {
    this.hosts.restore(state as [string, number, HostState][], (h) => ({ ...h, gaps: [...h.gaps] }));
    // Only live deadlines matter: the stale ones would be skipped anyway.
    const live: Deadline[] = [];
    for (const [host, { v }] of this.hosts.entries()) if (!v.fired) live.push([v.last + v.limit, host, v.last]);
    this.deadlines = new TinyQueue(live, byDeadline);
  }
}

export const silentDetection: Detection<Config> = {
  id: "agent.silent",
  title: "Collector went silent",
  stage: "defense_evasion",
  attack: ["T1562.001"],
  rationale:
    "An intruder with root on a mail server stops or blinds the EDR agent before the noisy part (reading the account store, staging, exfiltration). The agent's heartbeat then stops while the rest of the platform keeps reporting. Each host's heartbeat interval is learned, and a gap of several intervals — longer than a restart — is reported once per episode.",
  falsePositives: [
    "Planned maintenance longer than the silence limit (reboot with a slow fsck, a host migration): raise minSilenceSeconds for the window or acknowledge.",
    "The host or its network is down (a monitoring alert usually exists for that too).",
    "A decommissioned host: add it to retiredHosts.",
    "The collector cannot reach Kafka and its spool holds the heartbeats: they arrive late and the episode ends.",
  ],
  triage:
    "Is the host up (ping, monitoring)? If it is, log in out of band and check the collector service (systemctl status, journal: who stopped it, when), auditd and the sources' files. Treat an unexplained stop on a host that is up as a compromise until shown otherwise: look at the host's findings just before the silence, and at its logins (auth.*) and egress since.",
  method: "baseline",
  kinds: ["agent"],
  key: "host",
  config,
  defaults: config.parse({}),
  create: (cfg) => new SilentInstance(cfg),
};
