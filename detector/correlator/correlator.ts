// The correlator (DESIGN §5, `incident`): chains findings into incidents so
// that analysts work stories, not alerts. Pure and deterministic: it reads
// time only from findings (event time), holds no clock, draws no randomness;
// the same findings in the same order give the same incidents, ids and
// versions, and its state is a JSON snapshot checkpointed with the detector's.
//
// Every finding belongs to exactly one incident (a lone auth.bruteforce is a
// one-finding incident that keeps the finding's score and severity).
//
// Linking rules — a finding joins every OPEN incident it is linked to, and if
// there are several they are merged:
//  1. Same finding. A re-fire (same finding id, higher score) updates the
//     incident holding it, open or not; a re-delivery with no higher score
//     changes nothing (returns []).
//  2. Shared entity. The finding's link keys are
//       host:<name>    its `host`; an `entity_type: host` entity; and the host
//                      owning an internal address (cfg.hostAddresses inventory)
//       user:<name>    its `user`; a `user`/`principal`/`sender` entity
//       addr:<ip>      an internal `src_ip` (exact address: a /24 inside the
//                      platform holds unrelated servers)
//       net:<prefix>   the /24 (/48) of an outside `src_ip`, or a `src_net` entity
//       asn:AS<n>      the ASN of an outside `src_ip`, or an `asn` entity
//                      (cfg.linkByAsn: attackers rotate inside their hoster)
//     and the same for `details.dst_ip` when a finding carries one (an egress
//     destination), so exfiltration to a network links a later login from it.
//     Both `host` and `src_ip` key a finding, so a read on ldap1 from web1's
//     address (host:ldap1, addr:10.0.1.5) and egress from web1 (host:web1,
//     addr:10.0.1.5) meet on the address, and with the inventory a read from
//     web1's address links to web1 directly. Values listed in cfg.neverLink
//     (a NAT gateway, a big cloud ASN, a front door hammered by internet
//     noise) are not used as keys.
//  3. Time + stage (cfg.credentialUseAfterDump). A `stolen_credential_use`
//     finding none of whose linked incidents holds credential access also joins
//     the open incident with the most recent credential_access finding before
//     it, within the horizon: a mass takeover after a credential dump is the
//     story, even when the logins come from a network never seen before. Both
//     findings must score at least cfg.dumpLinkMinScore.
//  An incident is OPEN for a finding at time t while t is within the horizon
//  (cfg.horizonDays, default 14) of its last update and within cfg.maxSpanDays
//  of its opening (so steady background noise cannot keep one incident open
//  forever). Merging: the incident opened first (ties: smaller id) survives,
//  takes the others' findings, keys and lists and records their ids in
//  `merged_ids`; each absorbed incident is returned one last time with a new
//  version and `merged_into` set, then forgotten.
//
// Escalation — an incident outranks its parts:
//   one finding:  the finding's score and severity.
//   otherwise:    score = max finding score + cfg.stageBonus (10) per distinct
//                 stage beyond the first, at least 70 with ≥ 2 stages and 90
//                 with credential_access + (exfiltration or
//                 stolen_credential_use), capped at 100; severity =
//                 severityOf(score), never below the worst finding's.
//   So ≥ 2 stages is at least `high`, a dump plus its use or exit `critical`.
//
// Ids and versions: id = hash of the first finding's id and the event time it
// opened at (a finding that re-fires after its incident was evicted opens a new
// id rather than overwriting the old one's history); version starts at 1 and
// increments with each update; the store keeps the highest version.
//
// Bounded memory: incidents live in a Map in least-recently-updated order,
// capped at cfg.maxIncidents (the stalest is closed first); each incident
// indexes at most cfg.maxKeysPerIncident keys and cfg.maxFindingsPerIncident
// finding ids (later ones are counted, not listed); lists are capped at
// cfg.maxListItems. evict(before) forgets incidents not updated since then;
// callers evict at (watermark − horizon), after which nothing could join them.
import { hash } from "node:crypto";
import { z } from "zod";
import type { DetectionContext } from "../core/detection.js";
import { type Finding, iso, SEVERITIES, type Severity, STAGES, type Stage, severityOf } from "../core/finding.js";
import { pathOf, phrase } from "./summary.js";

