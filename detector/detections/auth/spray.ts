// auth.spray — password spraying: one or two common passwords tried against
// many accounts of a mail domain, a few attempts per account (to stay under
// lockouts), from many addresses (to stay under per-source counters). Keyed
// by the account's domain, so every account of the domain meets here.
//
// Counted per domain over a sliding window (1 h): accounts with 1..3 failed
// attempts that are NOT explained by their owner. The benign look-alike is a
// mass password change (a forced reset): thousands of users fail once or
// twice with the old password, then get it right. Their failures come from
// their own usual networks, so an account is explained, and leaves the count,
// when (using the account-origins enricher's attributes, see
// account-origins.ts):
//   - a failure comes from an origin known for the account (origin_known), or
//   - the account then logs in successfully from a known origin, or from the
//     same network it failed from (the owner found the new password — for
//     accounts the enricher does not know yet).
// A sprayer's success from its own network explains that one account too;
// the rest of the spray still counts, and the success itself is
// auth.takeover's business. Accounts hammered more than `maxPerAccount` times
// are brute force, not spray, and leave the count.
// The threshold is `minAccounts` until the domain has `warmupHours` of
// history, then also above the domain's usual hourly count of such accounts
// (median + k·MAD): a platform with millions of accounts has a steady trickle
// of unexplained failures that a small domain does not.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, scoreAbove, severityOf } from "../../core/finding.js";
import { type AddressFacts, addressFacts } from "../../state/address-facts.js";
import { EntityTable } from "../../state/entity-table.js";
import { HourlyBaseline } from "../../state/hourly-baseline.js";
import { originKnown } from "./account-origins.js";
import { accountOf, domainOf, failedAttempts, isLoginSuccess } from "./signals.js";

const HOUR = 3_600_000;

const config = z.strictObject({
  windowMinutes: z
    .int()
    .min(5)
    .max(24 * 60)
    .default(60),
  /** Distinct unexplained accounts with few failures in the window. */
  minAccounts: z.int().min(2).default(50),
  /** More failed attempts than this on one account is not spraying. */
  maxPerAccount: z.int().min(1).max(20).default(3),
  /** Distinct source networks (/24, /48) the counted accounts failed from. */
  minNetworks: z.int().min(1).default(10),
  baselineHours: z
    .int()
    .min(24)
    .max(24 * 28)
    .default(168),
  warmupHours: z
    .int()
    .min(1)
    .max(24 * 28)
    .default(48),
  madMultiplier: z.number().min(1).max(20).default(6),
  /** Accounts remembered per domain per window (past it the oldest go). */
  maxAccountsPerDomain: z.int().min(100).default(100_000),
  maxDomains: z.int().min(1).default(10_000),
});
type Config = z.infer<typeof config>;

interface AccountEntry {
  first: number;
  last: number;
  fails: number;
  /** Network of the first failure: the account's vote for "spread". */
  net: string;
  explained: boolean;
  /** Already counted into the hourly baseline. */
  counted: boolean;
  firstEvent: string;
}

interface DomainState {
  /** Accounts with failures in the window, oldest last failure first. */
  accounts: Map<string, AccountEntry>;
  qualifying: number;
  /** Qualifying accounts per network. */
  nets: Map<string, number>;
  saturated: boolean;
  baseline: HourlyBaseline;
  threshold: number;
  thresholdHour: number;
  usual: number;
  episodeStart: number;
  lastAbove: number;
  lastFired: number;
}

class SprayInstance implements DetectionInstance {
  private readonly domains: EntityTable<DomainState>;
  private readonly windowMs: number;
  private readonly facts: (ip: string) => AddressFacts;

  constructor(
    private readonly cfg: Config,
    ctx: DetectionContext,
  ) {
    this.domains = new EntityTable(cfg.maxDomains);
    this.windowMs = cfg.windowMinutes * 60_000;
    this.facts = addressFacts(ctx.networks);
  }

