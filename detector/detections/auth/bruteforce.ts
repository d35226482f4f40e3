// auth.bruteforce — password guessing from one source, measured at three
// levels: the address, its /24 (/48 for IPv6) and its ASN, so an attacker
// rotating addresses inside a network or a provider still adds up (the /24
// and ASN levels need `minAddresses` contributing addresses: one address is
// the address level's finding).
//
// Burst path: failed attempts in a sliding window (10 min by default, minute
// buckets) against a per-entity threshold. An entity without history (most
// sources: attackers come and go) uses a conservative absolute threshold (50
// from one address); an entity tracked for `warmupHours` uses its own history
// instead: median + k·MAD of its hourly peak window counts (`floor` keeps it
// sane). Sustained path: failed attempts over 24 h (hour buckets) across
// several accounts, for guessing paced below any 10-minute threshold; a warm
// source's threshold there is also 3× its usual peak kept up all day, and a
// source that burst in the period is not reported again as sustained.
//
// The benign look-alike is an old client retrying a stale password all night
// from one home address: a few failures per 10 minutes, forever, all against
// ONE account. That is not brute force of the platform, so below the absolute
// rate a burst needs `minAccounts` distinct accounts, and the sustained path
// always needs several; in both, no account may draw more than
// `maxTopAccountShare` of the recent attempts (decaying per-account weights),
// so the stale client plus the family's occasional typos stays one account.
// Slow guessing of ONE account from one address is therefore not covered
// here: auth.takeover fires when such a guess succeeds, and one account from
// many addresses is auth.slow_distributed's.
// Successes count against the failures: a source with more than
// `maxSuccessRatio` successes is a gateway full of real users (NAT, webmail),
// and monitoring probes, which only succeed, never count at all. Successes
// never create state, only failures do (so millions of succeeding home
// addresses cannot push an attacker's state out).
import { median, medianAbsoluteDeviation } from "simple-statistics";
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import type { EntityType, Finding } from "../../core/finding.js";
import { findingId, iso, scoreAbove, severityOf } from "../../core/finding.js";
import { type AddressFacts, addressFacts } from "../../state/address-facts.js";
import { hash32, randomSeed } from "../../state/compact-table.js";
import { EntityTable } from "../../state/entity-table.js";
import { EvidenceWindow } from "../../state/evidence-window.js";
import { accountOf, failedAttempts, isLoginSuccess } from "./signals.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Distinct accounts / addresses remembered per entity (thresholds on them are at most this). */
const SLOTS = 8;
/** A slot: member hash, last minute, decaying attempt weights (burst, sustained) in 1/16ths. */
const SLOT_WORDS = 4;
const WEIGHT_ONE = 16;
/** A warm source's sustained threshold: this many times its usual peak window kept up all day. */
const SUSTAINED_HEADROOM = 3;

const level = (absolute: number, floor: number, sustained: number) =>
  z
    .strictObject({
      /** Failed attempts per window that fire for an entity without history. */
      absolute: z.int().min(1).default(absolute),
      /** The baselined threshold never goes below this. */
      floor: z.int().min(1).default(floor),
      /** Failed attempts per `sustainedHours` (across `sustainedMinAccounts` accounts). */
      sustained: z.int().min(1).default(sustained),
    })
    .prefault({});

