// egress.smtp_exfil — one sender's outbound mail explodes: deliveries or bytes
// per hour far above what that sender does. Data can leave as attachments
// through the platform's own MTA (no new network, no odd process), and a
// taken-over account is used to spam or to mail out a mailbox.
//
// There are as many senders as accounts (12.2 million in the story), so the
// state is a few numbers per sender: the open and previous hour's totals, a
// bias-corrected EWMA of hourly deliveries and bytes, and a slowly decaying
// peak of the busiest 60 minutes — the weekly newsletter's burst stays
// expected for weeks (a week-long season without 168 buckets per account). It fires while the hour
// runs, when the last 60 minutes pass max(floor, ratio × usual hour,
// peakTolerance × decayed peak); until a sender has `warmupHours` of history
// the floor is a conservative absolute one. Local deliveries (attrs.local)
// and ones not sent (bounced; deferred: retried, so counted when they go)
// are not outbound data.
//
// Counting. The Postfix parser emits one event per recipient, each carrying
// the MESSAGE's size: "messages" here are deliveries (one per recipient, so
// a spam run to 500 addresses counts 500), and a message's bytes count once —
// not again for the following deliveries of the same queue id (the last queue
// id is remembered per sender as a 32-bit hash; deliveries of one message come
// together).
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { Detection, DetectionInstance } from "../../core/detection.js";
import { type Finding, findingId, iso, MAX_EVIDENCE, scoreAbove, severityOf } from "../../core/finding.js";
import { EntityTable } from "../../state/entity-table.js";
import { formatBytes, formatDuration, HOUR, MB, NONE } from "./signals.js";

const config = z.strictObject({
  /** Deliveries (one per recipient) / bytes per hour that fire while a sender has no history. */
  coldMessages: z.int().min(1).default(200),
  coldBytes: z
    .int()
    .min(1)
    .default(100 * MB),
  /** Floors once warm. */
  minMessages: z.int().min(1).default(50),
  minBytes: z
    .int()
    .min(1)
    .default(50 * MB),
  /** Threshold ≥ ratio × the sender's usual (EWMA) hour … */
  ratio: z.number().min(1).default(10),
  /** … and ≥ peakTolerance × its decayed busiest hour. */
  peakTolerance: z.number().min(1).default(2),
  ewmaHalfLifeHours: z.number().min(1).default(168),
  peakHalfLifeDays: z.number().min(1).default(14),
  /** History before a sender's own baseline replaces the cold floor (a week: one weekly cycle). */
  warmupHours: z.int().min(1).default(168),
  /** Senders that may burst (newsletters, ticketing): an address, or a domain as `@lists.example.jp` / `*@lists.example.jp`. */
  allowedSenders: z.array(z.string().min(1)).default([]),
  maxSenders: z.int().min(100).default(500_000),
});
type Config = z.infer<typeof config>;

interface Episode {
  start: number;
  windowStart: number;
  last: number;
  m: number;
  b: number;
  firedM: number;
  firedB: number;
  evidence: string[];
}

// A sender's state: one packed array of 15 doubles (≈160 bytes on V8, about
// half of the same numbers as an object's fields). Hours are epoch hours.
/** Open hour; first hour seen. */
const H = 0;
const FIRST = 1;
/** Open / previous hour: first delivery (ms), deliveries, bytes. */
const T = 2;
const PT = 3;
const M = 4;
const B = 5;
const PM = 6;
const PB = 7;
/** Largest 60-minute window seen in the open hour (what the peak learns). */
const WM = 8;
const WB = 9;
/** EWMA of closed hours (not bias-corrected). */
const EM = 10;
const EB = 11;
/** Decayed busiest 60-minute window. */
const XM = 12;
const XB = 13;
/** FNV-1a hash of the last queue id whose bytes were counted (0: none). */
const QID = 14;
type SenderState = number[];

/** Senders in an episode at once (an outbreak from many accounts is many findings, not unbounded state). */
const MAX_EPISODES = 10_000;