  private qualifies(a: AccountEntry): boolean {
    return !a.explained && a.fails >= 1 && a.fails <= this.cfg.maxPerAccount;
  }

  private count(s: DomainState, a: AccountEntry, delta: 1 | -1): void {
    s.qualifying += delta;
    const n = (s.nets.get(a.net) ?? 0) + delta;
    if (n > 0) s.nets.set(a.net, n);
    else s.nets.delete(a.net);
  }

  private drop(s: DomainState, account: string, a: AccountEntry): void {
    if (this.qualifies(a)) this.count(s, a, -1);
    s.accounts.delete(account);
  }

  private prune(s: DomainState, now: number): void {
    const before = now - this.windowMs;
    for (const [account, a] of s.accounts) {
      if (a.last >= before) break;
      this.drop(s, account, a);
    }
    if (s.accounts.size < this.cfg.maxAccountsPerDomain) s.saturated = false;
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    const ip = e.src_ip;
    const account = accountOf(e);
    if (!ip || !account) return [];
    const attempts = failedAttempts(e);
    const success = attempts === 0 && isLoginSuccess(e);
    if (attempts === 0 && !success) return [];
    const domain = domainOf(account);
    if (!domain) return [];
    const f = this.facts(ip);
    if (f.internal) return [];
    if (success) {
      const s = this.domains.get(domain);
      const a = s?.accounts.get(account);
      if (!s || !a || a.explained) return [];
      if (originKnown(e) || f.network === a.net) {
        if (this.qualifies(a)) this.count(s, a, -1);
        a.explained = true;
      }
      return [];
    }
    const s = this.domains.upsert(domain, now, () => ({
      accounts: new Map(),
      qualifying: 0,
      nets: new Map(),
      saturated: false,
      baseline: new HourlyBaseline(this.cfg.baselineHours, this.cfg.warmupHours),
      threshold: this.cfg.minAccounts,
      thresholdHour: -1,
      usual: 0,
      episodeStart: 0,
      lastAbove: 0,
      lastFired: 0,
    }));
    this.prune(s, now);
    let a = s.accounts.get(account);
    const was = a !== undefined && this.qualifies(a);
    if (a) s.accounts.delete(account);
    else {
      if (s.accounts.size >= this.cfg.maxAccountsPerDomain) {
        const oldest = s.accounts.entries().next().value;
        if (oldest) this.drop(s, oldest[0], oldest[1]);
        s.saturated = true;
      }
      a = { first: now, last: now, fails: 0, net: f.network, explained: false, counted: false, firstEvent: e.id };
    }
    a.fails += attempts;
    a.last = now;
    if (originKnown(e)) a.explained = true;
    s.accounts.set(account, a);
    const is = this.qualifies(a);
    if (is && !was) this.count(s, a, 1);
    else if (was && !is) this.count(s, a, -1);
    if (is && !a.counted) {
      a.counted = true;
      s.baseline.add(now, 1);
    }
    return this.check(s, domain, now);
  }

