// auth.slow_distributed — low-and-slow guessing of one account: a botnet
// tries one password at a time from an always-new address, minutes or hours
// apart, for days. Every per-address counter with a short window (fail2ban's
// findtime, CrowdSec's leaky buckets, auth.bruteforce) sees one or two
// failures per address and nothing else. Keyed by the account (the auth
// topic's own key): distinct source networks (/24, /48) that failed for it
// with few attempts each (≤ `maxPerNetwork`) over a long window (7 days).
//
// Only failures from origins NOT known for the account count (the
// account-origins enricher's `origin_known`), and the networks must span
// several origins (ASNs), none holding more than `maxOriginShare` of them:
// a phone with a stale password on a carrier's rotating addresses fails from
// dozens of /24s, but of one ASN (often a known one). Needs the ASN table:
// without it every /24 is its own origin.
//
// State, two tiers: every account with a counted failure gets a compact entry
// (a CompactTable entry of 64 bytes, up to 4 networks), because sprays and
// stuffing touch millions of accounts once or twice each; an account whose
// 5th distinct network shows up in the window is promoted to an exact entry
// (up to 2 × minNetworks networks, and the evidence from then on).
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, scoreAbove, severityOf } from "../../core/finding.js";
import { type AddressFacts, addressFacts } from "../../state/address-facts.js";
import { CompactTable, type CompactTableSnapshot, HEADER_WORDS, hash32 } from "../../state/compact-table.js";
import { EntityTable } from "../../state/entity-table.js";
import { originKnown, originOf } from "./account-origins.js";
import { accountOf, failedAttempts } from "./signals.js";

const MINUTE = 60_000;

const config = z.strictObject({
  windowDays: z.int().min(1).max(30).default(7),
  /** Distinct source networks with few attempts each, in the window. */
  minNetworks: z.int().min(5).max(1000).default(20),
  /** More attempts than this from one network is not "few" (that network is brute force's). */
  maxPerNetwork: z.int().min(1).max(20).default(2),
  /** Distinct origins (ASN, else /24) among the counted networks. */
  minOrigins: z.int().min(1).default(5),
  /** No origin may hold more than this share of the counted networks (a carrier's address pool). */
  maxOriginShare: z.number().min(0).max(1).default(0.5),
  /** Accounts with a few counted failures (compact tier, 64 bytes each). */
  maxAccounts: z.int().min(1000).default(1_000_000),
  /** Accounts with many (exact tier). */
  maxSuspects: z.int().min(100).default(100_000),
});
type Config = z.infer<typeof config>;

// Compact tier: 4 networks per account.
const T1_SLOTS = 4;
const T1_NETS = HEADER_WORDS;
const T1_ORIGINS = T1_NETS + T1_SLOTS;
const T1_MINUTES = T1_ORIGINS + T1_SLOTS;
const T1_ATTEMPTS = T1_MINUTES + T1_SLOTS; // 4 × u8
const T1_VALUE_WORDS = T1_ATTEMPTS + 1 - HEADER_WORDS;

// Exact tier: slot i holds [net, origin, minute, attempts] at 4i.
interface Suspect {
  slots: Uint32Array;
  evidence: string[];
  episodeStart: number;
  lastAbove: number;
  lastFired: number;
}

class SlowDistributedInstance implements DetectionInstance {
  private compact: CompactTable;
  private readonly suspects: EntityTable<Suspect>;
  private readonly facts: (ip: string) => AddressFacts;
  private readonly key = new Uint32Array(2);
  private readonly windowMinutes: number;
  private readonly slots: number;
  private lastMinute = 0;
  // Scratch for counting origins without allocating.
  private readonly originScratch: Uint32Array;
  private readonly originCounts: Uint32Array;