const DAY_MS = 86_400_000;

export const correlatorConfig = z.strictObject({
  /** A finding joins an incident updated at most this long before it. */
  horizonDays: z.number().positive().max(365).default(14),
  /** An incident opened longer ago than this takes no new findings (re-fires excepted). */
  maxSpanDays: z.number().positive().max(3650).default(90),
  /** Link outside addresses by their ASN, not only their /24 (/48). */
  linkByAsn: z.boolean().default(true),
  /** Host names, accounts, addresses, networks ("203.0.113.0/24") or ASNs ("AS16509") never used to link. */
  neverLink: z.array(z.string()).default([]),
  /** Inventory: host name → its internal addresses, so activity from an address links to its host. */
  hostAddresses: z.record(z.string(), z.array(z.string())).default({}),
  /** Rule 3: stolen credential use joins the latest open incident with credential access. */
  credentialUseAfterDump: z.boolean().default(true),
  /** Rule 3 applies only to findings (the dump and the use) scoring at least this. */
  dumpLinkMinScore: z.int().min(0).max(100).default(40),
  /** Score added per distinct stage beyond the first. */
  stageBonus: z.int().min(0).max(50).default(10),
  maxIncidents: z.int().min(1).default(20_000),
  maxKeysPerIncident: z.int().min(1).default(200),
  maxFindingsPerIncident: z.int().min(1).default(1_000),
  maxListItems: z.int().min(1).default(100),
});
export type CorrelatorConfig = z.infer<typeof correlatorConfig>;
export type CorrelatorConfigInput = z.input<typeof correlatorConfig>;

/** One version of an incident; the fields of the `incidents` table plus three. */
export interface Incident {
  id: string;
  version: number;
  opened_at: string;
  updated_at: string;
  severity: Severity;
  score: number;
  /** Distinct, in kill-chain order. */
  stages: Stage[];
  entities: string[];
  hosts: string[];
  users: string[];
  src_ips: string[];
  /** Capped at maxFindingsPerIncident; `finding_count` is the true number. */
  finding_ids: string[];
  summary: string;
  finding_count: number;
  /** Incidents merged into this one. */
  merged_ids: string[];
  /** Set on the last version of an incident merged into another. */
  merged_into?: string;
}

export interface Correlator {
  /**
   * Correlates one finding. Returns the incidents it created or updated, as
   * full current versions: first the incident the finding now belongs to,
   * then any incidents merged into it (with `merged_into`). Empty when the
   * finding was already correlated with this score or higher.
   */
  onFinding(f: Finding): Incident[];
  /** The incident a finding was correlated into (while it is held and listed). */
  incidentOf(findingId: string): string | undefined;
  /** The current version of an incident held in memory. */
  get(id: string): Incident | undefined;
  /** Current versions of every incident held, least recently updated first. */
  incidents(): Incident[];
  /** Forgets incidents not updated since `before` (ms); returns how many. */
  evict(before: number): number;
  /** Incidents held. */
  size(): number;
  snapshot(): CorrelatorSnapshot;
  restore(state: unknown): void;
  readonly horizonMs: number;
}

/** The strongest finding of one stage: what the summary quotes. */
interface StageTop {
  finding_id: string;
  detection: string;
  score: number;
  severity: Severity;
  observed: number;
  /** The finding's `details.store`, what `observed` counts (absent in older checkpoints). */
  store?: string;
  summary: string;
}

interface IncidentState {
  id: string;
  version: number;
  openedAt: number;
  updatedAt: number;
  findingCount: number;
  findingIds: string[];
  maxScore: number;
  maxSeverity: Severity;
  tops: Partial<Record<Stage, StageTop>>;
  /** Event time of the latest credential_access finding scoring ≥ dumpLinkMinScore. */
  dumpAt: number | null;
  entities: string[];
  hosts: string[];
  users: string[];
  srcIps: string[];
  /** Outside networks involved (ASN label, else /24), first seen first. */
  outside: string[];
  keys: string[];
  mergedIds: string[];
}