const config = z.strictObject({
  windowMinutes: z.int().min(1).max(60).default(10),
  ip: level(50, 20, 150),
  network: level(100, 40, 300),
  asn: level(300, 100, 1000),
  /** Below the absolute rate, a burst must hit this many distinct accounts. */
  minAccounts: z.int().min(2).max(SLOTS).default(3),
  /** ...and no account may draw more than this share of them (a stale client plus a few typos is one account). */
  maxTopAccountShare: z.number().min(0.1).max(1).default(0.5),
  /** The /24 and ASN levels fire only when this many addresses contribute (one address is the address level's job). */
  minAddresses: z.int().min(1).max(SLOTS).default(3),
  sustainedHours: z.int().min(1).max(72).default(24),
  sustainedMinAccounts: z.int().min(2).max(SLOTS).default(5),
  /** Above this share of successes a source is a gateway of real users. */
  maxSuccessRatio: z.number().min(0).max(1).default(0.2),
  madMultiplier: z.number().min(1).max(20).default(6),
  warmupHours: z
    .int()
    .min(1)
    .max(24 * 14)
    .default(24),
  historyHours: z
    .int()
    .min(6)
    .max(24 * 14)
    .default(48),
  /** Entities tracked per level. */
  maxEntities: z.int().min(100).default(200_000),
});
type Config = z.infer<typeof config>;
type LevelName = "ip" | "network" | "asn";
const ENTITY_TYPE: Record<LevelName, EntityType> = { ip: "src_ip", network: "src_net", asn: "asn" };

interface Counters {
  /** Minute rings (fails, successes), hour rings (fails, successes), account slots, address slots (coarse levels). */
  c: Uint32Array;
  minute: number;
  hour: number;
  /** Highest window count of the current hour, and the closed hours' peaks (allocated once an hour closes). */
  peak: number;
  history: Uint32Array | null;
  observedHours: number;
  threshold: number;
  usualPeak: number;
  warm: boolean;
  /** Episodes: start (0 = none), count last fired at, last time the condition held. */
  burstStart: number;
  burstFired: number;
  burstAbove: number;
  burstEvidence: EvidenceWindow;
  sustainedStart: number;
  sustainedFired: number;
  sustainedAbove: number;
  sustainedEvidence: EvidenceWindow;
}

class Level {
  readonly table: EntityTable<Counters>;
  // Offsets into Counters.c.
  private readonly W: number;
  private readonly H: number;
  private readonly SUCC: number;
  private readonly FAIL_H: number;
  private readonly SUCC_H: number;
  private readonly ACCOUNTS: number;
  private readonly ADDRESSES: number;
  private readonly words: number;
  private readonly burstHalfLife: number;
  private readonly sustainedHalfLife: number;

  constructor(
    readonly name: LevelName,
    private readonly cfg: Config,
  ) {
    this.table = new EntityTable(cfg.maxEntities);
    this.W = cfg.windowMinutes;
    this.H = cfg.sustainedHours;
    this.SUCC = this.W;
    this.FAIL_H = 2 * this.W;
    this.SUCC_H = this.FAIL_H + this.H;
    this.ACCOUNTS = this.SUCC_H + this.H;
    this.ADDRESSES = this.ACCOUNTS + SLOT_WORDS * SLOTS;
    this.words = this.ADDRESSES + (name === "ip" ? 0 : SLOT_WORDS * SLOTS);
    this.burstHalfLife = this.W / 2;
    this.sustainedHalfLife = (this.H * 60) / 4;
  }

  private fresh(now: number): Counters {
    return {
      c: new Uint32Array(this.words),
      minute: Math.floor(now / MINUTE),
      hour: Math.floor(now / HOUR),
      peak: 0,
      history: null,
      observedHours: 0,
      threshold: this.cfg[this.name].absolute,
      usualPeak: 0,
      warm: false,
      burstStart: 0,
      burstFired: 0,
      burstAbove: 0,
      burstEvidence: new EvidenceWindow(),
      sustainedStart: 0,
      sustainedFired: 0,
      sustainedAbove: 0,
      sustainedEvidence: new EvidenceWindow(),
    };
  }

