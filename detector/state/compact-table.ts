// Per-account state at platform scale (12.2M accounts) in typed arrays: an
// open-addressing hash table (linear probing, backward-shift deletion) keyed
// by a 64-bit hash of the account name, each entry a fixed number of u32
// words. No object, string or Map entry per account: an entry costs
// `stride × 4` bytes, the table at most 1/0.75 of that per account. It grows
// by doubling up to the capacity `maxEntries` needs; past that, inserting
// evicts the least recently seen of a few sampled entries (approximate LRU in
// O(1)).
//
// The hash is seeded per table (hostile account names must not be able to
// pile up on one probe chain); the seed travels in the snapshot, so a
// restored table finds its keys. Callers address words by the entry's base
// index (`find` / `upsert`) into `words`; both are only valid until the next
// insertion or removal (growth reallocates, deletion shifts entries).
import { randomInt } from "node:crypto";

/** Words every entry starts with: key hash (hi, lo) and the minute it was last seen. */
export const HEADER_WORDS = 3;
const KEY_HI = 0;
const KEY_LO = 1;
const SEEN = 2;
const MAX_LOAD = 0.75;
const EVICTION_SAMPLE = 8;
const SNAPSHOT_CHUNK_ENTRIES = 1 << 16;

/**
 * 64-bit hash of a string (two 32-bit lanes, cyrb53's mixing), seeded, into
 * `out[0..1]`. Never (0, 0): that marks an empty slot.
 */