export interface CorrelatorSnapshot {
  v: 1;
  incidents: IncidentState[];
  /** Link key → incident id. */
  index: [string, string][];
  /** Finding id → [incident id, highest score correlated]. */
  findings: [string, [string, number]][];
}

/** What one finding contributes: its link keys and the names it adds to the lists. */
interface Facts {
  keys: string[];
  hosts: string[];
  users: string[];
  outside: string[];
}

const rank = (s: Severity): number => SEVERITIES.indexOf(s);
const maxSeverity = (a: Severity, b: Severity): Severity => (rank(a) >= rank(b) ? a : b);
const USER_ENTITIES = new Set(["user", "principal", "sender"]);

export function incidentId(firstFindingId: string, openedAt: number): string {
  return hash("sha256", `incident\u0000${firstFindingId}\u0000${openedAt}`).slice(0, 32);
}

function pushCapped(list: string[], value: string | undefined, cap: number): void {
  if (value === undefined || value === "" || list.length >= cap || list.includes(value)) return;
  list.push(value);
}

class CorrelatorImpl implements Correlator {
  readonly horizonMs: number;
  private readonly maxSpanMs: number;
  private readonly neverLink: Set<string>;
  private readonly hostOf = new Map<string, string>();
  /** Least recently updated first. */
  private incidentsById = new Map<string, IncidentState>();
  private index = new Map<string, string>();
  private findingIndex = new Map<string, [string, number]>();

  constructor(
    private readonly cfg: CorrelatorConfig,
    private readonly ctx: DetectionContext,
  ) {
    this.horizonMs = cfg.horizonDays * DAY_MS;
    this.maxSpanMs = cfg.maxSpanDays * DAY_MS;
    this.neverLink = new Set(cfg.neverLink);
    for (const host of Object.keys(cfg.hostAddresses).sort()) {
      for (const ip of cfg.hostAddresses[host] ?? []) if (!this.hostOf.has(ip)) this.hostOf.set(ip, host);
    }
  }

  onFinding(f: Finding): Incident[] {
    const t = Date.parse(f.ts);
    if (!Number.isFinite(t)) throw new RangeError(`finding ${f.id}: invalid ts ${JSON.stringify(f.ts)}`);
    const known = this.findingIndex.get(f.id);
    if (known && f.score <= known[1]) return [];
    const facts = this.facts(f);

    const linked = new Map<string, IncidentState>();
    const home = known ? this.incidentsById.get(known[0]) : undefined;
    if (home) linked.set(home.id, home);
    for (const key of facts.keys) {
      const id = this.index.get(key);
      const inc = id === undefined ? undefined : this.incidentsById.get(id);
      if (inc && this.isOpen(inc, t)) linked.set(inc.id, inc);
    }
    if (
      f.stage === "stolen_credential_use" &&
      this.cfg.credentialUseAfterDump &&
      f.score >= this.cfg.dumpLinkMinScore &&
      ![...linked.values()].some((i) => i.tops.credential_access !== undefined)
    ) {
      const dump = this.latestDump(t);
      if (dump) linked.set(dump.id, dump);
    }

    const out: Incident[] = [];
    let target: IncidentState;
    if (linked.size === 0) {
      target = this.open(f, t);
    } else {
      const [first, ...rest] = [...linked.values()].sort((a, b) =>
        a.openedAt !== b.openedAt ? a.openedAt - b.openedAt : a.id < b.id ? -1 : 1,
      );
      target = first as IncidentState;
      for (const other of rest) out.push(this.absorb(target, other));
    }
    this.apply(target, f, t, facts);
    target.version += 1;
    this.touch(target);
    this.enforceCap(target.id);
    return [this.render(target), ...out];
  }

  incidentOf(findingId: string): string | undefined {
    return this.findingIndex.get(findingId)?.[0];
  }

  get(id: string): Incident | undefined {
    const s = this.incidentsById.get(id);
    return s ? this.render(s) : undefined;
  }

