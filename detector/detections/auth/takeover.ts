// auth.takeover — stolen credentials being used: successful logins of
// established accounts from networks they have never logged in from.
//   (a) post-leak mass login: within the window, many distinct warm accounts
//       succeed from one origin (ASN, else /24) that is new for each of them —
//       the attacker working through a list of working credentials;
//   (b) guess then success: an account logs in from a new origin after at
//       least `minFailures` failed attempts from that same origin.
// The per-account knowledge (usual origins, warm, recent failures) comes from
// the account-origins enricher this detection declares (user-keyed stage);
// the detection itself is keyed by source and keeps state per origin only.
// (a) is baselined per origin: an origin where established accounts
// routinely show up for the first time (a big carrier new subscribers move
// to) needs more than its usual hourly count to fire; an origin without
// history uses `minAccounts`.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, scoreAbove, severityOf } from "../../core/finding.js";
import { type AddressFacts, addressFacts } from "../../state/address-facts.js";
import { EntityTable } from "../../state/entity-table.js";
import { HourlyBaseline } from "../../state/hourly-baseline.js";
import {
  accountOriginsEnrich,
  accountOriginsFields,
  accountWarm,
  FAILS_BEFORE_ATTR,
  FAILS_ORIGIN_ATTR,
  FAILS_ORIGIN_SINCE_ATTR,
  numberAttr,
  originKnown,
  originOf,
} from "./account-origins.js";
import { accountOf, isLoginSuccess } from "./signals.js";

const HOUR = 3_600_000;

const config = z.strictObject({
  windowMinutes: z
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  /** (a) Distinct warm accounts succeeding from an origin new to each, within the window. */
  minAccounts: z.int().min(2).default(5),
  /** (b) Failed attempts of the account from the new origin before its success there. */
  minFailures: z.int().min(1).default(5),
  /** (a) Baseline: hours of history per origin, hours before it is trusted, MADs above the median. */
  baselineHours: z
    .int()
    .min(24)
    .max(24 * 28)
    .default(168),
  warmupHours: z
    .int()
    .min(1)
    .max(24 * 28)
    .default(24),
  madMultiplier: z.number().min(1).max(20).default(6),
  maxOrigins: z.int().min(100).default(100_000),
  /** Accounts remembered per origin within the window (the baselined threshold stays below half of it). */
  maxAccountsPerOrigin: z.int().min(20).default(2000),
  ...accountOriginsFields,
});
type Config = z.infer<typeof config>;

interface OriginState {
  /** Oldest login in the window when the episode first fired (0: no episode). */
  episodeStart: number;
  lastAbove: number;
  lastFired: number;
  /** Warm accounts that logged in from here for the first time, in the window: account → [time, event id], oldest first. */
  accounts: Map<string, [number, string]>;
  saturated: boolean;
  /** New-origin warm logins per hour. */
  baseline: HourlyBaseline;
  /** Threshold for (a), recomputed once per hour. */
  threshold: number;
  thresholdHour: number;
}

class TakeoverInstance implements DetectionInstance {
  private readonly origins: EntityTable<OriginState>;
  private readonly windowMs: number;
  private readonly facts: (ip: string) => AddressFacts;

  constructor(
    private readonly cfg: Config,
    ctx: DetectionContext,
  ) {
    this.origins = new EntityTable(cfg.maxOrigins);
    this.windowMs = cfg.windowMinutes * 60_000;
    this.facts = addressFacts(ctx.networks);
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    if (!isLoginSuccess(e) || !e.src_ip) return [];
    const origin = originOf(e);
    if (origin === undefined || originKnown(e) || !accountWarm(e)) return [];
    const account = accountOf(e);
    if (!account) return [];
    const out: Finding[] = [];
    const fails = numberAttr(e, FAILS_ORIGIN_ATTR);
    if (fails >= this.cfg.minFailures) out.push(this.guessThenSuccess(e, account, origin, fails, now));
    const mass = this.massLogin(e, account, origin, now);
    if (mass) out.push(mass);
    return out;
  }

  private guessThenSuccess(e: MailEvent, account: string, origin: string, fails: number, now: number): Finding {
    const ip = e.src_ip as string;
    // A late event (see detector/core/engine.ts) may precede the run it ends.
    const since = Math.min(numberAttr(e, FAILS_ORIGIN_SINCE_ATTR) || now, now);
    const f = this.facts(ip);
    const score = scoreAbove(fails, this.cfg.minFailures, 70);
    return {
      id: findingId(takeoverDetection.id, account, since),
      ts: iso(now),
      detection: takeoverDetection.id,
      stage: takeoverDetection.stage,
      entity_type: "user",
      entity: account,
      user: account,
      src_ip: ip,
      ...(e.host ? { host: e.host } : {}),
      score,
      severity: severityOf(score),
      observed: fails,
      expected: this.cfg.minFailures,
      window_start: iso(since),
      window_end: iso(now),
      evidence: [e.id],
      summary: `${account} logged in from ${ip}${f.where || ` (${origin})`}, a network new for the account, after ${fails} failed attempts from there since ${iso(since).slice(11, 16)} UTC (threshold ${this.cfg.minFailures})`,
      details: {
        pattern: "guess_then_success",
        origin,
        fails_origin: fails,
        fails_before: numberAttr(e, FAILS_BEFORE_ATTR),
      },
    };
  }