  constructor(
    private readonly cfg: Config,
    ctx: DetectionContext,
  ) {
    this.compact = new CompactTable({ valueWords: T1_VALUE_WORDS, maxEntries: cfg.maxAccounts, seed: ctx.seed });
    this.suspects = new EntityTable(cfg.maxSuspects);
    this.facts = addressFacts(ctx.networks);
    this.windowMinutes = cfg.windowDays * 24 * 60;
    this.slots = 2 * cfg.minNetworks;
    this.originScratch = new Uint32Array(this.slots);
    this.originCounts = new Uint32Array(this.slots);
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    const attempts = failedAttempts(e);
    const ip = e.src_ip;
    if (attempts === 0 || !ip || originKnown(e)) return [];
    const account = accountOf(e);
    if (!account) return [];
    const f = this.facts(ip);
    if (f.internal) return [];
    const minute = Math.floor(now / MINUTE);
    if (minute > this.lastMinute) this.lastMinute = minute;
    const seed = this.compact.seed;
    const nh = hash32(f.network, seed);
    const oh = hash32(originOf(e) ?? f.origin, seed);
    const suspect = this.suspects.get(account);
    if (suspect) {
      this.suspects.upsert(account, now, () => suspect);
      return this.record(suspect, e, account, now, minute, nh, oh, attempts);
    }
    const t = this.compact;
    this.compact.hashKey(account, this.key);
    const hi = this.key[0] as number;
    const lo = this.key[1] as number;
    const b = t.upsert(hi, lo, minute);
    const w = t.words;
    const since = minute - this.windowMinutes;
    let free = -1;
    for (let i = 0; i < T1_SLOTS; i++) {
      const live = w[b + T1_NETS + i] !== 0 && (w[b + T1_MINUTES + i] as number) > since;
      if (live && w[b + T1_NETS + i] === nh) {
        const packed = w[b + T1_ATTEMPTS] as number;
        const n = Math.min(255, ((packed >>> (8 * i)) & 0xff) + attempts);
        w[b + T1_ATTEMPTS] = ((packed & ~(0xff << (8 * i))) | (n << (8 * i))) >>> 0;
        if ((w[b + T1_MINUTES + i] as number) < minute) w[b + T1_MINUTES + i] = minute;
        return [];
      }
      if (!live && free < 0) free = i;
    }
    if (free >= 0) {
      w[b + T1_NETS + free] = nh;
      w[b + T1_ORIGINS + free] = oh;
      w[b + T1_MINUTES + free] = minute;
      const packed = w[b + T1_ATTEMPTS] as number;
      w[b + T1_ATTEMPTS] = ((packed & ~(0xff << (8 * free))) | (Math.min(255, attempts) << (8 * free))) >>> 0;
      return [];
    }
    // A fifth network in the window: promote to the exact tier.
    const promoted: Suspect = {
      slots: new Uint32Array(4 * this.slots),
      evidence: [],
      episodeStart: 0,
      lastAbove: 0,
      lastFired: 0,
    };
    for (let i = 0; i < T1_SLOTS; i++) {
      promoted.slots[4 * i] = w[b + T1_NETS + i] as number;
      promoted.slots[4 * i + 1] = w[b + T1_ORIGINS + i] as number;
      promoted.slots[4 * i + 2] = w[b + T1_MINUTES + i] as number;
      promoted.slots[4 * i + 3] = ((w[b + T1_ATTEMPTS] as number) >>> (8 * i)) & 0xff;
    }
    t.remove(hi, lo);
    this.suspects.upsert(account, now, () => promoted);
    return this.record(promoted, e, account, now, minute, nh, oh, attempts);
  }

  private record(
    s: Suspect,
    e: MailEvent,
    account: string,
    now: number,
    minute: number,
    nh: number,
    oh: number,
    attempts: number,
  ): Finding[] {
    const x = s.slots;
    const since = minute - this.windowMinutes;
    let slot = -1;
    let victim = 0;
    for (let i = 0; i < this.slots; i++) {
      if (x[4 * i] === nh && (x[4 * i + 2] as number) > since) {
        slot = i;
        break;
      }
      if ((x[4 * i + 2] as number) < (x[4 * victim + 2] as number)) victim = i;
    }
    if (slot >= 0) {
      x[4 * slot + 3] = (x[4 * slot + 3] as number) + attempts;
      if ((x[4 * slot + 2] as number) < minute) x[4 * slot + 2] = minute;
    } else {
      // A new network takes the oldest slot (expired or not: the count stays at the cap).
      x[4 * victim] = nh;
      x[4 * victim + 1] = oh;
      x[4 * victim + 2] = minute;
      x[4 * victim + 3] = attempts;
    }
    if (s.evidence.length < MAX_EVIDENCE) s.evidence.push(e.id);
    return this.check(s, e, account, now, since);
  }

