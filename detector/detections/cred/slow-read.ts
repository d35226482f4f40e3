// cred.slow_read — the account store read in chunks over days, each chunk
// small enough to pass for normal traffic. Per (host, principal), password
// records of multi-entry operations (single-entry per-login lookups never
// count) are summed over a sliding window of days; the principal's normal is
// the median of the same window total at the end of each of its past days
// (scaled up while it has fewer days than the window), so a nightly backup
// with a long steady history stays quiet and a principal that starts reading
// chunks does not. Fires when the window total reaches the absolute limit
// (or a fraction of the store, if its size is configured) and `ratio` × the
// principal's normal; rises (same id) as the total doubles.
import { median } from "simple-statistics";
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, severityOf } from "../../core/finding.js";
import { EntityTable } from "../../state/entity-table.js";
import { SlidingHourlySum } from "../../state/sliding-hourly-sum.js";
import {
  allowedPrincipalSchema,
  allowList,
  type CredRead,
  credReadOf,
  fmt,
  passwordAttribute,
  plural,
  type Store,
  span,
  UNITS,
} from "./reads.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const config = z.strictObject({
  windowDays: z.int().min(1).max(28).default(7),
  /** Password records of multi-entry reads within the window that always deserve a look… */
  minRecords: z.int().min(1).default(10_000),
  /** …or, when the store's size (entries with a password) is configured, this fraction of it, if lower. */
  storeSize: z.int().min(1).optional(),
  storeFraction: z.number().gt(0).max(1).default(0.05),
  /** Operations returning fewer records are per-login lookups: they never count. */
  chunkMinRecords: z.int().min(2).default(10),
  /** The window total must also reach this multiple of the principal's usual window total. */
  ratio: z.number().min(1).default(2),
  /** Days of window totals the usual is the median of. */
  historyDays: z.int().min(7).max(90).default(28),
  /** A host's first hours of chunked reads are learned, never reported (its backups, its exports). */
  learnHours: z.int().min(0).default(24),
  /** Allow-listed principals never fire (a backup host, an admin's export host). */
  allowedPrincipals: z.array(allowedPrincipalSchema).default([]),
  maxPrincipals: z.int().min(100).default(10_000),
  maxHosts: z.int().min(10).default(10_000),
});
type Config = z.infer<typeof config>;

interface Principal {
  store: Store;
  source: string;
  label: string;
  user: string | undefined;
  ip: string | undefined;
  /** UTC day index of the first chunk: days before it are not history. */
  firstDay: number;
  records: SlidingHourlySum;
  ops: SlidingHourlySum;
  /** Window totals at the end of each past day (scaled to a full window), oldest first. */
  history: number[];
  /** Median of `history`; -1 when a day closed since it was computed. */
  usual: number;
  /** [ts, event id] of the first chunks still inside the window. */
  evidence: [number, string][];
  /** Window total at the last emission, the limit first crossed, the episode's start; 0 when quiet. */
  fired: number;
  limit: number;
  start: number;
  score: number;
  allowed?: boolean;
}

const NONE: Finding[] = [];

class SlowReadInstance implements DetectionInstance {
  private readonly hosts: EntityTable<number>;
  private readonly principals: EntityTable<Principal>;
  private readonly allowed: (e: MailEvent) => boolean;
  private readonly windowMs: number;
  private readonly absLimit: number;

  constructor(
    private readonly cfg: Config,
    private readonly ctx: DetectionContext,
  ) {
    this.hosts = new EntityTable(cfg.maxHosts);
    this.principals = new EntityTable(cfg.maxPrincipals);
    this.allowed = allowList(cfg.allowedPrincipals);
    this.windowMs = cfg.windowDays * DAY;
    this.absLimit =
      cfg.storeSize !== undefined
        ? Math.max(1, Math.min(cfg.minRecords, Math.ceil(cfg.storeFraction * cfg.storeSize)))
        : cfg.minRecords;
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    if (e.kind !== "cred_access") return NONE;
    // The host's learning period starts with its first credential event of any kind.
    const learnUntil = this.hosts.upsert(e.host, now, () => now + this.cfg.learnHours * HOUR);
    if (e.records === undefined || e.records < this.cfg.chunkMinRecords) return NONE;
    const r = credReadOf(e, this.ctx.networks);
    if (r === undefined || r.store === "file") return NONE;
    const p = this.principals.upsert(`${e.host}\u0000${r.principal}`, now, () => this.newPrincipal(e, r, now));
    p.allowed ??= this.allowed(e);
    if (p.allowed) return NONE;

    const closeDay = (day: number, total: number) => this.closeDay(p, day, total);
    p.ops.add(now, 1);
    p.records.add(now, e.records, closeDay);
    const total = p.records.total(now);
    const windowStart = now - this.windowMs;
    while (p.evidence.length > 0 && (p.evidence[0] as [number, string])[0] <= windowStart) p.evidence.shift();
    if (p.evidence.length < MAX_EVIDENCE) p.evidence.push([now, e.id]);

    if (p.fired > 0 && total < p.limit) p.fired = 0; // the last episode aged out of the window
    if (now < learnUntil) return NONE;
    if (p.fired === 0) {
      if (p.usual < 0) p.usual = p.history.length > 0 ? median(p.history) : 0;
      const limit = Math.max(this.absLimit, this.cfg.ratio * p.usual);
      if (total < limit) return NONE;
      p.limit = limit;
      p.start = (p.evidence[0] as [number, string])[0];
    } else if (total < 2 * p.fired) {
      return NONE;
    }
    p.fired = total;
    // At the limit → 60, 10× → 72, 100× → 84.
    p.score = Math.min(99, Math.round(60 + 12 * Math.log10(total / p.limit)));
    return [this.finding(e, r, p, total, now)];
  }

