// Per-entity state with a hard cap: a Map kept in least-recently-seen order
// (touching an entry moves it to the end), so eviction of idle entities and
// of the oldest ones under memory pressure are both cheap walks from the front.
export class EntityTable<V> {
  private readonly map = new Map<string, { v: V; last: number }>();
  /** Entries dropped because the table was full (not because they were idle). */
  overflowEvictions = 0;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key)?.v;
  }

  /** The entry for `key`, created by `init` if absent, marked seen at `now`. */
  upsert(key: string, now: number, init: () => V): V {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      hit.last = Math.max(hit.last, now);
      this.map.set(key, hit);
      return hit.v;
    }
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
      this.overflowEvictions += 1;
    }
    const v = init();
    this.map.set(key, { v, last: now });
    return v;
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops entries not seen since `before`; returns how many. */
  evictIdle(before: number): number {
    let n = 0;
    for (const [k, e] of this.map) {
      if (e.last >= before) break;
      this.map.delete(k);
      n += 1;
    }
    return n;
  }

  entries(): IterableIterator<[string, { v: V; last: number }]> {
    return this.map.entries();
  }

  snapshot<S>(encode: (v: V) => S): [string, number, S][] {
    return [...this.map].map(([k, e]) => [k, e.last, encode(e.v)]);
  }

  restore<S>(rows: [string, number, S][], decode: (s: S) => V): void {
    this.map.clear();
    for (const [k, last, s] of rows) this.map.set(k, { v: decode(s), last });
  }
}
