// cred.bulk_read — something reads the account store in bulk. Four signals,
// per (host, principal), folded into one finding per episode:
//   bulk_op     one LDAP search / SQL select returns password data of many
//               entries at once (records per operation ≥ bulkRecordsPerOp);
//   volume      the principal's password records this hour far above its own
//               baseline (median/MAD of records per hour, all hours and the
//               same hour of day; at least hourlyRatio × the median), once the
//               baseline is warm;
//   volume_cold before that, records of multi-entry operations this hour
//               above an absolute limit (single-entry per-login lookups never
//               count toward it);
//   first_seen  a reader never seen reading that object on that host (a
//               passwd-file or shadow read by php-fpm), after the host's
//               learning period.
// The finding fires on the event that crosses a limit, with the event's time
// (seconds, not a window later), and rises (same id) as the episode grows.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, severityOf } from "../../core/finding.js";
import { EntityTable } from "../../state/entity-table.js";
import { HourlyBaseline } from "../../state/hourly-baseline.js";
import { RecentSet } from "../../state/recent-set.js";
import {
  allowedPrincipalSchema,
  allowList,
  type CredRead,
  credReadOf,
  fmt,
  LDAP_PASSWORDS,
  passwordAttribute,
  plural,
  type Store,
  UNITS,
} from "./reads.js";

const HOUR = 3_600_000;

const config = z.strictObject({
  /** One search/select returning password data of at least this many entries is a bulk read. */
  bulkRecordsPerOp: z.int().min(2).default(100),
  /** Until a principal's baseline is warm: records of multi-entry operations in one hour. */
  coldHourlyRecords: z.int().min(1).default(1000),
  /** Operations returning fewer records are single lookups: they never count toward the cold limit. */
  chunkMinRecords: z.int().min(2).default(10),
  /** Warm baseline: never fire below this many records in an hour… */
  minHourlyRecords: z.int().min(1).default(1000),
  /** …nor below median + sigmas × MAD-σ… */
  sigmas: z.number().min(1).default(8),
  /** …nor below this multiple of the median (a busy day is not a dump). */
  hourlyRatio: z.number().min(1).default(10),
  baselineHours: z
    .int()
    .min(24)
    .max(24 * 28)
    .default(168),
  /** Hours of history before a principal's own baseline replaces the cold limit. */
  warmupHours: z.int().min(1).default(24),
  /** A host's first hours of credential reads teach who reads what; no first_seen findings meanwhile. */
  learnHours: z.int().min(0).default(24),
  /** Suspicious reads of a principal less than this apart belong to one episode (one finding). */
  episodeGapMinutes: z
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  /** Allow-listed principals never fire (a backup host, an admin's export host). */
  allowedPrincipals: z.array(allowedPrincipalSchema).default([]),
  /**
   * The system's own authenticators, whose job is to read the shadow file:
   * their reads are never "a reader never seen before". Kept apart from
   * allowedPrincipals so a site's allow-list does not replace them.
   */
  systemReaders: z
    .array(z.string().min(1))
    .default([
      "/usr/sbin/sshd",
      "/usr/sbin/unix_chkpwd",
      "/usr/bin/passwd",
      "/usr/bin/su",
      "/usr/bin/sudo",
      "/usr/bin/login",
      "/usr/sbin/cron",
      "/usr/lib/openssh/sshd-session",
      "/usr/sbin/chpasswd",
    ]),
  maxPrincipals: z.int().min(100).default(10_000),
  /** Host × object pairs whose readers are remembered. */
  maxObjects: z.int().min(100).default(10_000),
  /** Readers remembered per host × object (least recently seen dropped first). */
  maxReadersPerObject: z.int().min(16).default(1024),
  maxHosts: z.int().min(10).default(10_000),
});
type Config = z.infer<typeof config>;

const BULK_OP = 1;
const VOLUME = 2;
const VOLUME_COLD = 4;
const FIRST_SEEN = 8;
const SIGNAL_NAMES: [number, string][] = [
  [BULK_OP, "bulk_op"],
  [VOLUME, "volume"],
  [VOLUME_COLD, "volume_cold"],
  [FIRST_SEEN, "first_seen"],
];

interface Episode {
  start: number;
  last: number;
  signals: number;
  ops: number;
  records: number;
  /** Reads of the episode whose size was not logged (not in `ops`). */
  unsized: number;
  maxOp: number;
  failed: number;
  /** Records this hour and the limit they crossed (volume signals). */
  hourTotal: number;
  hourLimit: number;
  objects: string[];
  newObjects: string[];
  evidence: string[];
  score: number;
  /** Volume (records; reads for files) at the last emitted finding. */
  emitted: number;
}

