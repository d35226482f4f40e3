// Per-file streaming writers that keep each file in time order. Generators
// emit entries (a line, or a block of lines that must stay together such as a
// slow-log entry or an audit event) in any order within the current window;
// `flushBefore(t)` sorts what is buffered and writes every entry older than t,
// keeping later ones (a session's follow-up lines can spill past the window
// end). Memory is bounded by one window of entries, not by the run.
//
// A host can be cut off at a time (the `agent-kill` scenario): its entries at
// or after that time are dropped.
import { once } from "node:events";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { LOG_FILES, type LogFileId } from "./platform.js";

interface Entry {
  ts: number;
  seq: number;
  text: string;
}

interface OpenFile {
  host: string;
  id: LogFileId;
  stream: WriteStream;
  pending: Entry[];
  lines: number;
  bytes: number;
  firstTs: number;
  lastTs: number;
}

export interface FileStats {
  file: string;
  parser: string;
  lines: number;
  bytes: number;
  /** Time of the first and last entry, ISO-8601 (absent for a file with no entries). */
  first?: string;
  last?: string;
}

function countLines(s: string): number {
  let n = 1;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

export class LogWriter {
  private readonly files = new Map<string, OpenFile>();
  private readonly cutoffs = new Map<string, number>();
  private seq = 0;
  private watermark = Number.NEGATIVE_INFINITY;

  /**
   * `end`: the run's end; entries at or after it are dropped (sessions still
   * open then would otherwise log past it, while the replay's heartbeats stop
   * there and every other host would look silent).
   */
  constructor(
    private readonly dir: string,
    private readonly end = Number.POSITIVE_INFINITY,
  ) {}

  /** Creates DIR/<host>/<file>; `header` is written first (e.g. the slow log's banner). */
  open(host: string, id: LogFileId, header?: string): void {
    const hostDir = join(this.dir, host);
    mkdirSync(hostDir, { recursive: true });
    const stream = createWriteStream(join(hostDir, LOG_FILES[id].file), { highWaterMark: 1 << 20 });
    const f: OpenFile = {
      host,
      id,
      stream,
      pending: [],
      lines: 0,
      bytes: 0,
      firstTs: Number.NaN,
      lastTs: Number.NaN,
    };
    if (header !== undefined) {
      const chunk = `${header}\n`;
      stream.write(chunk);
      f.lines += countLines(header);
      f.bytes += Buffer.byteLength(chunk);
    }
    this.files.set(`${host}\u0000${id}`, f);
  }

  has(host: string, id: LogFileId): boolean {
    return this.files.has(`${host}\u0000${id}`);
  }

  /** Drops the host's entries at or after `ts` (its agent was killed then). */
  cutOff(host: string, ts: number): void {
    this.cutoffs.set(host, ts);
  }

  /** Buffers one entry. Throws if it is older than what was already written (a generator bug). */
  emit(host: string, id: LogFileId, ts: number, text: string): void {
    const f = this.files.get(`${host}\u0000${id}`);
    if (f === undefined) throw new Error(`simulator: ${host} has no ${id} log`);
    if (ts < this.watermark) {
      throw new Error(`simulator: ${host}/${id} entry at ${ts} is before the flushed watermark ${this.watermark}`);
    }
    const cut = this.cutoffs.get(host);
    if ((cut !== undefined && ts >= cut) || ts >= this.end) return;
    f.pending.push({ ts, seq: this.seq++, text });
  }

  /** Writes every buffered entry older than `t`, in (time, emission) order, and waits for slow disks. */
  async flushBefore(t: number): Promise<void> {
    this.watermark = t;
    for (const f of this.files.values()) {
      if (f.pending.length === 0) continue;
      f.pending.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      let n = 0;
      while (n < f.pending.length && (f.pending[n] as Entry).ts < t) n++;
      if (n === 0) continue;
      const out = f.pending.slice(0, n);
      f.pending = f.pending.slice(n);
      let chunk = "";
      for (const e of out) {
        chunk += `${e.text}\n`;
        f.lines += countLines(e.text);
      }
      if (Number.isNaN(f.firstTs)) f.firstTs = (out[0] as Entry).ts;
      f.lastTs = (out[out.length - 1] as Entry).ts;
      f.bytes += Buffer.byteLength(chunk);
      if (!f.stream.write(chunk)) await once(f.stream, "drain");
    }
  }

  /** Flushes everything and closes all files; per-host stats for the manifest. */
  async close(): Promise<Map<string, FileStats[]>> {
    await this.flushBefore(Number.POSITIVE_INFINITY);
    const stats = new Map<string, FileStats[]>();
    for (const f of this.files.values()) {
      f.stream.end();
      await once(f.stream, "finish");
      const s: FileStats = {
        file: LOG_FILES[f.id].file,
        parser: LOG_FILES[f.id].parser,
        lines: f.lines,
        bytes: f.bytes,
      };
      if (!Number.isNaN(f.firstTs)) {
        s.first = new Date(Math.floor(f.firstTs)).toISOString();
        s.last = new Date(Math.floor(f.lastTs)).toISOString();
      }
      const list = stats.get(f.host) ?? [];
      list.push(s);
      stats.set(f.host, list);
    }
    return stats;
  }
}