/** 32-bit FNV-1a, never 0 (0 means "none"). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

class SmtpExfilInstance implements DetectionInstance {
  private readonly senders: EntityTable<SenderState>;
  /** Only senders over their threshold within the last hour have one. */
  private readonly episodes = new Map<string, Episode>();
  private readonly keep: number;
  private readonly decay: number;
  private readonly exact: ReadonlySet<string>;
  private readonly domains: ReadonlySet<string>;
  private latest = 0;

  constructor(private readonly cfg: Config) {
    this.senders = new EntityTable(cfg.maxSenders);
    this.keep = 2 ** (-1 / cfg.ewmaHalfLifeHours);
    this.decay = 2 ** (-1 / (cfg.peakHalfLifeDays * 24));
    const exact = new Set<string>();
    const domains = new Set<string>();
    for (const a of cfg.allowedSenders) {
      const s = a.toLowerCase();
      if (s.startsWith("*@")) domains.add(s.slice(2));
      else if (s.startsWith("@")) domains.add(s.slice(1));
      else exact.add(s);
    }
    this.exact = exact;
    this.domains = domains;
  }

  onEvent(e: MailEvent, now: number): Finding[] {
    if (e.kind !== "mail_out" || e.outcome !== "success" || e.attrs?.local === true || !e.user) return NONE;
    const sender = e.user.toLowerCase();
    if (this.isAllowed(sender)) return NONE;
    if (now > this.latest) this.latest = now;
    const hour = Math.floor(now / HOUR);
    const s = this.senders.upsert(sender, now, () => [hour, hour, now, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    if (hour > (s[H] as number)) this.roll(s, hour);
    const qid = e.attrs?.queue_id;
    const qh = typeof qid === "string" && qid.length > 0 ? fnv1a(qid) : 0;
    const bytes = qh !== 0 && qh === s[QID] ? 0 : (e.bytes_out ?? 0);
    s[QID] = qh;
    if (s[M] === 0) s[T] = now;
    const m = (s[M] as number) + 1;
    const b = (s[B] as number) + bytes;
    s[M] = m;
    s[B] = b;
    let ep = this.episodes.get(sender);
    if (ep && now - ep.last > HOUR) {
      this.episodes.delete(sender);
      ep = undefined;
    }
    if (ep) {
      ep.m += 1;
      ep.b += bytes;
      if (ep.evidence.length < MAX_EVIDENCE) ep.evidence.push(e.id);
    }

    const f = 1 - (now - hour * HOUR) / HOUR;
    const wm = m + (s[PM] as number) * f;
    const wb = b + (s[PB] as number) * f;
    if (wm > (s[WM] as number)) s[WM] = wm;
    if (wb > (s[WB] as number)) s[WB] = wb;
    const hours = hour - (s[FIRST] as number);
    const warm = hours >= this.cfg.warmupHours;
    // Bias correction: an EWMA started at 0 underestimates until it has seen enough hours.
    const seen = 1 - this.keep ** hours;
    const usualM = seen > 0 ? (s[EM] as number) / seen : 0;
    const usualB = seen > 0 ? (s[EB] as number) / seen : 0;
    const peakM = s[XM] as number;
    const peakB = s[XB] as number;
    const thrM = Math.max(
      warm ? this.cfg.minMessages : this.cfg.coldMessages,
      warm ? this.cfg.ratio * usualM : 0,
      this.cfg.peakTolerance * peakM,
    );
    const thrB = Math.max(
      warm ? this.cfg.minBytes : this.cfg.coldBytes,
      warm ? this.cfg.ratio * usualB : 0,
      this.cfg.peakTolerance * peakB,
    );
    if (wm <= thrM && wb <= thrB) return NONE;
    if (!ep) {
      if (this.episodes.size >= MAX_EPISODES) {
        const oldest = this.episodes.keys().next().value;
        if (oldest !== undefined) this.episodes.delete(oldest);
      }
      ep = {
        start: now,
        windowStart: (s[PM] as number) > 0 ? (s[PT] as number) : (s[T] as number),
        last: now,
        m: wm,
        b: wb,
        firedM: 0,
        firedB: 0,
        evidence: [e.id],
      };
      this.episodes.set(sender, ep);
    }
    ep.last = now;
    if (ep.firedM > 0 && ep.m < 2 * ep.firedM && ep.b < 2 * ep.firedB) return NONE;
    ep.firedM = ep.m;
    ep.firedB = ep.b;
    const base = warm ? 55 : 50;
    const byBytes = ep.b / thrB > ep.m / thrM;
    const score = Math.max(scoreAbove(ep.m, thrM, base), scoreAbove(ep.b, thrB, base));
    const usual = warm
      ? `usual ${usualM.toFixed(1)} recipients (${formatBytes(usualB)}) an hour, busiest recent hour ${Math.round(peakM)} (${formatBytes(peakB)})`
      : `no history yet (${hours} h seen)`;
    return [
      {
        id: findingId(smtpExfilDetection.id, sender, ep.start),
        ts: iso(now),
        detection: smtpExfilDetection.id,
        stage: smtpExfilDetection.stage,
        entity_type: "sender",
        entity: sender,
        user: sender,
        host: e.host,
        score,
        severity: severityOf(score),
        observed: Math.round(byBytes ? ep.b : ep.m),
        expected: Math.round(byBytes ? Math.max(usualB, peakB) : Math.max(usualM, peakM)),
        window_start: iso(ep.windowStart),
        window_end: iso(now),
        evidence: [...ep.evidence],
        summary: `${sender} sent mail to ${Math.round(ep.m)} outside recipients (${formatBytes(ep.b)}) in ${formatDuration(now - ep.windowStart)} (${usual}; threshold ${Math.round(thrM)} recipients or ${formatBytes(thrB)} per hour)`,
        details: {
          messages: Math.round(ep.m),
          bytes: Math.round(ep.b),
          threshold_messages: Math.round(thrM),
          threshold_bytes: Math.round(thrB),
          warm,
          by: byBytes ? "bytes" : "messages",
        },
      },
    ];
  }

  private isAllowed(sender: string): boolean {
    if (this.exact.has(sender)) return true;
    if (this.domains.size === 0) return false;
    const at = sender.lastIndexOf("@");
    return at >= 0 && this.domains.has(sender.slice(at + 1));
  }

  /** Closes the open hour (and any silent ones) into the EWMA and the peak. */
  private roll(s: SenderState, hour: number): void {
    const gap = hour - (s[H] as number);
    const keep = this.keep;
    const a = 1 - keep;
    let em = a * (s[M] as number) + keep * (s[EM] as number);
    let eb = a * (s[B] as number) + keep * (s[EB] as number);
    let xm = Math.max((s[XM] as number) * this.decay, s[WM] as number);
    let xb = Math.max((s[XB] as number) * this.decay, s[WB] as number);
    if (gap > 1) {
      const k = keep ** (gap - 1);
      const d = this.decay ** (gap - 1);
      em *= k;
      eb *= k;
      xm *= d;
      xb *= d;
    }
    s[EM] = em;
    s[EB] = eb;
    s[XM] = xm;
    s[XB] = xb;
    s[PM] = gap === 1 ? (s[M] as number) : 0;
    s[PB] = gap === 1 ? (s[B] as number) : 0;
    s[PT] = gap === 1 ? (s[T] as number) : 0;
    s[M] = 0;
    s[B] = 0;
    s[WM] = 0;
    s[WB] = 0;
    s[H] = hour;
  }

  evict(before: number): number {
    // Episodes end an hour after their last crossing (the next delivery would end them too).
    for (const [sender, ep] of this.episodes) if (ep.last < this.latest - HOUR) this.episodes.delete(sender);
    return this.senders.evictIdle(before);
  }

  size(): number {
    return this.senders.size;
  }

  snapshot(): unknown {
    return { senders: this.senders.snapshot((s) => s), episodes: [...this.episodes], latest: this.latest };
  }

  restore(state: unknown): void {
    const st = state as { senders: [string, number, SenderState][]; episodes: [string, Episode][]; latest: number };
    this.senders.restore(st.senders, (s) => s);
    this.episodes.clear();
    for (const [sender, ep] of st.episodes) this.episodes.set(sender, ep);
    this.latest = st.latest;
  }
}

export const smtpExfilDetection: Detection<Config> = {
  id: "egress.smtp_exfil",
  title: "Outbound mail of one sender far above its baseline",
  stage: "exfiltration",
  attack: ["T1048.003", "T1020", "T1114"],
  rationale:
    "Data can leave through the mail platform itself: a taken-over account or a webshell mails out archives, or a mailbox is forwarded wholesale, and spam runs from stolen credentials follow a leak. None of that opens a new network connection, so only per-sender mail volume shows it: deliveries and bytes per hour against the sender's own usual hour and its busiest recent hour (so a weekly newsletter stays expected). The peers a mail operator would pick have no rule for outbound data at all (wazuh-ruleset #176).",
  falsePositives: [
    "A newsletter, mailing list or ticketing system sending its first burst (add it to allowedSenders; later bursts of the same size are learned).",
    "A user sending a large attachment to many recipients once.",
    "A mailbox migration or forwarding set up on purpose.",
  ],
  triage:
    "Check where the sender authenticated from (auth findings, the submission logins in the window) and what was sent (the evidence deliveries: recipients, sizes). If it is not the account owner: lock the account, reset its password, hold its queue, and look for forwarding rules set on the mailbox.",
  method: "baseline",
  kinds: ["mail_out"],
  key: "sender",
  config,
  defaults: config.parse({}),
  create: (cfg) => new SmtpExfilInstance(cfg),
};