  incidents(): Incident[] {
    return [...this.incidentsById.values()].map((s) => this.render(s));
  }

  evict(before: number): number {
    let n = 0;
    for (const inc of [...this.incidentsById.values()]) {
      if (inc.updatedAt >= before) continue;
      this.drop(inc);
      n += 1;
    }
    return n;
  }

  size(): number {
    return this.incidentsById.size;
  }

  snapshot(): CorrelatorSnapshot {
    return structuredClone({
      v: 1,
      incidents: [...this.incidentsById.values()],
      index: [...this.index],
      findings: [...this.findingIndex],
    });
  }

  restore(state: unknown): void {
    const s = state as Partial<CorrelatorSnapshot> | null;
    if (s?.v !== 1 || !Array.isArray(s.incidents) || !Array.isArray(s.index) || !Array.isArray(s.findings)) {
      throw new TypeError("correlator snapshot: unknown format");
    }
    const copy = structuredClone(s as CorrelatorSnapshot);
    this.incidentsById = new Map(copy.incidents.map((i) => [i.id, i]));
    this.index = new Map(copy.index);
    this.findingIndex = new Map(copy.findings);
  }

  // --- linking ---------------------------------------------------------------

  private facts(f: Finding): Facts {
    const { networks } = this.ctx;
    const keys: string[] = [];
    const hosts: string[] = [];
    const users: string[] = [];
    const outside: string[] = [];
    const key = (kind: string, value: string) => {
      if (value === "" || this.neverLink.has(value)) return;
      const k = `${kind}:${value}`;
      if (!keys.includes(k)) keys.push(k);
    };
    const host = (name: string | undefined) => {
      if (!name) return;
      if (!hosts.includes(name)) hosts.push(name);
      key("host", name);
    };
    const user = (name: string | undefined) => {
      if (!name) return;
      if (!users.includes(name)) users.push(name);
      key("user", name);
    };
    const place = (label: string) => {
      if (!outside.includes(label)) outside.push(label);
    };
    const address = (ip: string | undefined) => {
      if (!ip || this.neverLink.has(ip)) return;
      if (networks.isInternal(ip)) {
        host(this.hostOf.get(ip));
        key("addr", ip);
        return;
      }
      const net = networks.network(ip);
      const as = networks.asn(ip);
      const asLabel = as ? `AS${as.asn}` : undefined;
      if (this.neverLink.has(net) || (asLabel && this.neverLink.has(asLabel))) return;
      place(asLabel ?? net);
      key("net", net);
      if (asLabel && this.cfg.linkByAsn) key("asn", asLabel);
    };

    // The source side first, so a path reads from where activity came from.
    address(f.src_ip);
    if (f.entity_type === "src_ip" && f.entity !== f.src_ip) address(f.entity);
    if (f.entity_type === "src_net" && !this.neverLink.has(f.entity)) {
      // Named once: by the ASN its address already gave, else by the network.
      if (!f.src_ip || networks.network(f.src_ip) !== f.entity) place(f.entity);
      key("net", f.entity);
    }
    if (f.entity_type === "asn") {
      const label = /^\d+$/.test(f.entity) ? `AS${f.entity}` : f.entity;
      if (!this.neverLink.has(label)) {
        place(label);
        if (this.cfg.linkByAsn) key("asn", label);
      }
    }
    host(f.host);
    if (f.entity_type === "host") host(f.entity);
    user(f.user);
    if (USER_ENTITIES.has(f.entity_type)) user(f.entity);
    const dst = f.details?.dst_ip;
    if (typeof dst === "string") address(dst);
    return { keys, hosts, users, outside };
  }

  private isOpen(inc: IncidentState, t: number): boolean {
    return (
      t - inc.updatedAt <= this.horizonMs && inc.openedAt - t <= this.horizonMs && t - inc.openedAt <= this.maxSpanMs
    );
  }