  private massLogin(e: MailEvent, account: string, origin: string, now: number): Finding | undefined {
    const s = this.origins.upsert(origin, now, () => ({
      episodeStart: 0,
      lastAbove: 0,
      lastFired: 0,
      accounts: new Map(),
      saturated: false,
      baseline: new HourlyBaseline(this.cfg.baselineHours, this.cfg.warmupHours),
      threshold: this.cfg.minAccounts,
      thresholdHour: -1,
    }));
    const before = now - this.windowMs;
    for (const [a, [ts]] of s.accounts) {
      if (ts >= before) break;
      s.accounts.delete(a);
    }
    if (s.accounts.size < this.cfg.maxAccountsPerOrigin) s.saturated = false;
    if (s.accounts.has(account)) return undefined;
    if (s.accounts.size >= this.cfg.maxAccountsPerOrigin) {
      const oldest = s.accounts.keys().next().value;
      if (oldest !== undefined) s.accounts.delete(oldest);
      s.saturated = true;
    }
    s.accounts.set(account, [now, e.id]);
    const hour = Math.floor(now / HOUR);
    if (hour !== s.thresholdHour) {
      const b = s.baseline.view(now);
      const baselined = b.warm ? Math.ceil(b.median + this.cfg.madMultiplier * b.spread) : 0;
      s.threshold = Math.min(Math.max(this.cfg.minAccounts, baselined), this.cfg.maxAccountsPerOrigin >> 1);
      s.thresholdHour = hour;
    }
    s.baseline.add(now, 1);
    const n = s.accounts.size;
    if (n < s.threshold) return undefined;
    // An episode lasts while the count stays above the threshold (gaps shorter than the window).
    if (s.episodeStart > 0 && now - s.lastAbove > this.windowMs) s.episodeStart = 0;
    s.lastAbove = now;
    if (s.episodeStart === 0) {
      // Oldest first by arrival; a late event may be older than all of them.
      s.episodeStart = Math.min((s.accounts.values().next().value as [number, string])[0], now);
      s.lastFired = 0;
    }
    if (s.lastFired > 0 && n < 2 * s.lastFired) return undefined;
    s.lastFired = n;
    const evidence: string[] = [];
    for (const [, id] of s.accounts.values()) {
      if (evidence.length >= MAX_EVIDENCE) break;
      evidence.push(id);
    }
    const f = this.facts(e.src_ip as string);
    const where = f.asn ? ` (${f.country}${f.asName ? `, ${f.asName}` : ""})` : "";
    const oldest = (s.accounts.values().next().value as [number, string])[0];
    const minutes = Math.max(1, Math.round((now - oldest) / 60_000));
    const score = scoreAbove(n, s.threshold, 75);
    return {
      id: findingId(takeoverDetection.id, origin, s.episodeStart),
      ts: iso(now),
      detection: takeoverDetection.id,
      stage: takeoverDetection.stage,
      entity_type: origin.startsWith("AS") ? "asn" : "src_net",
      entity: origin,
      src_ip: e.src_ip as string,
      score,
      severity: severityOf(score),
      observed: n,
      expected: s.threshold,
      window_start: iso(s.episodeStart),
      window_end: iso(now),
      evidence,
      summary: `${origin}${where}: ${n}${s.saturated ? "+" : ""} established accounts logged in successfully from this network, new for each of them, within ${minutes} min (threshold ${s.threshold} per ${this.cfg.windowMinutes} min)`,
      details: { pattern: "mass_login", last_account: account },
    };
  }

  evict(before: number): number {
    return this.origins.evictIdle(before);
  }

  size(): number {
    return this.origins.size;
  }

  snapshot(): unknown {
    return this.origins.snapshot((s) => ({ ...s, accounts: [...s.accounts], baseline: s.baseline.toJSON() }));
  }

  restore(state: unknown): void {
    type S = Omit<OriginState, "accounts" | "baseline"> & {
      accounts: [string, [number, string]][];
      baseline: ReturnType<HourlyBaseline["toJSON"]>;
    };
    this.origins.restore(state as [string, number, S][], (s) => ({
      ...s,
      accounts: new Map(s.accounts),
      baseline: HourlyBaseline.from(s.baseline, this.cfg.baselineHours, this.cfg.warmupHours),
    }));
  }
}

export const takeoverDetection: Detection<Config> = {
  id: "auth.takeover",
  title: "Account takeover: logins from networks new to the accounts",
  stage: "stolen_credential_use",
  attack: ["T1078", "T1078.003", "T1110.001"],
  rationale:
    "After a credential leak the attacker logs in with working passwords: many established accounts succeed, each for the first time, from the same few networks within an hour (the post-leak mass login), or one account succeeds from a network right after a run of failures from there (a guess that worked). Failure counters never see either: the logins succeed. Comparing each success with the account's own history of origins (ASN, else /24) does, with bounded memory for every account of the platform.",
  falsePositives: [
    "Many users of one organisation moving to a new network at once (office changes ISP, a new VPN or proxy egress, users at the same conference or hotel).",
    "A mobile carrier renumbering into a new ASN, or a new carrier many subscribers move to (the per-origin baseline absorbs a steady rate, not the first day).",
    "A monitoring or migration service moved to a new network, logging into many established accounts (allow-list its network).",
    "A user who mistyped a password several times on a new network (hotel, abroad) and then got it right (guess then success).",
  ],
  triage:
    "List the accounts that logged in from the origin in the window (evidence) and what they did next (mail read, forwarding rules, sends). Check the origin (hosting/VPN vs eyeball ISP). If it is not a known organisation move: block the origin, kill the sessions, force-reset the passwords of every account that succeeded from it, and search for the leak (auth.stuffing, cred.bulk_read).",
  method: "baseline",
  kinds: ["auth"],
  key: "source",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new TakeoverInstance(cfg, ctx),
  enrich: accountOriginsEnrich,
};