interface Principal {
  store: Store;
  source: string;
  label: string;
  user: string | undefined;
  ip: string | undefined;
  exe: string | undefined;
  /** First operation (kept until the second creates the baseline: most principals read once). */
  first: number;
  firstRecords: number;
  /** Operations seen, episodes included. */
  n: number;
  /** Operations and records outside episodes: the principal's usual size of an operation. */
  ops: number;
  records: number;
  baseline: HourlyBaseline | null;
  /** Start of the current hour (ms); operations in it; records and operations of multi-entry operations in it. */
  hour: number;
  hourOps: number;
  chunk: number;
  chunkOps: number;
  /** Warm-baseline limit cached for the hour `limitHour` (the baseline only changes when an hour closes). */
  limitHour: number;
  limit: number;
  median: number;
  warm: boolean;
  /** Allow-list verdict (stable per principal: host, user/exe and address are in its key); not snapshotted. */
  allowed?: boolean;
  ep: Episode | null;
}

interface HostState {
  learnUntil: number;
}

const NONE: Finding[] = [];

class BulkReadInstance implements DetectionInstance {
  private readonly hosts: EntityTable<HostState>;
  private readonly principals: EntityTable<Principal>;
  private readonly readers: EntityTable<RecentSet>;
  private readonly allowed: (e: MailEvent) => boolean;
  private readonly gapMs: number;

  constructor(
    private readonly cfg: Config,
    private readonly ctx: DetectionContext,
  ) {
    this.hosts = new EntityTable(cfg.maxHosts);
    this.principals = new EntityTable(cfg.maxPrincipals);
    this.readers = new EntityTable(cfg.maxObjects);
    this.allowed = allowList([...cfg.allowedPrincipals, ...cfg.systemReaders.map((principal) => ({ principal }))]);
    this.gapMs = cfg.episodeGapMinutes * 60_000;
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    const r = credReadOf(e, this.ctx.networks);
    if (r === undefined) return NONE;
    const cfg = this.cfg;
    const host = this.hosts.upsert(e.host, now, () => ({ learnUntil: now + cfg.learnHours * HOUR }));
    const p = this.principals.upsert(`${e.host}\u0000${r.principal}`, now, () => newPrincipal(e, r, now));
    p.allowed ??= this.allowed(e);
    if (p.allowed) return NONE;

    // Accounting: the baseline counts every record (a busy hour of single
    // lookups is still records), the cold limit only multi-entry operations.
    // Reads whose size was not logged (a search cut off before its result, a
    // server_audit statement) are attributed but not counted.
    const n = r.records ?? 0;
    const sized = r.records !== undefined;
    const hour = now - (now % HOUR);
    let signals = 0;
    let hourTotal = 0;
    let hourLimit = 0;
    if (sized) {
      if (hour !== p.hour) {
        p.hour = hour;
        p.hourOps = 0;
        p.chunk = 0;
        p.chunkOps = 0;
      }
      p.hourOps += 1;
      if (n >= cfg.chunkMinRecords) {
        p.chunk += n;
        p.chunkOps += 1;
      }
      p.n += 1;
      if (p.baseline === null && p.n > 1) {
        p.baseline = new HourlyBaseline(cfg.baselineHours, cfg.warmupHours);
        p.baseline.add(p.first, p.firstRecords);
      }
      if (p.baseline !== null) {
        p.baseline.add(now, n);
        if (p.limitHour !== hour) this.refreshLimit(p, now, hour);
      }
      if (r.store !== "file" && n >= cfg.bulkRecordsPerOp) signals |= BULK_OP;
      if (p.warm && p.baseline !== null) {
        hourTotal = p.baseline.currentTotal(now);
        if (hourTotal >= p.limit) {
          signals |= VOLUME;
          hourLimit = p.limit;
        }
      } else if (p.chunk >= cfg.coldHourlyRecords) {
        signals |= VOLUME_COLD;
        hourTotal = p.chunk;
        hourLimit = cfg.coldHourlyRecords;
      }
    }
    // Rarity: every file read; network reads of more than one entry, or of an
    // unknown number (a single-entry lookup — a user reading its own entry,
    // the per-login lookup — is nobody's first bulk read).
    if (r.store === "file" || !sized || n > 1) {
      const key = `${e.host}\u0000${r.object}`;
      const set = this.readers.upsert(key, now, () => new RecentSet(cfg.maxReadersPerObject));
      if (set.add(r.reader, now) && now >= host.learnUntil) signals |= FIRST_SEEN;
    }

    let ep = p.ep;
    if (ep !== null && now - ep.last > this.gapMs) ep = p.ep = null;
    if (ep === null) {
      if (signals === 0) {
        if (sized) {
          p.ops += 1;
          p.records += n;
        }
        return NONE;
      }
      // An episode opened by the hour's volume starts with the hour: its
      // earlier reads are what crossed the limit.
      const fromHour = signals & (BULK_OP | FIRST_SEEN) ? 0 : signals & VOLUME ? 1 : 2;
      ep = p.ep = {
        start: fromHour === 0 ? now : hour,
        last: now,
        signals: 0,
        ops: fromHour === 0 ? 0 : fromHour === 1 ? p.hourOps - 1 : p.chunkOps - 1,
        records: fromHour === 0 ? 0 : hourTotal - n,
        unsized: 0,
        maxOp: 0,
        failed: 0,
        hourTotal: 0,
        hourLimit: 0,
        objects: [],
        newObjects: [],
        evidence: [],
        score: 0,
        emitted: 0,
      };
    }
    // Inside an episode every read of the principal is part of it (the pages
    // of a paged dump), signal or not.
    ep.last = now;
    if (sized) {
      ep.ops += 1;
      ep.records += n;
      if (n > ep.maxOp) ep.maxOp = n;
    } else {
      ep.unsized += 1;
    }
    if (e.outcome === "failure") ep.failed += 1;
    if (ep.objects.length < 8 && !ep.objects.includes(r.object)) ep.objects.push(r.object);
    if (signals & FIRST_SEEN && ep.newObjects.length < 8 && !ep.newObjects.includes(r.object)) {
      ep.newObjects.push(r.object);
    }
    if (ep.evidence.length < MAX_EVIDENCE) ep.evidence.push(e.id);
    if (signals & (VOLUME | VOLUME_COLD)) {
      ep.hourTotal = hourTotal;
      ep.hourLimit = hourLimit;
    }
    const added = signals & ~ep.signals;
    ep.signals |= signals;
    const volume = p.store === "file" ? ep.ops : Math.max(ep.records, ep.hourTotal);
    if (added === 0 && volume < 2 * ep.emitted) return NONE;
    const score = this.scoreOf(p, ep);
    if (added === 0 && score <= ep.score) return NONE;
    ep.score = Math.max(ep.score, score);
    ep.emitted = volume;
    return [this.finding(e, r, p, ep, now)];
  }