  /** Moves the rings to `now`, closing hours into the history. */
  private advance(s: Counters, now: number): void {
    const m = Math.floor(now / MINUTE);
    const c = s.c;
    if (m > s.minute) {
      for (let k = s.minute + 1, end = Math.min(m, s.minute + this.W); k <= end; k++) {
        c[k % this.W] = 0;
        c[this.SUCC + (k % this.W)] = 0;
      }
      s.minute = m;
    }
    const h = Math.floor(now / HOUR);
    if (h > s.hour) {
      for (let k = s.hour + 1, end = Math.min(h, s.hour + this.H); k <= end; k++) {
        c[this.FAIL_H + (k % this.H)] = 0;
        c[this.SUCC_H + (k % this.H)] = 0;
      }
      this.closeHours(s, h);
      s.hour = h;
    }
  }

  private closeHours(s: Counters, h: number): void {
    const n = this.cfg.historyHours;
    if (!s.history) s.history = new Uint32Array(n);
    for (let k = Math.max(s.hour, h - n); k < h; k++) s.history[k % n] = k === s.hour ? s.peak : 0;
    s.observedHours += h - s.hour;
    s.peak = 0;
    const lv = this.cfg[this.name];
    s.warm = s.observedHours >= this.cfg.warmupHours;
    if (!s.warm) return;
    const values: number[] = [];
    for (let k = h - Math.min(s.observedHours, n); k < h; k++) values.push(s.history[k % n] as number);
    const med = median(values);
    const spread = Math.max(1.4826 * medianAbsoluteDeviation(values), 0.1 * med, 1);
    s.usualPeak = med;
    s.threshold = Math.max(lv.floor, Math.ceil(med + this.cfg.madMultiplier * spread));
  }

  /** Adds `v` to the ring cell of time `t` unless it has left the ring. */
  private bump(c: Uint32Array, off: number, len: number, head: number, at: number, v: number): void {
    if (head - at < len) c[off + (at % len)] = (c[off + (at % len)] as number) + v;
  }

  private sum(c: Uint32Array, off: number, len: number): number {
    let n = 0;
    for (let i = off; i < off + len; i++) n += c[i] as number;
    return n;
  }

  /**
   * Remembers `hash` seen at minute `m` in the slots at `off` (the oldest slot
   * makes room), with two decaying weights of its attempts (half-lives: half
   * the burst window, a quarter of the sustained one) for `topShare`.
   */
  private remember(c: Uint32Array, off: number, hash: number, m: number, attempts: number): void {
    let slot = -1;
    let victim = off;
    for (let i = off; i < off + SLOT_WORDS * SLOTS; i += SLOT_WORDS) {
      if (c[i] === hash) {
        slot = i;
        break;
      }
      if ((c[i + 1] as number) < (c[victim + 1] as number)) victim = i;
    }
    const add = attempts * WEIGHT_ONE;
    if (slot < 0) {
      c[victim] = hash;
      c[victim + 1] = m;
      c[victim + 2] = add;
      c[victim + 3] = add;
      return;
    }
    const dt = Math.max(0, m - (c[slot + 1] as number));
    c[slot + 2] = Math.min(0xffffffff, Math.round((c[slot + 2] as number) * 2 ** (-dt / this.burstHalfLife)) + add);
    c[slot + 3] = Math.min(0xffffffff, Math.round((c[slot + 3] as number) * 2 ** (-dt / this.sustainedHalfLife)) + add);
    if ((c[slot + 1] as number) < m) c[slot + 1] = m;
  }

  private distinct(c: Uint32Array, off: number, sinceMinute: number): number {
    let n = 0;
    for (let i = off; i < off + SLOT_WORDS * SLOTS; i += SLOT_WORDS) {
      if (c[i] !== 0 && (c[i + 1] as number) > sinceMinute) n += 1;
    }
    return n;
  }

  /** The most tried account's share of the recent attempts (decayed weights; 1 = one account). */
  private topShare(c: Uint32Array, m: number, sustained: boolean): number {
    const w = sustained ? 3 : 2;
    const hl = sustained ? this.sustainedHalfLife : this.burstHalfLife;
    let sum = 0;
    let top = 0;
    for (let i = this.ACCOUNTS; i < this.ACCOUNTS + SLOT_WORDS * SLOTS; i += SLOT_WORDS) {
      if (c[i] === 0) continue;
      const v = (c[i + w] as number) * 2 ** (-(m - (c[i + 1] as number)) / hl);
      sum += v;
      if (v > top) top = v;
    }
    return sum > 0 ? top / sum : 1;
  }