  /** Rule 3: the open incident whose credential dump is the most recent before `t`. */
  private latestDump(t: number): IncidentState | undefined {
    let best: IncidentState | undefined;
    for (const inc of this.incidentsById.values()) {
      const at = inc.dumpAt;
      if (at === null || at > t || t - at > this.horizonMs || !this.isOpen(inc, t)) continue;
      if (!best || at > (best.dumpAt as number) || (at === best.dumpAt && inc.id < best.id)) best = inc;
    }
    return best;
  }

  // --- state -----------------------------------------------------------------

  private open(f: Finding, t: number): IncidentState {
    const inc: IncidentState = {
      id: incidentId(f.id, t),
      version: 0,
      openedAt: t,
      updatedAt: t,
      findingCount: 0,
      findingIds: [],
      maxScore: 0,
      maxSeverity: "low",
      tops: {},
      dumpAt: null,
      entities: [],
      hosts: [],
      users: [],
      srcIps: [],
      outside: [],
      keys: [],
      mergedIds: [],
    };
    this.incidentsById.set(inc.id, inc);
    return inc;
  }

  private apply(inc: IncidentState, f: Finding, t: number, facts: Facts): void {
    const cap = this.cfg.maxListItems;
    const known = this.findingIndex.get(f.id);
    if (known) {
      this.findingIndex.set(f.id, [inc.id, Math.max(known[1], f.score)]);
    } else {
      inc.findingCount += 1;
      if (inc.findingIds.length < this.cfg.maxFindingsPerIncident) {
        inc.findingIds.push(f.id);
        this.findingIndex.set(f.id, [inc.id, f.score]);
      }
    }
    const top = inc.tops[f.stage];
    if (!top || top.finding_id === f.id || f.score > top.score) {
      inc.tops[f.stage] = {
        finding_id: f.id,
        detection: f.detection,
        score: top?.finding_id === f.id ? Math.max(top.score, f.score) : f.score,
        severity: f.severity,
        observed: f.observed,
        ...(typeof f.details?.store === "string" && { store: f.details.store }),
        summary: f.summary,
      };
    }
    inc.maxScore = Math.max(inc.maxScore, f.score);
    inc.maxSeverity = maxSeverity(inc.maxSeverity, f.severity);
    inc.openedAt = Math.min(inc.openedAt, t);
    inc.updatedAt = Math.max(inc.updatedAt, t);
    if (f.stage === "credential_access" && f.score >= this.cfg.dumpLinkMinScore) {
      inc.dumpAt = Math.max(inc.dumpAt ?? t, t);
    }
    pushCapped(inc.entities, f.entity, cap);
    for (const h of facts.hosts) pushCapped(inc.hosts, h, cap);
    for (const u of facts.users) pushCapped(inc.users, u, cap);
    pushCapped(inc.srcIps, f.src_ip, cap);
    for (const o of facts.outside) pushCapped(inc.outside, o, cap);
    for (const k of facts.keys) this.indexKey(inc, k);
  }

  private indexKey(inc: IncidentState, k: string): void {
    if (inc.keys.includes(k)) {
      this.index.set(k, inc.id);
    } else if (inc.keys.length < this.cfg.maxKeysPerIncident) {
      inc.keys.push(k);
      this.index.set(k, inc.id);
    }
  }

