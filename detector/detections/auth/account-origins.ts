// The account-origins enricher: for every account of the platform, where it
// usually logs in from and how it has been failing lately. It runs on the
// user-keyed stage (where all of an account's events are) before any
// detection, and writes what it knows onto each auth event, so detections
// keyed by source or domain can ask "is this network new for this account?"
// without holding per-account state themselves (DESIGN §4: re-keyed through a
// repartition topic, the attributes travel with the event).
//
// Attributes written on every auth event with a user and a non-internal
// source address (values as they were BEFORE this event):
//   origin              string   the source's origin: "AS64501" when the ASN table knows the
//                                address, else its /24 (/48) — NetworkInfo.origin
//   origin_known        boolean  a successful login of this account came from this origin before
//   account_warm        boolean  the account has at least `warmLogins` successful logins and
//                                was first seen at least `warmDays` ago (a fresh detector, or a
//                                new account, does not yet know its usual origins)
//   fails_before        number   failed attempts (attrs.attempts) of the account in the last
//                                hour (quarter-hour granularity)
//   fails_origin        number   failed attempts of the account from this same origin in the
//                                current run (failures from one origin, none more than an hour
//                                after the previous one, not yet ended by a success from there)
//   fails_origin_since  number   (only when fails_origin > 0) start of that run, ms since epoch
//                                (minute precision)
// Internal sources get no attributes (webmail and proxies are not origins).
//
// State: one CompactTable entry per account (15 u32 words = 60 bytes; ~80 to
// ~160 bytes per account with the table's headroom), keyed by a seeded 64-bit
// hash of the lower-cased account name. Up to 4 known origins per account,
// each with a saturating use counter (halved when one saturates): a new origin
// replaces the least used one, so home, phone and office stay while
// one-off travel networks come and go.
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { DetectionContext, Enricher } from "../../core/detection.js";
import { type AddressFacts, addressFacts } from "../../state/address-facts.js";
import { CompactTable, type CompactTableSnapshot, HEADER_WORDS, hash32 } from "../../state/compact-table.js";
import { failedAttempts, isLoginSuccess } from "./signals.js";

export const ORIGIN_ATTR = "origin";
export const ORIGIN_KNOWN_ATTR = "origin_known";
export const ACCOUNT_WARM_ATTR = "account_warm";
export const FAILS_BEFORE_ATTR = "fails_before";
export const FAILS_ORIGIN_ATTR = "fails_origin";
export const FAILS_ORIGIN_SINCE_ATTR = "fails_origin_since";

/** The enricher's settings (part of auth.takeover's configuration, which declares it). */
export const accountOriginsFields = {
  /** Successful logins after which an account is warm (has a history to compare with). */
  warmLogins: z.int().min(1).max(1000).default(5),
  /** Days since an account was first seen before it is warm. */
  warmDays: z.int().min(0).max(365).default(2),
  /** Accounts tracked at most (the platform's accounts; ~75 bytes each at full load). */
  maxAccounts: z.int().min(1000).max(100_000_000).default(12_500_000),
  /** An account is kept at least this long after it was last seen (longer if the engine's idle eviction is). */
  accountRetentionDays: z.int().min(1).max(3650).default(90),
};
export interface AccountOriginsConfig {
  warmLogins: number;
  warmDays: number;
  maxAccounts: number;
  accountRetentionDays: number;
}

// Value words of an entry (after the table's header).
const ORIGIN_SLOTS = 4;
const FIRST_SEEN = HEADER_WORDS; // minute the account was first seen
const SUCCESSES = FIRST_SEEN + 1;
const ORIGINS = SUCCESSES + 1; // ORIGIN_SLOTS origin hashes (0 = empty)
const ORIGIN_USES = ORIGINS + ORIGIN_SLOTS; // 4 × u8 use counters
const FAIL_QUARTERS = ORIGIN_USES + 1; // 4 × u8 failed attempts per quarter hour
const LAST_FAIL = FAIL_QUARTERS + 1; // minute of the last failure
const RUN_ORIGIN = LAST_FAIL + 1; // origin hash of the current failure run
const RUN_FAILS = RUN_ORIGIN + 1;
const RUN_START = RUN_FAILS + 1; // minute the run started
export const ACCOUNT_ORIGINS_VALUE_WORDS = RUN_START + 1 - HEADER_WORDS;

const RUN_GAP_MINUTES = 60;
const NEW_ORIGIN_USES = ORIGIN_SLOTS - 1;
const QUARTER = 15;