  private check(s: DomainState, domain: string, now: number): Finding[] {
    const hour = Math.floor(now / HOUR);
    if (hour !== s.thresholdHour) {
      const b = s.baseline.view(now);
      const perWindow = this.cfg.windowMinutes / 60;
      s.usual = b.warm ? b.median * perWindow : 0;
      s.threshold = b.warm
        ? Math.max(this.cfg.minAccounts, Math.ceil((b.median + this.cfg.madMultiplier * b.spread) * perWindow))
        : this.cfg.minAccounts;
      s.thresholdHour = hour;
    }
    if (s.qualifying < s.threshold || s.nets.size < this.cfg.minNetworks) return [];
    if (s.episodeStart > 0 && now - s.lastAbove > this.windowMs) s.episodeStart = 0;
    s.lastAbove = now;
    const evidence: string[] = [];
    let oldest = now;
    if (s.episodeStart === 0 || s.qualifying >= 2 * s.lastFired) {
      for (const a of s.accounts.values()) {
        if (!this.qualifies(a)) continue;
        if (a.first < oldest) oldest = a.first;
        if (evidence.length < MAX_EVIDENCE) evidence.push(a.firstEvent);
      }
    }
    if (s.episodeStart === 0) {
      s.episodeStart = oldest;
      s.lastFired = 0;
    }
    if (s.lastFired > 0 && s.qualifying < 2 * s.lastFired) return [];
    s.lastFired = s.qualifying;
    const score = scoreAbove(s.qualifying, s.threshold, 60);
    const minutes = Math.max(1, Math.round((now - s.episodeStart) / 60_000));
    const usual = s.usual > 0 ? `, usual ${Math.round(s.usual)}` : "";
    return [
      {
        id: findingId(sprayDetection.id, domain, s.episodeStart),
        ts: iso(now),
        detection: sprayDetection.id,
        stage: sprayDetection.stage,
        entity_type: "domain",
        entity: domain,
        score,
        severity: severityOf(score),
        observed: s.qualifying,
        expected: s.threshold,
        window_start: iso(s.episodeStart),
        window_end: iso(now),
        evidence,
        summary: `${domain}: ${s.qualifying}${s.saturated ? "+" : ""} accounts failed 1–${this.cfg.maxPerAccount} times each from ${s.nets.size} networks within ${minutes} min, none from a network known for the account nor followed by its owner's login (threshold ${s.threshold} per ${this.cfg.windowMinutes} min${usual})`,
        details: { networks: s.nets.size, accounts_in_window: s.accounts.size },
      },
    ];
  }

  evict(before: number): number {
    return this.domains.evictIdle(before);
  }

  size(): number {
    return this.domains.size;
  }

  snapshot(): unknown {
    return this.domains.snapshot((s) => ({
      ...s,
      accounts: [...s.accounts].map(([k, a]) => [k, { ...a }]),
      nets: [...s.nets],
      baseline: s.baseline.toJSON(),
    }));
  }

  restore(state: unknown): void {
    type S = Omit<DomainState, "accounts" | "nets" | "baseline"> & {
      accounts: [string, AccountEntry][];
      nets: [string, number][];
      baseline: ReturnType<HourlyBaseline["toJSON"]>;
    };
    this.domains.restore(state as [string, number, S][], (s) => ({
      ...s,
      accounts: new Map(s.accounts),
      nets: new Map(s.nets),
      baseline: HourlyBaseline.from(s.baseline, this.cfg.baselineHours, this.cfg.warmupHours),
    }));
  }
}

export const sprayDetection: Detection<Config> = {
  id: "auth.spray",
  title: "Password spraying across the accounts of a domain",
  stage: "initial_access",
  attack: ["T1110.003"],
  rationale:
    "A sprayer tries one or two likely passwords on many accounts, at most a few attempts each and from many addresses, so neither per-account lockouts nor per-source counters (fail2ban, auth.bruteforce, auth.stuffing) see enough. Only the domain sees it: in one hour, dozens of accounts fail a few times each from networks that are not theirs, and their owners do not follow up with a successful login.",
  falsePositives: [
    "A forced password reset or an expired-password campaign hitting users on networks the platform does not know for them yet (new deployment of the detector: the account history is still empty; the follow-up login from the same network still explains them).",
    "A broken integration (migration tool, archiver, CRM sync) holding stale passwords for many accounts and running from many cloud addresses.",
    "A mobile client bug after an app update, failing once per account on carrier addresses the accounts have never succeeded from.",
  ],
  triage:
    "Look at the password-failure reasons (unknown_user vs bad_password), the source networks (hosting/VPN vs eyeball ISPs) and whether any of the accounts logged in successfully from one of those networks (auth.takeover). Block the spraying networks; force-reset and notify the accounts that then succeeded from them; consider rate limits per domain and MFA for the targeted accounts.",
  method: "baseline",
  kinds: ["auth"],
  key: "domain",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new SprayInstance(cfg, ctx),
};