  /** Moves `other` into `target`; returns `other`'s last version. */
  private absorb(target: IncidentState, other: IncidentState): Incident {
    const cap = this.cfg.maxListItems;
    for (const k of other.keys) {
      if (this.index.get(k) !== other.id) continue;
      this.index.delete(k);
      this.indexKey(target, k);
    }
    for (const fid of other.findingIds) {
      const entry = this.findingIndex.get(fid);
      if (!entry || entry[0] !== other.id) continue;
      if (target.findingIds.length < this.cfg.maxFindingsPerIncident) {
        if (!target.findingIds.includes(fid)) target.findingIds.push(fid);
        this.findingIndex.set(fid, [target.id, entry[1]]);
      } else {
        this.findingIndex.delete(fid);
      }
    }
    target.findingCount += other.findingCount;
    for (const stage of STAGES) {
      const theirs = other.tops[stage];
      const ours = target.tops[stage];
      if (theirs && (!ours || theirs.score > ours.score)) target.tops[stage] = theirs;
    }
    target.maxScore = Math.max(target.maxScore, other.maxScore);
    target.maxSeverity = maxSeverity(target.maxSeverity, other.maxSeverity);
    target.openedAt = Math.min(target.openedAt, other.openedAt);
    target.updatedAt = Math.max(target.updatedAt, other.updatedAt);
    if (other.dumpAt !== null) target.dumpAt = Math.max(target.dumpAt ?? other.dumpAt, other.dumpAt);
    for (const x of other.entities) pushCapped(target.entities, x, cap);
    for (const x of other.hosts) pushCapped(target.hosts, x, cap);
    for (const x of other.users) pushCapped(target.users, x, cap);
    for (const x of other.srcIps) pushCapped(target.srcIps, x, cap);
    for (const x of other.outside) pushCapped(target.outside, x, cap);
    for (const x of [other.id, ...other.mergedIds]) if (!target.mergedIds.includes(x)) target.mergedIds.push(x);

    other.version += 1;
    const last = { ...this.render(other), merged_into: target.id };
    last.summary = `Merged into incident ${target.id}: ${last.summary}`;
    this.incidentsById.delete(other.id);
    return last;
  }

  private touch(inc: IncidentState): void {
    this.incidentsById.delete(inc.id);
    this.incidentsById.set(inc.id, inc);
  }

  private enforceCap(keep: string): void {
    while (this.incidentsById.size > this.cfg.maxIncidents) {
      let stalest: IncidentState | undefined;
      for (const inc of this.incidentsById.values()) {
        if (inc.id === keep) continue;
        stalest = inc;
        break;
      }
      if (!stalest) return;
      this.drop(stalest);
    }
  }

  private drop(inc: IncidentState): void {
    for (const k of inc.keys) if (this.index.get(k) === inc.id) this.index.delete(k);
    for (const fid of inc.findingIds) if (this.findingIndex.get(fid)?.[0] === inc.id) this.findingIndex.delete(fid);
    this.incidentsById.delete(inc.id);
  }

  // --- output ----------------------------------------------------------------

  private render(s: IncidentState): Incident {
    const stages = STAGES.filter((st) => s.tops[st] !== undefined);
    let score: number;
    let severity: Severity;
    let summary: string;
    const sole = s.findingCount === 1 ? Object.values(s.tops)[0] : undefined;
    if (sole) {
      score = sole.score;
      severity = sole.severity;
      summary = sole.summary;
    } else {
      const has = (st: Stage) => s.tops[st] !== undefined;
      let floor = 0;
      if (stages.length >= 2) floor = 70;
      if (has("credential_access") && (has("exfiltration") || has("stolen_credential_use"))) floor = 90;
      score = Math.min(100, Math.max(s.maxScore + this.cfg.stageBonus * (stages.length - 1), floor));
      severity = maxSeverity(severityOf(score), s.maxSeverity);
      const phrases = stages.map((st) => {
        const top = s.tops[st] as StageTop;
        return phrase(top.detection, st, top.observed, top.store);
      });
      summary = `${pathOf(s.hosts, s.outside, s.users)}: ${phrases.join(", ")}`;
    }
    return {
      id: s.id,
      version: s.version,
      opened_at: iso(s.openedAt),
      updated_at: iso(s.updatedAt),
      severity,
      score,
      stages,
      entities: [...s.entities],
      hosts: [...s.hosts],
      users: [...s.users],
      src_ips: [...s.srcIps],
      finding_ids: [...s.findingIds],
      summary,
      finding_count: s.findingCount,
      merged_ids: [...s.mergedIds],
    };
  }
}

/** A correlator with `cfg` (defaults filled in, unknown keys rejected) over the network facts of `ctx`. */
export function createCorrelator(cfg: CorrelatorConfigInput, ctx: DetectionContext): Correlator {
  return new CorrelatorImpl(correlatorConfig.parse(cfg), ctx);
}