const byte = (word: number, i: number): number => (word >>> (8 * i)) & 0xff;
const withByte = (word: number, i: number, v: number): number =>
  ((word & ~(0xff << (8 * i))) | (Math.min(255, v) << (8 * i))) >>> 0;

export class AccountOriginsEnricher implements Enricher {
  private table: CompactTable;
  private readonly facts: (ip: string) => AddressFacts;
  private readonly key = new Uint32Array(2);
  private lastMinute = 0;
  private readonly warmMinutes: number;

  constructor(
    private readonly cfg: AccountOriginsConfig,
    ctx: DetectionContext,
    seed?: number,
  ) {
    this.table = new CompactTable({
      valueWords: ACCOUNT_ORIGINS_VALUE_WORDS,
      maxEntries: cfg.maxAccounts,
      seed: seed ?? ctx.seed,
    });
    this.facts = addressFacts(ctx.networks);
    this.warmMinutes = cfg.warmDays * 24 * 60;
  }

  onEvent(e: MailEvent, now: number): void {
    if (e.kind !== "auth" || !e.user || !e.src_ip) return;
    const where = this.facts(e.src_ip);
    if (where.internal) return;
    const attempts = failedAttempts(e);
    const success = isLoginSuccess(e);
    const minute = Math.floor(now / 60_000);
    if (minute > this.lastMinute) this.lastMinute = minute;
    const t = this.table;
    t.hashKey(e.user.toLowerCase(), this.key);
    const oh = hash32(where.origin, t.seed);
    const attrs = e.attrs ?? {};
    e.attrs = attrs;
    attrs[ORIGIN_ATTR] = where.origin;
    const counted = attempts > 0 || success;
    const b = counted
      ? t.upsert(this.key[0] as number, this.key[1] as number, minute)
      : t.find(this.key[0] as number, this.key[1] as number);
    if (b < 0) {
      attrs[ORIGIN_KNOWN_ATTR] = false;
      attrs[ACCOUNT_WARM_ATTR] = false;
      attrs[FAILS_BEFORE_ATTR] = 0;
      attrs[FAILS_ORIGIN_ATTR] = 0;
      if (attrs[FAILS_ORIGIN_SINCE_ATTR] !== undefined) delete attrs[FAILS_ORIGIN_SINCE_ATTR];
      return;
    }
    const w = t.words;
    if (counted && t.created) w[b + FIRST_SEEN] = minute;
    let slot = -1;
    for (let i = 0; i < ORIGIN_SLOTS; i++) if (w[b + ORIGINS + i] === oh) slot = i;
    const lastFail = w[b + LAST_FAIL] as number;
    const runFails =
      w[b + RUN_ORIGIN] === oh && lastFail > 0 && minute - lastFail <= RUN_GAP_MINUTES
        ? (w[b + RUN_FAILS] as number)
        : 0;
    attrs[ORIGIN_KNOWN_ATTR] = slot >= 0;
    attrs[ACCOUNT_WARM_ATTR] =
      (w[b + SUCCESSES] as number) >= this.cfg.warmLogins && minute - (w[b + FIRST_SEEN] as number) >= this.warmMinutes;
    attrs[FAILS_BEFORE_ATTR] = failsLastHour(w, b, minute);
    attrs[FAILS_ORIGIN_ATTR] = runFails;
    if (runFails > 0) attrs[FAILS_ORIGIN_SINCE_ATTR] = (w[b + RUN_START] as number) * 60_000;
    else if (attrs[FAILS_ORIGIN_SINCE_ATTR] !== undefined) delete attrs[FAILS_ORIGIN_SINCE_ATTR];

    if (attempts > 0) {
      addFailures(w, b, minute, attempts);
      if (runFails > 0) w[b + RUN_FAILS] = runFails + attempts;
      else {
        w[b + RUN_ORIGIN] = oh;
        w[b + RUN_FAILS] = attempts;
        w[b + RUN_START] = minute;
      }
    } else if (success) {
      w[b + SUCCESSES] = Math.min(0xffffffff, (w[b + SUCCESSES] as number) + 1);
      if (w[b + RUN_ORIGIN] === oh) w[b + RUN_FAILS] = 0;
      learnOrigin(w, b, slot, oh);
    }
  }

  evict(before: number): number {
    const retention = this.cfg.accountRetentionDays * 24 * 60;
    return this.table.evictIdle(Math.min(Math.floor(before / 60_000), this.lastMinute - retention));
  }