  private refreshLimit(p: Principal, now: number, hour: number): void {
    const b = p.baseline as HourlyBaseline;
    const cfg = this.cfg;
    const all = b.view(now);
    const same = b.view(now, true);
    const limitOf = (median: number, spread: number) =>
      Math.max(cfg.minHourlyRecords, median + cfg.sigmas * spread, cfg.hourlyRatio * median);
    p.limitHour = hour;
    p.warm = all.warm;
    p.median = Math.max(all.median, same.median);
    p.limit = Math.max(limitOf(all.median, all.spread), same.median > 0 ? limitOf(same.median, same.spread) : 0);
  }

  private scoreOf(p: Principal, ep: Episode): number {
    const cfg = this.cfg;
    let s = 0;
    let n = 0;
    if (ep.signals & BULK_OP) {
      // 100 entries → 70, 1,000 → 78, 100,000 → 94, millions → 99: room to rise as a dump goes on.
      s = Math.max(s, Math.min(99, Math.round(70 + 8 * Math.log10(ep.records / cfg.bulkRecordsPerOp))));
      n += 1;
    }
    if (ep.signals & (VOLUME | VOLUME_COLD)) {
      // At the limit → 60, 10× → 72, 1,000× → 96.
      s = Math.max(s, Math.min(99, Math.round(60 + 12 * Math.log10(ep.hourTotal / ep.hourLimit))));
      n += 1;
    }
    if (ep.signals & FIRST_SEEN) {
      // A process that never reads the passwd-file doing so is the breach
      // itself; a new network reading a few entries is a lead.
      s = Math.max(s, p.store === "file" ? 80 : 55);
      n += 1;
    }
    return Math.min(99, s + 5 * (n - 1));
  }

