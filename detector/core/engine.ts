// Runs the detections over events by event time (DESIGN §5). Events from
// several partitions ("lanes") arrive interleaved and each lane may be ahead
// of the others, so they are held in a reorder buffer and released in
// (time, id) order once the watermark has passed them. The watermark is the
// newest event time of the slowest lane minus the allowed lateness (a lane
// that has gone quiet is retired by the caller, which knows wall time, and
// stops holding it back): the same input gives the same order, hence the same
// findings, ids and scores. An event older than what was already released is
// late: it is counted and still evaluated.
//
// One engine can run all detections (a single process) or only those of some
// state keys (a stage of a scaled-out deployment, see detector/service).
import TinyQueue from "tinyqueue";
import type { MailEvent } from "../../events/event.js";
import type { AnyDetection, DetectionContext, DetectionInstance, Enricher, StateKey } from "./detection.js";
import type { Finding } from "./finding.js";

export interface EngineDetection {
  detection: AnyDetection;
  config: unknown;
}

export interface EngineOptions {
  detections: EngineDetection[];
  ctx: DetectionContext;
  /** How far behind the watermark an event may arrive and still be ordered. */
  allowedLatenessMs: number;
  /** Entities idle for longer are forgotten. */
  idleEvictionMs: number;
  /** Only detections (and enrichers) keyed by these run here; default all. */
  keys?: StateKey[];
  /** Drops findings (suppressions, allow-lists of the alert workflow). */
  accept?: (f: Finding) => boolean;
  /** Sees every event once it is released and enriched (to re-key it for the next stage); `late`: out of order. */
  onRelease?: (e: MailEvent, late: boolean) => void;
}

export interface EngineStats {
  events: number;
  late: number;
  findings: number;
  buffered: number;
  watermark: number;
  entities: Record<string, number>;
}

interface Running {
  id: string;
  key: StateKey;
  kinds: Set<string>;
  instance: DetectionInstance;
}

const EVICT_EVERY_MS = 10 * 60_000;
const TICK_MS = 10_000;
const MAX_TICKED_GAP_MS = 86_400_000;

/**
 * A buffered event with its time parsed once (the comparator and the release
 * loop need it), and the one state key it is for, if any.
 */
interface Held {
  t: number;
  e: MailEvent;
  k?: StateKey | undefined;
}

const order = (a: Held, b: Held) => a.t - b.t || (a.e.id < b.e.id ? -1 : a.e.id > b.e.id ? 1 : 0);
const hold = (e: MailEvent, k?: StateKey): Held => ({ t: Date.parse(e.ts), e, k });

export class DetectorEngine {
  private readonly running: Running[] = [];
  private readonly enrichers: { id: string; key: StateKey; instance: Enricher }[] = [];
  private buffer = new TinyQueue<Held>([], order);
  private maxTs = Number.NEGATIVE_INFINITY;
  /** Newest event time per input lane (topic/partition). */
  private readonly lanes = new Map<string, number>();
  /** Event time up to which events have been released (ms). */
  private frontier = Number.NEGATIVE_INFINITY;
  private lastTick = Number.NEGATIVE_INFINITY;
  private lastEvict = Number.NEGATIVE_INFINITY;
  /** Finding id → score last emitted: a re-fire is only passed on when it ranks higher. */
  private readonly emitted = new Map<string, number>();
  private counters = { events: 0, late: 0, findings: 0 };

  constructor(private readonly opts: EngineOptions) {
    const keys = opts.keys ? new Set(opts.keys) : undefined;
    for (const { detection, config } of opts.detections) {
      if (detection.enrich && (!keys || keys.has(detection.enrich.key))) {
        this.enrichers.push({
          id: detection.id,
          key: detection.enrich.key,
          instance: detection.enrich.create(config, opts.ctx),
        });
      }
      if (!keys || keys.has(detection.key)) {
        this.running.push({
          id: detection.id,
          key: detection.key,
          kinds: new Set(detection.kinds),
          instance: detection.create(config, opts.ctx),
        });
      }
    }
  }