  size(): number {
    return this.table.size;
  }

  /** Bytes of the account table (for the memory benchmark and stats). */
  bytes(): number {
    return this.table.bytes;
  }

  snapshot(): unknown {
    return { lastMinute: this.lastMinute, table: this.table.snapshot() };
  }

  restore(state: unknown): void {
    const s = state as { lastMinute: number; table: CompactTableSnapshot };
    this.lastMinute = s.lastMinute;
    this.table = CompactTable.from(s.table, {
      valueWords: ACCOUNT_ORIGINS_VALUE_WORDS,
      maxEntries: this.cfg.maxAccounts,
    });
  }
}

/** Failed attempts in the quarter hours overlapping the last hour. */
function failsLastHour(w: Uint32Array, b: number, minute: number): number {
  const last = w[b + LAST_FAIL] as number;
  if (last === 0) return 0;
  const q = Math.floor(minute / QUARTER);
  const head = Math.floor(last / QUARTER);
  const packed = w[b + FAIL_QUARTERS] as number;
  let n = 0;
  for (let x = Math.max(head - 3, q - 3); x <= head; x++) n += byte(packed, x % 4);
  return n;
}

function addFailures(w: Uint32Array, b: number, minute: number, attempts: number): void {
  const last = w[b + LAST_FAIL] as number;
  const q = Math.floor(minute / QUARTER);
  const head = Math.floor(last / QUARTER);
  let packed = w[b + FAIL_QUARTERS] as number;
  if (last === 0 || q - head >= 4) packed = 0;
  else for (let x = head + 1; x <= q; x++) packed = withByte(packed, x % 4, 0);
  if (head - q < 4) packed = withByte(packed, q % 4, byte(packed, q % 4) + attempts);
  w[b + FAIL_QUARTERS] = packed;
  if (minute > last) w[b + LAST_FAIL] = minute;
}

function learnOrigin(w: Uint32Array, b: number, slot: number, oh: number): void {
  let uses = w[b + ORIGIN_USES] as number;
  if (slot >= 0) {
    if (byte(uses, slot) === 255) {
      // Age every origin so the counters keep ranking recent use.
      for (let k = 0; k < ORIGIN_SLOTS; k++) uses = withByte(uses, k, byte(uses, k) >>> 1);
    }
    w[b + ORIGIN_USES] = withByte(uses, slot, byte(uses, slot) + 1);
    return;
  }
  // A new origin takes an empty slot, else the least used one. It starts at
  // NEW_ORIGIN_USES and every other rarely used origin loses one, so among
  // one-off networks the counters rank recency and the oldest goes first,
  // while origins in regular use (counters far above) stay.
  let i = -1;
  for (let k = 0; k < ORIGIN_SLOTS && i < 0; k++) if (w[b + ORIGINS + k] === 0) i = k;
  if (i < 0) {
    i = 0;
    for (let k = 1; k < ORIGIN_SLOTS; k++) if (byte(uses, k) < byte(uses, i)) i = k;
  }
  for (let k = 0; k < ORIGIN_SLOTS; k++) {
    const u = byte(uses, k);
    if (k !== i && u > 0 && u <= NEW_ORIGIN_USES) uses = withByte(uses, k, u - 1);
  }
  w[b + ORIGINS + i] = oh;
  w[b + ORIGIN_USES] = withByte(uses, i, NEW_ORIGIN_USES);
}

/** The enricher as auth.takeover declares it (any detection config carrying the fields). */
export const accountOriginsEnrich = {
  key: "user" as const,
  create: (cfg: AccountOriginsConfig, ctx: DetectionContext): Enricher => new AccountOriginsEnricher(cfg, ctx),
};

/** Reads the enricher's attributes off an event (undefined when the event was not enriched). */
export function originOf(e: MailEvent): string | undefined {
  const o = e.attrs?.[ORIGIN_ATTR];
  return typeof o === "string" ? o : undefined;
}

export function originKnown(e: MailEvent): boolean {
  return e.attrs?.[ORIGIN_KNOWN_ATTR] === true;
}

export function accountWarm(e: MailEvent): boolean {
  return e.attrs?.[ACCOUNT_WARM_ATTR] === true;
}

export function numberAttr(e: MailEvent, name: string): number {
  const n = e.attrs?.[name];
  return typeof n === "number" ? n : 0;
}