  private check(s: Suspect, e: MailEvent, account: string, now: number, since: number): Finding[] {
    const x = s.slots;
    let networks = 0;
    let attempts = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.slots; i++) {
      if (x[4 * i] === 0 || (x[4 * i + 2] as number) <= since) continue;
      const n = x[4 * i + 3] as number;
      if (n > this.cfg.maxPerNetwork) continue;
      networks += 1;
      attempts += n;
      if ((x[4 * i + 2] as number) < oldest) oldest = x[4 * i + 2] as number;
    }
    if (networks < this.cfg.minNetworks) return [];
    // Origins among the counted networks: how many, and the largest one's share.
    let origins = 0;
    let largest = 0;
    for (let i = 0; i < this.slots; i++) {
      if (x[4 * i] === 0 || (x[4 * i + 2] as number) <= since || (x[4 * i + 3] as number) > this.cfg.maxPerNetwork)
        continue;
      const o = x[4 * i + 1] as number;
      let k = 0;
      while (k < origins && this.originScratch[k] !== o) k++;
      if (k === origins) {
        this.originScratch[k] = o;
        this.originCounts[k] = 0;
        origins += 1;
      }
      const c = (this.originCounts[k] as number) + 1;
      this.originCounts[k] = c;
      if (c > largest) largest = c;
    }
    if (origins < this.cfg.minOrigins || largest > this.cfg.maxOriginShare * networks) return [];
    if (s.episodeStart > 0 && now - s.lastAbove > this.windowMinutes * MINUTE) s.episodeStart = 0;
    s.lastAbove = now;
    if (s.episodeStart === 0) {
      s.episodeStart = oldest * MINUTE;
      s.lastFired = 0;
    }
    if (s.lastFired > 0 && networks < 2 * s.lastFired) return [];
    s.lastFired = networks;
    const score = scoreAbove(networks, this.cfg.minNetworks, 60);
    const spanH = (now - s.episodeStart) / 3_600_000;
    const span = spanH >= 48 ? `${Math.round(spanH / 24)} days` : `${Math.max(1, Math.round(spanH))} h`;
    const each =
      attempts === networks ? "1 attempt each" : `${(attempts / networks).toFixed(1)} attempts each on average`;
    return [
      {
        id: findingId(slowDistributedDetection.id, account, s.episodeStart),
        ts: iso(now),
        detection: slowDistributedDetection.id,
        stage: slowDistributedDetection.stage,
        entity_type: "user",
        entity: account,
        user: account,
        ...(e.src_ip ? { src_ip: e.src_ip } : {}),
        score,
        severity: severityOf(score),
        observed: networks,
        expected: this.cfg.minNetworks,
        window_start: iso(s.episodeStart),
        window_end: iso(now),
        evidence: [...s.evidence],
        summary: `${account}: failed logins from ${networks}${networks >= this.slots ? "+" : ""} networks (${origins} providers) in ${span}, ${each} (never more than ${this.cfg.maxPerNetwork}); usual networks among them: 0 (threshold ${this.cfg.minNetworks} networks per ${this.cfg.windowDays} days)`,
        details: { attempts, origins, largest_origin_networks: largest },
      },
    ];
  }

  evict(before: number): number {
    // Never forget inside the window, whatever the engine's idle time.
    const cutoff = Math.min(before, (this.lastMinute - this.windowMinutes) * MINUTE);
    return this.compact.evictIdle(Math.floor(cutoff / MINUTE)) + this.suspects.evictIdle(cutoff);
  }

  size(): number {
    return this.compact.size + this.suspects.size;
  }

  snapshot(): unknown {
    return {
      lastMinute: this.lastMinute,
      compact: this.compact.snapshot(),
      suspects: this.suspects.snapshot((s) => ({ ...s, slots: Array.from(s.slots), evidence: [...s.evidence] })),
    };
  }

  restore(state: unknown): void {
    const s = state as {
      lastMinute: number;
      compact: CompactTableSnapshot;
      suspects: [string, number, Omit<Suspect, "slots"> & { slots: number[] }][];
    };
    this.lastMinute = s.lastMinute;
    this.compact = CompactTable.from(s.compact, { valueWords: T1_VALUE_WORDS, maxEntries: this.cfg.maxAccounts });
    this.suspects.restore(s.suspects, (x) => ({ ...x, slots: Uint32Array.from(x.slots) }));
  }
}

export const slowDistributedDetection: Detection<Config> = {
  id: "auth.slow_distributed",
  title: "Slow distributed guessing of one account",
  stage: "initial_access",
  attack: ["T1110.001", "T1110.003"],
  rationale:
    "Botnets guess one account's password from an always-new address, one or two attempts each, minutes to hours apart, for days: tools that count failures per address in a short window never see it (fail2ban#3400, crowdsec#2237; the slow Dovecot attacks of crowdsecurity/hub#283). Keyed by the account instead, the pattern is plain: failures from dozens of networks of many providers, none of them a network the account uses, within a week.",
  falsePositives: [
    "An account name targeted by many unrelated scanners (info@, admin@, sales@): real guessing, but opportunistic and not one actor; raise minNetworks for role accounts if they are locked down otherwise.",
    "A user's stale password on a device that roams over many unrelated networks (a laptop on hotel and café Wi-Fi for a week).",
    "A distributed mail client or sync service (many cloud regions of different providers) holding an old password.",
  ],
  triage:
    "Check whether the account succeeded from any new network in the window (auth.takeover) and where the failing networks are (residential botnet vs hosting). If no legitimate device explains them: reset the password, enable MFA or an app-password requirement for the account, and block the source networks where practical; look for other accounts with the same pattern (a list being worked through).",
  method: "rule",
  kinds: ["auth"],
  key: "user",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new SlowDistributedInstance(cfg, ctx),
};