  /**
   * The lanes this engine reads now. New ones hold the watermark back until
   * they deliver (or are retired as quiet): otherwise the first lane to
   * deliver would release events that another lane's backlog precedes. Lanes
   * not among them (their partitions moved to another instance), with their
   * writers' sub-lanes, stop holding it back. Returns what that released.
   */
  assignLanes(lanes: string[]): Finding[] {
    const under = (k: string, lane: string) => k === lane || k.startsWith(`${lane}/`);
    for (const k of [...this.lanes.keys()]) if (!lanes.some((lane) => under(k, lane))) this.lanes.delete(k);
    const known = [...this.lanes.keys()];
    for (const lane of lanes) {
      if (!known.some((k) => under(k, lane))) this.lanes.set(lane, Number.NEGATIVE_INFINITY);
    }
    return this.release(this.watermark() - this.opts.allowedLatenessMs);
  }

  /**
   * Accepts one event from input `lane`; returns the findings of the events
   * this released. `key`: the event is only for the detections of that state
   * key (a repartitioned copy: the same event arrives once per key).
   */
  ingest(e: MailEvent, lane = "", key?: StateKey): Finding[] {
    const t = Date.parse(e.ts);
    this.counters.events += 1;
    this.see(lane, t);
    if (t < this.frontier) {
      this.counters.late += 1;
      return this.evaluate(e, t, key, true);
    }
    this.buffer.push({ t, e, k: key });
    if (t > this.maxTs) this.maxTs = t;
    return this.release(this.watermark() - this.opts.allowedLatenessMs);
  }

  /**
   * A lane is known (holds the watermark back) and has delivered up to `t`.
   * A writer's sub-lane ("<lane>/<writer>") takes over from its lane's
   * placeholder.
   */
  private see(lane: string, t: number): void {
    const prev = this.lanes.get(lane);
    if (prev === undefined) {
      const parent = lane.slice(0, lane.lastIndexOf("/"));
      if (this.lanes.get(parent) === Number.NEGATIVE_INFINITY) this.lanes.delete(parent);
    }
    if (prev === undefined || t > prev) this.lanes.set(lane, t);
  }

  /** `lane`'s source says it has nothing before `t` (-Infinity: it exists, nothing yet); returns what that released. */
  markLane(lane: string, t: number): Finding[] {
    this.see(lane, t);
    return this.release(this.watermark() - this.opts.allowedLatenessMs);
  }

  /** The slowest active lane's newest event time. */
  private watermark(): number {
    let w = this.maxTs;
    for (const t of this.lanes.values()) if (t < w) w = t;
    return w;
  }

  /** Lanes that went quiet no longer hold the watermark back (until they deliver again). */
  retireLanes(lanes: string[]): Finding[] {
    for (const lane of lanes) this.lanes.delete(lane);
    return this.release(this.watermark() - this.opts.allowedLatenessMs);
  }

  /** Releases everything buffered (end of input, or the input went idle). */
  flush(): Finding[] {
    return this.release(Number.POSITIVE_INFINITY);
  }

  /** Releases what every lane has delivered, without waiting out the lateness. */
  releaseDelivered(): Finding[] {
    return this.release(this.watermark());
  }

  private release(upTo: number): Finding[] {
    const out: Finding[] = [];
    for (let h = this.buffer.peek(); h !== undefined && h.t <= upTo; h = this.buffer.peek()) {
      this.buffer.pop();
      const { t, e, k } = h;
      this.tickBefore(t, out);
      this.frontier = Math.max(this.frontier, t);
      for (const f of this.evaluate(e, t, k)) out.push(f);
    }
    if (Number.isFinite(upTo) && upTo > this.frontier && this.buffer.length === 0) this.frontier = upTo;
    this.tickBefore(this.frontier, out);
    return out;
  }

  /**
   * The detections' timers for every tick before `t`. Ticks sit on a fixed
   * grid of event time and run between the events around them, so what a
   * timer sees does not depend on how the input was batched or partitioned.
   */
  private tickBefore(t: number, out: Finding[]): void {
    if (!Number.isFinite(t)) return;
    // The first tick is the grid point at or before the first event.
    if (!Number.isFinite(this.lastTick)) this.lastTick = (Math.floor(t / TICK_MS) - 1) * TICK_MS;
    let g = (Math.floor(this.lastTick / TICK_MS) + 1) * TICK_MS;
    // A gap of days (a stopped platform, a clock jump) is not ticked through in full.
    if (t - g > MAX_TICKED_GAP_MS) g = Math.floor((t - MAX_TICKED_GAP_MS) / TICK_MS) * TICK_MS;
    for (; g < t; g += TICK_MS) this.tick(g, out);
  }

