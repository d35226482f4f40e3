// The evidence of a sliding window (Finding.evidence): ids of the earliest
// events still inside the window, at most `cap`. Events that arrive while it
// is full are not kept; as the earliest ones leave the window, later ones take
// their place. Its oldest time is where the window's activity started, which
// detections use as the start of an episode.
import { MAX_EVIDENCE } from "../core/finding.js";

export class EvidenceWindow {
  private ids: string[] = [];
  private times: number[] = [];

  constructor(private readonly cap = MAX_EVIDENCE) {}

  /** Forgets events before `before`, then keeps (`ts`, `id`) if there is room. */
  add(ts: number, id: string, before: number): void {
    this.prune(before);
    if (this.ids.length < this.cap) {
      this.ids.push(id);
      this.times.push(ts);
    }
  }

  prune(before: number): void {
    let k = 0;
    while (k < this.times.length && (this.times[k] as number) < before) k++;
    if (k > 0) {
      this.ids.splice(0, k);
      this.times.splice(0, k);
    }
  }

  /** Time of the earliest kept event, or `fallback` when empty. */
  oldest(fallback: number): number {
    return this.times[0] ?? fallback;
  }

  list(): string[] {
    return [...this.ids];
  }

  get size(): number {
    return this.ids.length;
  }

  toJSON(): [number, string][] {
    return this.ids.map((id, i) => [this.times[i] as number, id]);
  }

  static from(rows: [number, string][], cap = MAX_EVIDENCE): EvidenceWindow {
    const w = new EvidenceWindow(cap);
    for (const [ts, id] of rows) {
      w.times.push(ts);
      w.ids.push(id);
    }
    return w;
  }
}