  success(key: string, now: number): void {
    const s = this.table.get(key);
    if (!s) return;
    this.advance(s, now);
    this.bump(s.c, this.SUCC, this.W, s.minute, Math.floor(now / MINUTE), 1);
    this.bump(s.c, this.SUCC_H, this.H, s.hour, Math.floor(now / HOUR), 1);
  }

  failure(
    key: string,
    e: MailEvent,
    now: number,
    attempts: number,
    accountHash: number,
    addressHash: number,
    where: string,
  ): Finding | undefined {
    const s = this.table.upsert(key, now, () => this.fresh(now));
    this.advance(s, now);
    const c = s.c;
    const m = Math.floor(now / MINUTE);
    this.bump(c, 0, this.W, s.minute, m, attempts);
    this.bump(c, this.FAIL_H, this.H, s.hour, Math.floor(now / HOUR), attempts);
    if (accountHash !== 0) this.remember(c, this.ACCOUNTS, accountHash, m, attempts);
    if (this.name !== "ip") this.remember(c, this.ADDRESSES, addressHash, m, attempts);
    const windowMs = this.W * MINUTE;
    const sustainedMs = this.H * HOUR;
    s.burstEvidence.add(now, e.id, now - windowMs);
    s.sustainedEvidence.add(now, e.id, now - sustainedMs);

    const lv = this.cfg[this.name];
    const fails = this.sum(c, 0, this.W);
    if (fails > s.peak) s.peak = fails;
    const successes = this.sum(c, this.SUCC, this.W);
    const sinceW = m - this.W;
    const accounts = this.distinct(c, this.ACCOUNTS, sinceW);
    const addresses = this.name === "ip" ? 1 : this.distinct(c, this.ADDRESSES, sinceW);
    const ratioOk = successes <= this.cfg.maxSuccessRatio * (successes + fails);
    const spread = addresses >= (this.name === "ip" ? 1 : this.cfg.minAddresses);
    const burst =
      ratioOk &&
      spread &&
      fails >= s.threshold &&
      ((accounts >= this.cfg.minAccounts && this.topShare(c, m, false) <= this.cfg.maxTopAccountShare) ||
        fails >= Math.max(s.threshold, lv.absolute));
    if (burst) {
      // An episode lasts while the condition keeps holding (gaps shorter than the window).
      if (s.burstStart === 0 || now - s.burstAbove > windowMs) {
        s.burstStart = s.burstEvidence.oldest(now);
        s.burstFired = 0;
      }
      s.burstAbove = now;
      if (s.burstFired > 0 && fails < 2 * s.burstFired) return undefined;
      s.burstFired = fails;
      const score = scoreAbove(fails, s.threshold, 50);
      const basis = s.warm
        ? `usual peak ${Math.round(s.usualPeak)} per ${this.W} min, threshold ${s.threshold}`
        : `no history, threshold ${s.threshold}`;
      const from = this.name === "ip" ? "" : ` from ${addresses}${addresses >= SLOTS ? "+" : ""} addresses`;
      return this.finding(e, key, s.burstStart, now, score, fails, s.threshold, s.burstEvidence, {
        summary: `${key}${where}: ${fails} failed logins in ${this.W} min${from} against ${accounts}${accounts >= SLOTS ? "+" : ""} accounts, ${successes} successes (${basis})`,
        details: { path: "burst", level: this.name, accounts, successes, warm: s.warm },
      });
    }
    const fails24 = this.sum(c, this.FAIL_H, this.H);
    // A warm source's own usual day (its usual peak window, all day long), with room, is not "sustained".
    const sustainedThreshold = s.warm
      ? Math.max(lv.sustained, Math.ceil(SUSTAINED_HEADROOM * s.usualPeak * (60 / this.W) * this.H))
      : lv.sustained;
    // Sustained is for guessing that never bursts: a burst in the period already said it.
    if (fails24 < sustainedThreshold || (s.burstAbove > 0 && now - s.burstAbove <= sustainedMs)) return undefined;
    const successes24 = this.sum(c, this.SUCC_H, this.H);
    const sinceH = m - this.H * 60;
    const accounts24 = this.distinct(c, this.ACCOUNTS, sinceH);
    const addresses24 = this.name === "ip" ? 1 : this.distinct(c, this.ADDRESSES, sinceH);
    if (
      accounts24 < this.cfg.sustainedMinAccounts ||
      this.topShare(c, m, true) > this.cfg.maxTopAccountShare ||
      addresses24 < (this.name === "ip" ? 1 : this.cfg.minAddresses) ||
      successes24 > this.cfg.maxSuccessRatio * (successes24 + fails24)
    ) {
      return undefined;
    }
    if (s.sustainedStart === 0 || now - s.sustainedAbove > sustainedMs) {
      s.sustainedStart = s.sustainedEvidence.oldest(now);
      s.sustainedFired = 0;
    }
    s.sustainedAbove = now;
    if (s.sustainedFired > 0 && fails24 < 2 * s.sustainedFired) return undefined;
    s.sustainedFired = fails24;
    const score = scoreAbove(fails24, sustainedThreshold, 45);
    const hours = Math.max(1, Math.round((now - s.sustainedStart) / HOUR));
    const from = this.name === "ip" ? "" : ` from ${addresses24}${addresses24 >= SLOTS ? "+" : ""} addresses`;
    return this.finding(e, key, s.sustainedStart, now, score, fails24, sustainedThreshold, s.sustainedEvidence, {
      summary: `${key}${where}: ${fails24} failed logins in ${hours} h${from} against ${accounts24}${accounts24 >= SLOTS ? "+" : ""} accounts, ${successes24} successes, never enough in ${this.W} min to look like a burst (threshold ${sustainedThreshold} per ${this.H} h over ${this.cfg.sustainedMinAccounts} accounts)`,
      details: { path: "sustained", level: this.name, accounts: accounts24, successes: successes24 },
    });
  }