  private finding(e: MailEvent, r: CredRead, p: Principal, ep: Episode, now: number): Finding {
    const host = e.host;
    const u = UNITS[p.store];
    const usual = p.ops > 0 ? p.records / p.ops : 0;
    const reasons: string[] = [];
    if (p.store === "file") {
      if (ep.signals & FIRST_SEEN) reasons.push(`never seen reading ${ep.newObjects.join(", ")} before`);
    } else {
      if (ep.signals & FIRST_SEEN) {
        const object =
          ep.newObjects[0] === LDAP_PASSWORDS ? "passwords" : (ep.newObjects[0] ?? "").replace(/^sql:/, "");
        reasons.push(`never seen reading ${object} from ${p.ip ? this.ctx.networks.network(p.ip) : "this client"}`);
      } else if (p.ops === 0) {
        reasons.push("never seen reading passwords");
      }
      if (p.ops > 0) reasons.push(`usual ${fmt(usual)} ${usual === 1 ? u.record : u.records}/${u.op}`);
    }
    // One bulk operation says it all; the hour's volume matters when it is made of many small reads.
    if (ep.signals & BULK_OP) {
      // nothing to add
    } else if (ep.signals & VOLUME) {
      reasons.push(`${fmt(ep.hourTotal)} ${u.records} this hour vs usual ${fmt(p.median)}/h`);
    } else if (ep.signals & VOLUME_COLD) {
      reasons.push(`${fmt(ep.hourTotal)} ${u.records} in multi-entry ${u.ops} this hour, no baseline yet`);
    }
    const size = ep.ops > 0 ? ` of ${plural(ep.records, u.record, u.records)}` : "";
    const ops = ep.ops > 1 ? ` in ${plural(ep.ops, u.op, u.ops)}` : "";
    const unsized =
      ep.unsized === 0
        ? ""
        : ep.ops === 0
          ? p.store === "ldap"
            ? " (no result logged)"
            : " (row count not logged)"
          : p.store === "ldap"
            ? ` (+${plural(ep.unsized, u.op, u.ops)} without a logged result)`
            : ` (+${plural(ep.unsized, "statement", "statements")} whose row count is not logged)`;
    const tried = ep.failed > 0 && ep.failed === ep.ops + ep.unsized;
    let what: string;
    if (p.store === "ldap") {
      what = `${p.label} ${tried ? "tried to read" : "read"} ${passwordAttribute(e)}${size}${ops}${unsized} from ${p.ip ?? "a local socket"}`;
    } else if (p.store === "sql") {
      const objects = ep.objects.map((o) => o.replace(/^sql:/, "")).join(", ");
      const rows = ep.ops > 0 ? ` ${plural(ep.records, u.record, u.records)} of` : "";
      what = `${p.label} ${tried ? "tried to select" : "selected"}${rows} ${objects}${ops}${unsized}`;
    } else {
      what = `${p.label} ${tried ? "tried to read" : "read"} ${ep.objects.join(", ")}${ep.ops > 1 ? ` (${plural(ep.ops, "time", "times")})` : ""}`;
    }
    const signalNames = SIGNAL_NAMES.filter(([bit]) => ep.signals & bit).map(([, name]) => name);
    // Expected: what the same operations usually return, or the hour's baseline.
    const expected =
      p.store === "file"
        ? 0
        : ep.signals & VOLUME && !(ep.signals & BULK_OP)
          ? Math.round(p.median)
          : Math.round(usual * ep.ops);
    const entityIsProcess = p.store === "file";
    return {
      id: findingId(bulkReadDetection.id, `${host}\u0000${r.principal}`, ep.start),
      ts: iso(now),
      detection: bulkReadDetection.id,
      stage: bulkReadDetection.stage,
      entity_type: entityIsProcess ? "host_process" : "principal",
      entity: entityIsProcess ? `${host}/${processName(p)}` : (p.user ?? p.label),
      host,
      ...(p.user !== undefined ? { user: p.user } : {}),
      ...(p.ip !== undefined ? { src_ip: p.ip } : {}),
      score: ep.score,
      severity: severityOf(ep.score),
      observed: p.store === "file" ? ep.ops : Math.max(ep.records, ep.hourTotal),
      expected,
      window_start: iso(ep.start),
      window_end: iso(now),
      evidence: [...ep.evidence],
      summary: `${p.source} on ${host}: ${what}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`,
      details: {
        signals: signalNames.join(","),
        store: p.store,
        principal: p.label,
        objects: ep.objects.join(","),
        operations: ep.ops,
        records: ep.records,
        largest_operation: ep.maxOp,
        usual_records_per_operation: Math.round(usual * 10) / 10,
        ...(ep.signals & (VOLUME | VOLUME_COLD) ? { hour_records: ep.hourTotal, hour_limit: ep.hourLimit } : {}),
        ...(ep.failed > 0 ? { failed: ep.failed } : {}),
      },
    };
  }

