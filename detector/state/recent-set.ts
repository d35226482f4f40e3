// Distinct members seen within a sliding window (accounts tried by one
// source, sources that tried one account), exact up to a cap: past the cap the
// oldest members are dropped and `saturated` says the true count is higher.
// Detection thresholds sit far below the cap, so exactness where it matters
// comes with bounded memory.
export class RecentSet {
  private readonly seen = new Map<string, number>();
  saturated = false;

  constructor(private readonly cap: number) {}

  /** Adds or refreshes `member` at time `ts`; returns true when it is new. */
  add(member: string, ts: number): boolean {
    const isNew = !this.seen.has(member);
    if (!isNew) this.seen.delete(member);
    else if (this.seen.size >= this.cap) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
      this.saturated = true;
    }
    this.seen.set(member, ts);
    return isNew;
  }

  /** Forgets members last seen before `before`. */
  prune(before: number): void {
    for (const [m, ts] of this.seen) {
      if (ts >= before) break;
      this.seen.delete(m);
    }
    if (this.seen.size < this.cap) this.saturated = false;
  }

  get size(): number {
    return this.seen.size;
  }

  has(member: string): boolean {
    return this.seen.has(member);
  }

  members(): IterableIterator<string> {
    return this.seen.keys();
  }

  toJSON(): [string, number][] {
    return [...this.seen];
  }

  static from(rows: [string, number][], cap: number): RecentSet {
    const s = new RecentSet(cap);
    for (const [m, ts] of rows) s.seen.set(m, ts);
    return s;
  }
}