export function hash64(s: string, seed: number, out: Uint32Array): void {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ Math.imul(seed, 0x9e3779b1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  out[0] = h2 >>> 0;
  out[1] = h1 >>> 0 || (h2 === 0 ? 1 : 0);
}

/** 32-bit seeded hash of a string, never 0 (0 marks an empty value slot). */
export function hash32(s: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0 || 1;
}

/** A random 31-bit seed. */
export const randomSeed = (): number => randomInt(0, 0x7fffffff);

export interface CompactTableOptions {
  /** u32 words of value per entry (after the header). */
  valueWords: number;
  /** Entries kept at most; the table never grows past the capacity this needs. */
  maxEntries: number;
  initialCapacity?: number;
  seed?: number;
}

export interface CompactTableSnapshot {
  v: 1;
  stride: number;
  seed: number;
  overflowEvictions: number;
  /** Live entries, packed, little-endian u32, base64, in chunks (one string per 64Ki entries). */
  chunks: string[];
}

const nextPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

export class CompactTable {
  readonly stride: number;
  readonly seed: number;
  /** Entry `base` holds key hi/lo at base+0/1, last-seen minute at base+2, values from base+HEADER_WORDS. */
  words: Uint32Array;
  /** Set by `upsert`: whether the last call created the entry. */
  created = false;
  /** Entries dropped to make room (not because they were idle). */
  overflowEvictions = 0;
  private mask: number;
  private count = 0;
  private readonly maxCapacity: number;
  private cursor = 0;

  constructor(private readonly opts: CompactTableOptions) {
    this.stride = HEADER_WORDS + opts.valueWords;
    this.seed = opts.seed ?? randomSeed();
    this.maxCapacity = nextPow2(Math.ceil(opts.maxEntries / MAX_LOAD));
    const capacity = Math.min(this.maxCapacity, nextPow2(opts.initialCapacity ?? 1024));
    this.words = new Uint32Array(capacity * this.stride);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes held by the table's storage. */
  get bytes(): number {
    return this.words.byteLength;
  }

  /** Hashes `key` with this table's seed into `out[0..1]`. */
  hashKey(key: string, out: Uint32Array): void {
    hash64(key, this.seed, out);
  }

  /** Base index of the entry with this key hash, or -1. */
  find(hi: number, lo: number): number {
    const w = this.words;
    const stride = this.stride;
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const b = i * stride;
      const h = w[b + KEY_HI] as number;
      const l = w[b + KEY_LO] as number;
      if (h === hi && l === lo) return b;
      if (h === 0 && l === 0) return -1;
    }
  }

  /**
   * Base index of the entry with this key hash, created zeroed when absent
   * (`created` says which), marked seen at `minute`.
   */
  upsert(hi: number, lo: number, minute: number): number {
    let b = this.find(hi, lo);
    this.created = b < 0;
    if (b < 0) {
      this.makeRoom();
      b = this.insertSlot(hi, lo);
      this.count += 1;
    }
    const w = this.words;
    if ((w[b + SEEN] as number) < minute) w[b + SEEN] = minute;
    return b;
  }

  /** Removes the entry with this key hash; returns whether it existed. */
  remove(hi: number, lo: number): boolean {
    const b = this.find(hi, lo);
    if (b < 0) return false;
    this.removeAt(b / this.stride);
    return true;
  }

  /** Drops entries last seen before `minute`; returns how many. */
  evictIdle(minute: number): number {
    const w = this.words;
    const stride = this.stride;
    let n = 0;
    for (let i = 0; i <= this.mask; ) {
      const b = i * stride;
      const occupied = (w[b + KEY_HI] as number) !== 0 || (w[b + KEY_LO] as number) !== 0;
      if (occupied && (w[b + SEEN] as number) < minute) {
        this.removeAt(i); // shifts a later entry into slot i: look at it again
        n += 1;
      } else i += 1;
    }
    return n;
  }

  /** Calls `fn` with the base of every entry (no insertions or removals meanwhile). */
  forEach(fn: (base: number) => void): void {
    const w = this.words;
    for (let b = 0; b < w.length; b += this.stride) {
      if ((w[b + KEY_HI] as number) !== 0 || (w[b + KEY_LO] as number) !== 0) fn(b);
    }
  }

  snapshot(): CompactTableSnapshot {
    const chunks: string[] = [];
    const buf = new Uint32Array(Math.min(this.count, SNAPSHOT_CHUNK_ENTRIES) * this.stride);
    let n = 0;
    const flush = () => {
      chunks.push(Buffer.from(buf.buffer, buf.byteOffset, n * this.stride * 4).toString("base64"));
      n = 0;
    };
    this.forEach((b) => {
      buf.set(this.words.subarray(b, b + this.stride), n * this.stride);
      n += 1;
      if (n === SNAPSHOT_CHUNK_ENTRIES) flush();
    });
    if (n > 0) flush();
    return { v: 1, stride: this.stride, seed: this.seed, overflowEvictions: this.overflowEvictions, chunks };
  }

  /** A table holding the entries of `s` (its seed, so the same keys hash the same). */
  static from(s: CompactTableSnapshot, opts: Omit<CompactTableOptions, "seed">): CompactTable {
    if (s.stride !== HEADER_WORDS + opts.valueWords) throw new Error("compact table snapshot: layout differs");
    const bytes = s.chunks.map((c) => Buffer.from(c, "base64"));
    const entries = bytes.reduce((a, b) => a + b.length, 0) / (s.stride * 4);
    const t = new CompactTable({
      ...opts,
      seed: s.seed,
      initialCapacity: Math.max(opts.initialCapacity ?? 1024, Math.ceil(entries / MAX_LOAD)),
    });
    t.overflowEvictions = s.overflowEvictions;
    for (const chunk of bytes) {
      const copy = new Uint8Array(chunk); // aligned copy
      const src = new Uint32Array(copy.buffer, 0, copy.length / 4);
      for (let o = 0; o < src.length; o += s.stride) {
        const hi = src[o + KEY_HI] as number;
        const lo = src[o + KEY_LO] as number;
        if (t.find(hi, lo) >= 0) continue;
        t.makeRoom();
        const b = t.insertSlot(hi, lo);
        t.words.set(src.subarray(o, o + s.stride), b);
        t.count += 1;
      }
    }
    return t;
  }

  /** Makes room for one more entry: grows while allowed, else evicts. */
  private makeRoom(): void {
    if (this.count >= this.opts.maxEntries) this.evictOne();
    else if (this.count + 1 > this.capacity * MAX_LOAD) {
      if (this.capacity < this.maxCapacity) this.resize(this.capacity * 2);
      else this.evictOne();
    }
  }

  /** Claims the empty slot for a key known to be absent; returns its base. */
  private insertSlot(hi: number, lo: number): number {
    const w = this.words;
    const stride = this.stride;
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const b = i * stride;
      if ((w[b + KEY_HI] as number) === 0 && (w[b + KEY_LO] as number) === 0) {
        w[b + KEY_HI] = hi;
        w[b + KEY_LO] = lo;
        return b;
      }
    }
  }

  private removeAt(slot: number): void {
    const w = this.words;
    const stride = this.stride;
    const mask = this.mask;
    let i = slot;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const bj = j * stride;
      const lo = w[bj + KEY_LO] as number;
      if ((w[bj + KEY_HI] as number) === 0 && lo === 0) break;
      const home = lo & mask;
      // The entry at j may move to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      w.copyWithin(i * stride, bj, bj + stride);
      i = j;
    }
    w.fill(0, i * stride, i * stride + stride);
    this.count -= 1;
  }

  /** Evicts the least recently seen of a few entries sampled from a moving cursor. */
  private evictOne(): void {
    const w = this.words;
    const stride = this.stride;
    let victim = -1;
    let oldest = Number.POSITIVE_INFINITY;
    let seen = 0;
    for (let k = 0; k <= this.mask && seen < EVICTION_SAMPLE; k++) {
      const i = this.cursor;
      this.cursor = (this.cursor + 1) & this.mask;
      const b = i * stride;
      if ((w[b + KEY_HI] as number) === 0 && (w[b + KEY_LO] as number) === 0) continue;
      seen += 1;
      if ((w[b + SEEN] as number) < oldest) {
        oldest = w[b + SEEN] as number;
        victim = i;
      }
    }
    if (victim >= 0) {
      this.removeAt(victim);
      this.overflowEvictions += 1;
    }
  }

  private resize(capacity: number): void {
    const old = this.words;
    const stride = this.stride;
    this.words = new Uint32Array(capacity * stride);
    this.mask = capacity - 1;
    this.cursor = 0;
    for (let b = 0; b < old.length; b += stride) {
      const hi = old[b + KEY_HI] as number;
      const lo = old[b + KEY_LO] as number;
      if (hi === 0 && lo === 0) continue;
      this.words.set(old.subarray(b, b + stride), this.insertSlot(hi, lo));
    }
  }
}