  private closeDay(p: Principal, day: number, total: number): void {
    if (day < p.firstDay) return;
    const covered = Math.min(this.cfg.windowDays, day - p.firstDay + 1);
    p.history.push((total * this.cfg.windowDays) / covered);
    if (p.history.length > this.cfg.historyDays) p.history.shift();
    p.usual = -1;
  }

  private finding(e: MailEvent, r: CredRead, p: Principal, total: number, now: number): Finding {
    const host = e.host;
    const u = UNITS[p.store];
    const ops = p.ops.total(now);
    const verb =
      p.store === "ldap"
        ? `read ${passwordAttribute(e)} of ${plural(total, u.record, u.records)}`
        : `selected ${plural(total, u.record, u.records)} of ${r.object.replace(/^sql:/, "")}`;
    const usual =
      p.history.length === 0
        ? `no earlier multi-${u.record} reads`
        : `usual ${fmt(Math.round(p.usual))} per ${this.cfg.windowDays} d`;
    return {
      id: findingId(slowReadDetection.id, `${host}\u0000${r.principal}`, p.start),
      ts: iso(now),
      detection: slowReadDetection.id,
      stage: slowReadDetection.stage,
      entity_type: "principal",
      entity: p.user ?? p.label,
      host,
      ...(p.user !== undefined ? { user: p.user } : {}),
      ...(p.ip !== undefined ? { src_ip: p.ip } : {}),
      score: p.score,
      severity: severityOf(p.score),
      observed: total,
      expected: Math.round(p.usual),
      window_start: iso(p.start),
      window_end: iso(now),
      evidence: p.evidence.map(([, id]) => id),
      summary: `${p.source} on ${host}: ${p.label}${p.store === "ldap" && p.ip ? ` from ${p.ip}` : ""} ${verb} in ${plural(ops, `multi-${u.record} ${u.op}`, `multi-${u.record} ${u.ops}`)} over ${span(now - p.start)} (${this.cfg.windowDays}-day total; ${usual}; limit ${fmt(Math.round(p.limit))})`,
      details: {
        store: p.store,
        principal: p.label,
        window_days: this.cfg.windowDays,
        operations: ops,
        records: total,
        usual_window_records: Math.round(p.usual),
        limit: Math.round(p.limit),
        history_days: p.history.length,
      },
    };
  }

  private newPrincipal(e: MailEvent, r: CredRead, now: number): Principal {
    const hours = this.cfg.windowDays * 24;
    return {
      store: r.store,
      source: e.source,
      label: r.label,
      user: e.user,
      ip: e.src_ip,
      firstDay: Math.floor(now / DAY),
      records: new SlidingHourlySum(hours),
      ops: new SlidingHourlySum(hours),
      history: [],
      usual: 0,
      evidence: [],
      fired: 0,
      limit: 0,
      start: 0,
      score: 0,
    };
  }

  evict(before: number): number {
    return this.principals.evictIdle(before) + this.hosts.evictIdle(before);
  }

  size(): number {
    return this.principals.size;
  }

  snapshot(): unknown {
    return {
      hosts: this.hosts.snapshot((t) => t),
      principals: this.principals.snapshot(({ allowed: _, records, ops, ...rest }) => ({
        ...rest,
        records: records.toJSON(),
        ops: ops.toJSON(),
      })),
    };
  }

  restore(state: unknown): void {
    type Ring = ReturnType<SlidingHourlySum["toJSON"]>;
    type P = Omit<Principal, "records" | "ops"> & { records: Ring; ops: Ring };
    const s = state as { hosts: [string, number, number][]; principals: [string, number, P][] };
    const hours = this.cfg.windowDays * 24;
    this.hosts.restore(s.hosts, (t) => t);
    this.principals.restore(s.principals, (p) => ({
      ...p,
      records: SlidingHourlySum.from(p.records, hours),
      ops: SlidingHourlySum.from(p.ops, hours),
    }));
  }
}

export const slowReadDetection: Detection<Config> = {
  id: "cred.slow_read",
  title: "Credential store read in chunks over days",
  stage: "credential_access",
  attack: ["T1555", "T1213"],
  rationale:
    "An intruder who knows bulk reads are watched reads the store in chunks — a few thousand entries an hour, each search or query unremarkable — and in a 32-day intrusion that is the whole store several times over. Counting every password record of multi-entry reads per principal over a week, against what that principal normally reads in a week, shows the chunked read within hours of its start; the per-login lookups of the mail services (one entry each) never count.",
  falsePositives: [
    "A backup or sync job that started recently (allow-list its principal or host in allowedPrincipals; once it has a steady history it no longer fires).",
    "A migration or bulk provisioning job reading the directory in pages.",
    "A new service that resolves group memberships or aliases in multi-entry searches with password attributes requested (fix its attribute list).",
  ],
  triage:
    "Check who the principal is and where it connects from; compare the chunks' times with the principal's usual schedule. If there is no change ticket: treat every entry read in the window as exposed, rotate the principal's credentials, block the client, look for egress from the client host, and prepare the forced password reset of the accounts read.",
  method: "baseline",
  kinds: ["cred_access"],
  key: "host",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new SlowReadInstance(cfg, ctx),
};