  private evaluate(e: MailEvent, t: number, key: StateKey | undefined, late = false): Finding[] {
    for (const en of this.enrichers) if (key === undefined || en.key === key) en.instance.onEvent(e, t);
    this.opts.onRelease?.(e, late);
    const out: Finding[] = [];
    for (const r of this.running) {
      if (!r.kinds.has(e.kind) || (key !== undefined && r.key !== key)) continue;
      for (const f of r.instance.onEvent(e, t)) this.emit(f, out);
    }
    return out;
  }

  private tick(now: number, out: Finding[]): void {
    this.lastTick = now;
    for (const r of this.running) for (const f of r.instance.onTime?.(now) ?? []) this.emit(f, out);
    if (now - this.lastEvict >= EVICT_EVERY_MS) {
      this.lastEvict = now;
      const before = now - this.opts.idleEvictionMs;
      for (const r of this.running) r.instance.evict(before);
      for (const en of this.enrichers) en.instance.evict(before);
      if (this.emitted.size > 100_000) this.emitted.clear();
    }
  }

  private emit(f: Finding, out: Finding[]): void {
    const prev = this.emitted.get(f.id);
    if (prev !== undefined && f.score <= prev) return;
    this.emitted.set(f.id, f.score);
    if (this.opts.accept && !this.opts.accept(f)) return;
    this.counters.findings += 1;
    out.push(f);
  }

  stats(): EngineStats {
    const entities: Record<string, number> = {};
    for (const r of this.running) entities[r.id] = r.instance.size();
    for (const en of this.enrichers) entities[`${en.id}#enrich`] = en.instance.size();
    return { ...this.counters, buffered: this.buffer.length, watermark: this.frontier, entities };
  }

  snapshot(): EngineSnapshot {
    return {
      v: 1,
      maxTs: this.maxTs,
      lanes: [...this.lanes],
      frontier: this.frontier,
      lastTick: this.lastTick,
      lastEvict: this.lastEvict,
      buffered: this.buffer.data.slice(0, this.buffer.length).map(({ e, k }) => (k ? { e, k } : { e })),
      emitted: [...this.emitted],
      counters: { ...this.counters },
      detections: Object.fromEntries(this.running.map((r) => [r.id, r.instance.snapshot()])),
      enrichers: Object.fromEntries(this.enrichers.map((en) => [en.id, en.instance.snapshot()])),
    };
  }

  restore(s: EngineSnapshot): void {
    this.maxTs = s.maxTs ?? Number.NEGATIVE_INFINITY;
    this.lanes.clear();
    // JSON has no -Infinity: a lane that had not delivered yet comes back as null.
    for (const [lane, t] of s.lanes ?? []) this.lanes.set(lane, t ?? Number.NEGATIVE_INFINITY);
    this.frontier = s.frontier ?? Number.NEGATIVE_INFINITY;
    this.lastTick = s.lastTick ?? Number.NEGATIVE_INFINITY;
    this.lastEvict = s.lastEvict ?? Number.NEGATIVE_INFINITY;
    this.buffer = new TinyQueue<Held>(
      s.buffered.map(({ e, k }) => hold(e, k)),
      order,
    );
    this.emitted.clear();
    for (const [id, score] of s.emitted) this.emitted.set(id, score);
    this.counters = { ...s.counters };
    for (const r of this.running) if (s.detections[r.id] !== undefined) r.instance.restore(s.detections[r.id]);
    for (const en of this.enrichers) if (s.enrichers[en.id] !== undefined) en.instance.restore(s.enrichers[en.id]);
  }
}

export interface EngineSnapshot {
  v: 1;
  maxTs: number;
  lanes?: [string, number][];
  frontier: number;
  lastTick: number;
  lastEvict: number;
  buffered: { e: MailEvent; k?: StateKey }[];
  emitted: [string, number][];
  counters: { events: number; late: number; findings: number };
  detections: Record<string, unknown>;
  enrichers: Record<string, unknown>;
}