  private finding(
    e: MailEvent,
    entity: string,
    start: number,
    now: number,
    score: number,
    observed: number,
    expected: number,
    evidence: EvidenceWindow,
    text: { summary: string; details: Record<string, string | number | boolean> },
  ): Finding {
    return {
      id: findingId(bruteforceDetection.id, entity, start),
      ts: iso(now),
      detection: bruteforceDetection.id,
      stage: bruteforceDetection.stage,
      entity_type: ENTITY_TYPE[this.name],
      entity,
      ...(e.src_ip ? { src_ip: e.src_ip } : {}),
      score,
      severity: severityOf(score),
      observed,
      expected,
      window_start: iso(start),
      window_end: iso(now),
      evidence: evidence.list(),
      summary: text.summary,
      details: text.details,
    };
  }

  snapshot(): unknown {
    return this.table.snapshot((s) => ({
      ...s,
      c: Array.from(s.c),
      history: s.history ? Array.from(s.history) : null,
      burstEvidence: s.burstEvidence.toJSON(),
      sustainedEvidence: s.sustainedEvidence.toJSON(),
    }));
  }

  restore(rows: unknown): void {
    type S = Omit<Counters, "c" | "history" | "burstEvidence" | "sustainedEvidence"> & {
      c: number[];
      history: number[] | null;
      burstEvidence: [number, string][];
      sustainedEvidence: [number, string][];
    };
    this.table.restore(rows as [string, number, S][], (s) => ({
      ...s,
      c: Uint32Array.from(s.c),
      history: s.history ? Uint32Array.from(s.history) : null,
      burstEvidence: EvidenceWindow.from(s.burstEvidence),
      sustainedEvidence: EvidenceWindow.from(s.sustainedEvidence),
    }));
  }
}

