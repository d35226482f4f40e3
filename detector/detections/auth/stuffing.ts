// auth.stuffing — one source tries many different accounts with leaked
// credentials and mostly fails. Counted per source address over a sliding
// window; the episode (and the finding id) starts at the source's first
// failure after a quiet window, so a long campaign is one finding whose score
// rises, not one per minute.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionContext, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, scoreAbove, severityOf } from "../../core/finding.js";
import { type AddressFacts, addressFacts } from "../../state/address-facts.js";
import { EntityTable } from "../../state/entity-table.js";
import { RecentSet } from "../../state/recent-set.js";
import { accountOf, failedAttempts, isLoginSuccess } from "./signals.js";

const config = z.strictObject({
  windowMinutes: z
    .int()
    .min(1)
    .max(24 * 60)
    .default(10),
  /** Distinct accounts failed from one source within the window. */
  minAccounts: z.int().min(2).default(15),
  /** Above this share of successful logins it looks like a shared gateway, not stuffing. */
  maxSuccessRatio: z.number().min(0).max(1).default(0.2),
  maxSources: z.int().min(100).default(200_000),
});
type Config = z.infer<typeof config>;

interface SourceState {
  episodeStart: number;
  lastSeen: number;
  accounts: RecentSet;
  failures: number;
  successes: number;
  evidence: string[];
  lastFired: number;
}

class StuffingInstance implements DetectionInstance {
  private readonly sources: EntityTable<SourceState>;
  private readonly windowMs: number;
  private readonly facts: (ip: string) => AddressFacts;

  constructor(
    private readonly cfg: Config,
    ctx: DetectionContext,
  ) {
    this.sources = new EntityTable(cfg.maxSources);
    this.windowMs = cfg.windowMinutes * 60_000;
    this.facts = addressFacts(ctx.networks);
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    const ip = e.src_ip;
    if (!ip || this.facts(ip).internal) return [];
    const attempts = failedAttempts(e);
    const success = isLoginSuccess(e);
    if (attempts === 0 && !success) return [];
    const existing = this.sources.get(ip);
    // A quiet window ends the episode: the next attempt starts a new one.
    if (existing && now - existing.lastSeen > this.windowMs) this.sources.delete(ip);
    const s = this.sources.upsert(ip, now, () => ({
      episodeStart: now,
      lastSeen: now,
      accounts: new RecentSet(4 * this.cfg.minAccounts),
      failures: 0,
      successes: 0,
      evidence: [],
      lastFired: 0,
    }));
    s.lastSeen = now;
    s.accounts.prune(now - this.windowMs);
    if (success) {
      s.successes += 1;
      return s.lastFired > 0 ? this.hit(e, ip, s, now) : [];
    }
    const account = accountOf(e);
    if (!account) return [];
    s.failures += attempts;
    if (s.accounts.add(account, now) && s.evidence.length < MAX_EVIDENCE) s.evidence.push(e.id);
    const distinct = s.accounts.size;
    const ratio = s.successes / (s.successes + s.failures);
    // Fire at the threshold, then again each time the count doubles.
    if (distinct < this.cfg.minAccounts || ratio > this.cfg.maxSuccessRatio) return [];
    if (s.lastFired > 0 && distinct < 2 * s.lastFired) return [];
    s.lastFired = distinct;
    const score = scoreAbove(distinct, this.cfg.minAccounts, 60);
    const where = this.facts(ip).where;
    return [
      {
        id: findingId(stuffingDetection.id, ip, s.episodeStart),
        ts: iso(now),
        detection: stuffingDetection.id,
        stage: stuffingDetection.stage,
        entity_type: "src_ip",
        entity: ip,
        src_ip: ip,
        score,
        severity: severityOf(score),
        observed: distinct,
        expected: this.cfg.minAccounts,
        window_start: iso(s.episodeStart),
        window_end: iso(now),
        evidence: [...s.evidence],
        summary: `${ip}${where} failed logins to ${distinct}${s.accounts.saturated ? "+" : ""} accounts in ${Math.max(1, Math.round((now - s.episodeStart) / 60_000))} min with ${s.successes} successes (threshold ${this.cfg.minAccounts} accounts per ${this.cfg.windowMinutes} min)`,
        details: { failures: s.failures, successes: s.successes },
      },
    ];
  }

  /**
   * A login that succeeded from a source already caught stuffing: that
   * account's password is on the attacker's list (stolen credential use).
   */
  private hit(e: MailEvent, ip: string, s: SourceState, now: number): Finding[] {
    const account = accountOf(e);
    if (!account) return [];
    const score = 90;
    return [
      {
        id: findingId(stuffingDetection.id, `${ip} ${account}`, now),
        ts: iso(now),
        detection: stuffingDetection.id,
        stage: "stolen_credential_use",
        entity_type: "user",
        entity: account,
        user: account,
        src_ip: ip,
        ...(e.host ? { host: e.host } : {}),
        score,
        severity: severityOf(score),
        observed: s.successes,
        expected: 0,
        window_start: iso(s.episodeStart),
        window_end: iso(now),
        evidence: [e.id],
        summary: `${account} logged in successfully from ${ip}${this.facts(ip).where}, a source stuffing credentials (${s.accounts.size} accounts tried since ${iso(s.episodeStart).slice(11, 16)} UTC): the attacker has this password`,
        details: { pattern: "stuffing_hit", failures: s.failures, successes: s.successes },
      },
    ];
  }

  evict(before: number): number {
    return this.sources.evictIdle(before);
  }

  size(): number {
    return this.sources.size;
  }

  snapshot(): unknown {
    return this.sources.snapshot((s) => ({ ...s, accounts: s.accounts.toJSON() }));
  }

  restore(state: unknown): void {
    type S = Omit<SourceState, "accounts"> & { accounts: [string, number][] };
    this.sources.restore(state as [string, number, S][], (s) => ({
      ...s,
      accounts: RecentSet.from(s.accounts, 4 * this.cfg.minAccounts),
    }));
  }
}

export const stuffingDetection: Detection<Config> = {
  id: "auth.stuffing",
  title: "Credential stuffing from one source",
  stage: "initial_access",
  attack: ["T1110.004"],
  rationale:
    "A leaked credential list is replayed account by account: one address fails against many different accounts in minutes, with few successes. Per-IP failure counters of fail2ban-style tools see few failures per account and miss the breadth; counting distinct accounts per source does not. Once a source has been caught, each login that succeeds from it is a finding of its own (stage stolen_credential_use): that account's password is on the list.",
  falsePositives: [
    "A NAT gateway or webmail proxy in front of many users (its success ratio is high: raise maxSuccessRatio only with care; allow-list the proxy instead).",
    "A misconfigured multi-account client (one source, many accounts, all failing after a password rotation).",
  ],
  triage:
    "Check the accounts tried (evidence) and the logins that succeeded from this source (its stolen_credential_use findings) or its network (auth.takeover). Block the source at the edge; force-reset accounts that logged in.",
  method: "rule",
  kinds: ["auth"],
  key: "source",
  config,
  defaults: config.parse({}),
  create: (cfg, ctx) => new StuffingInstance(cfg, ctx),
};