  evict(before: number): number {
    return this.principals.evictIdle(before) + this.readers.evictIdle(before) + this.hosts.evictIdle(before);
  }

  size(): number {
    return this.principals.size + this.readers.size;
  }

  snapshot(): unknown {
    return {
      hosts: this.hosts.snapshot((h) => h.learnUntil),
      principals: this.principals.snapshot(({ baseline, allowed: _, ...rest }) => ({
        ...rest,
        baseline: baseline?.toJSON() ?? null,
      })),
      readers: this.readers.snapshot((s) => s.toJSON()),
    };
  }

  restore(state: unknown): void {
    type P = Omit<Principal, "baseline"> & { baseline: ReturnType<HourlyBaseline["toJSON"]> | null };
    const s = state as {
      hosts: [string, number, number][];
      principals: [string, number, P][];
      readers: [string, number, [string, number][]][];
    };
    this.hosts.restore(s.hosts, (learnUntil) => ({ learnUntil }));
    this.principals.restore(s.principals, (p) => ({
      ...p,
      baseline: p.baseline ? HourlyBaseline.from(p.baseline, this.cfg.baselineHours, this.cfg.warmupHours) : null,
    }));
    this.readers.restore(s.readers, (rows) => RecentSet.from(rows, this.cfg.maxReadersPerObject));
  }
}

function newPrincipal(e: MailEvent, r: CredRead, now: number): Principal {
  return {
    store: r.store,
    source: e.source,
    label: r.label,
    user: r.store === "file" ? undefined : e.user,
    ip: r.store === "file" ? undefined : e.src_ip,
    exe: r.store === "file" ? (e.process?.exe ?? e.process?.name) : undefined,
    first: now,
    firstRecords: r.records ?? 0,
    n: 0,
    ops: 0,
    records: 0,
    baseline: null,
    hour: -1,
    hourOps: 0,
    chunk: 0,
    chunkOps: 0,
    limitHour: -1,
    limit: 0,
    median: 0,
    warm: false,
    ep: null,
  };
}

function processName(p: Principal): string {
  const exe = p.exe ?? "?";
  return exe.slice(exe.lastIndexOf("/") + 1);
}

export const bulkReadDetection: Detection<Config> = {
  id: "cred.bulk_read",
  title: "Bulk read of the credential store",
  stage: "credential_access",
  attack: ["T1003.008", "T1555", "T1213"],
  rationale:
    "The 2026 breach took 7.6 million passwords: someone read the account store in bulk. Whatever the entry point, the store is read through few paths — an LDAP search returning userPassword, a SQL select of the password column, an open of the passwd-file or shadow — and each is normally done by a few service principals, one entry per login. A search returning thousands of password entries, a principal reading far more records per hour than its own history, or a process that has never read the passwd-file doing so, is credential access in progress, seconds after it happens.",
  falsePositives: [
    "A scheduled backup or an admin's export of the directory or the mailbox table (allow-list its principal, host or source network in allowedPrincipals).",
    "A new service or server reading the store for the first time after the learning period (a new webmail node, a migration tool): confirm the change, then allow-list it or let the finding age out.",
    "Password-change tooling (chpasswd, a self-service portal) run for the first time on a host where audit rules watch /etc/shadow.",
    "A newly added audit watch: every reader of the newly watched file is new once.",
    "A service that routinely runs multi-entry searches with password attributes, during its first day (before its own baseline is warm, the absolute limit applies).",
  ],
  triage:
    "Identify the principal (bind DN / DB user / process and its audit uid) and where it came from (src_ip; for processes the parent and the auid). Was there a change ticket? If not: treat the listed entries as stolen — disable or rotate the principal's credentials, isolate the client host, look for egress from it (egress.* findings on the same incident), and prepare the forced password reset of the accounts read.",
  method: "baseline",
  kinds: ["cred_access"],
  key: "host",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new BulkReadInstance(cfg, ctx),
};