class BruteforceInstance implements DetectionInstance {
  private readonly levels: Level[];
  private readonly facts: (ip: string) => AddressFacts;
  /** Slot hashes only tell members apart; the seed keeps hostile names from aliasing on purpose. */
  private seed: number;

  constructor(cfg: Config, ctx: DetectionContext) {
    this.seed = ctx.seed ?? randomSeed();
    this.levels = [new Level("ip", cfg), new Level("network", cfg), new Level("asn", cfg)];
    this.facts = addressFacts(ctx.networks);
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    const ip = e.src_ip;
    if (!ip) return [];
    const attempts = failedAttempts(e);
    const success = attempts === 0 && isLoginSuccess(e);
    if (attempts === 0 && !success) return [];
    const f = this.facts(ip);
    if (f.internal) return [];
    const [byIp, byNet, byAsn] = this.levels as [Level, Level, Level];
    if (success) {
      byIp.success(ip, now);
      byNet.success(f.network, now);
      if (f.asn) byAsn.success(f.origin, now);
      return [];
    }
    const account = accountOf(e);
    const ah = account ? hash32(account, this.seed) : 0;
    const iph = hash32(ip, this.seed);
    const out: Finding[] = [];
    const a = byIp.failure(ip, e, now, attempts, ah, iph, f.where);
    if (a) out.push(a);
    const b = byNet.failure(f.network, e, now, attempts, ah, iph, f.where);
    if (b) out.push(b);
    if (f.asn) {
      const c = byAsn.failure(f.origin, e, now, attempts, ah, iph, ` (${f.country}${f.asName ? `, ${f.asName}` : ""})`);
      if (c) out.push(c);
    }
    return out;
  }

  evict(before: number): number {
    let n = 0;
    for (const l of this.levels) n += l.table.evictIdle(before);
    return n;
  }

  size(): number {
    let n = 0;
    for (const l of this.levels) n += l.table.size;
    return n;
  }

  snapshot(): unknown {
    return { seed: this.seed, levels: this.levels.map((l) => l.snapshot()) };
  }

  restore(state: unknown): void {
    const s = state as { seed: number; levels: unknown[] };
    this.seed = s.seed;
    this.levels.forEach((l, i) => {
      l.restore(s.levels[i] ?? []);
    });
  }
}

export const bruteforceDetection: Detection<Config> = {
  id: "auth.bruteforce",
  title: "Password brute force from one address, network or provider",
  stage: "initial_access",
  attack: ["T1110.001"],
  rationale:
    "Guessing passwords produces failed logins from the attacker's addresses far above what those sources normally produce. Counting per address, per /24 and per ASN catches an attacker rotating addresses inside a network or a provider; comparing with each source's own history (median/MAD of its peak 10-minute counts, once it has a day of history) keeps gateways with many real users quiet, and a second, 24-hour window catches guessing paced below any 10-minute threshold when it spans several accounts.",
  falsePositives: [
    "A client in a tight retry loop with a wrong password (tens of attempts per minute from one address, one account): the rate alone fires above the absolute threshold.",
    "A NAT or carrier-grade NAT gateway whose users fail more than they succeed for a while (after a forced password reset), before it has a history.",
    "A security scanner or penetration test run against the mail services (allow-list its addresses for the engagement).",
  ],
  triage:
    "Look at the accounts tried (evidence) and whether any of them then logged in from this source (auth.takeover). A hosting/VPN source: block it at the edge (the /24 or the ASN finding says how wide). An eyeball ISP or NAT: find the client (one account hammering = a broken client; many = an infected host behind it) before blocking.",
  method: "baseline",
  kinds: ["auth"],
  key: "source",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new BruteforceInstance(cfg, ctx),
};
