// A durable disk FIFO of JSON records. The agent's buffer: every event is
// appended here before its source offset is committed, and leaves only when
// Kafka has acknowledged it. While the broker is unreachable the spool simply
// grows; when it reaches its size bound, `append` waits (the sources stop
// reading) rather than drop anything. Because every event passes through one
// FIFO, "drain the spool in order before new events" holds by construction.
// The detector's notification outboxes use the same FIFO for alert notices
// (`Spool<AlertNotice>`); the payload type defaults to the agent's events.
//
// On disk: segment files `<seq>.seg` of records
//   [u32 payload length][u32 crc32(payload)][payload = JSON array of items]
// and `cursor.json` = the first unacknowledged (segment, offset). A record cut
// short by a crash (or failing its checksum) ends the segment: it is counted,
// truncated away, and everything before it is kept.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { MailEvent } from "../../events/event.js";

const HEADER = 8;
const SEGMENT_BYTES = 64 * 1024 * 1024;

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes?: number;
}

interface Cursor {
  segment: number;
  offset: number;
}

export interface SpoolBatch<T = MailEvent> {
  /** The items read (events, for the agent). */
  events: T[];
  /** Pass to `ack` once the events are durable downstream. */
  end: Cursor;
}

const segName = (seq: number) => `${String(seq).padStart(12, "0")}.seg`;

export class Spool<T = MailEvent> {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private segments: number[] = [];
  private sizes = new Map<number, number>();
  private writeFd = -1;
  private cursor: Cursor;
  private waiters: (() => void)[] = [];
  private spaceWaiters: (() => void)[] = [];
  /** Records dropped at start-up because a crash cut them short. */
  readonly tornRecords: number = 0;

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes ?? Math.min(SEGMENT_BYTES, Math.max(1024 * 1024, opts.maxBytes / 8));
    mkdirSync(this.dir, { recursive: true });
    this.segments = readdirSync(this.dir)
      .filter((f) => /^\d{12}\.seg$/.test(f))
      .map((f) => Number(f.slice(0, 12)))
      .sort((a, b) => a - b);
    let torn = 0;
    for (const seq of this.segments) torn += this.repair(seq);
    this.tornRecords = torn;
    this.cursor = this.loadCursor();
    // Segments wholly before the cursor were acknowledged but not yet deleted.
    for (const seq of this.segments.filter((s) => s < this.cursor.segment)) this.removeSegment(seq);
    if (this.segments.length === 0) this.segments.push(this.cursor.segment);
    this.openForAppend(this.segments.at(-1) as number);
  }

  /** Bytes appended and not yet acknowledged. */
  get pendingBytes(): number {
    let total = 0;
    for (const seq of this.segments) total += this.sizes.get(seq) ?? 0;
    return total - this.cursor.offset;
  }

  get isEmpty(): boolean {
    return this.pendingBytes === 0;
  }

  /** Appends durably (fsync); waits while the spool is full. */
  async append(events: T[]): Promise<void> {
    if (events.length === 0) return;
    const payload = Buffer.from(JSON.stringify(events));
    while (this.pendingBytes > 0 && this.pendingBytes + payload.length + HEADER > this.maxBytes) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    let seq = this.segments.at(-1) as number;
    if ((this.sizes.get(seq) ?? 0) >= this.segmentBytes) {
      closeSync(this.writeFd);
      seq += 1;
      this.segments.push(seq);
      this.openForAppend(seq);
    }
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    writeSync(this.writeFd, Buffer.concat([header, payload]));
    fsyncSync(this.writeFd);
    this.sizes.set(seq, (this.sizes.get(seq) ?? 0) + HEADER + payload.length);
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Reads up to about `maxEvents` events from the cursor without consuming
   * them; resolves when there is at least one record or `signal` aborts.
   */
  async read(maxEvents: number, signal?: AbortSignal): Promise<SpoolBatch<T> | undefined> {
    while (this.isEmpty) {
      if (signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        // The listener goes with the wait, so a long-lived signal does not collect them.
        this.waiters.push(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    const events: T[] = [];
    let { segment, offset } = this.cursor;
    while (events.length < maxEvents) {
      const size = this.sizes.get(segment) ?? 0;
      if (offset >= size) {
        const next = this.segments.find((s) => s > segment);
        if (next === undefined) break;
        segment = next;
        offset = 0;
        continue;
      }
      const buf = readRecordAt(join(this.dir, segName(segment)), offset);
      for (const e of JSON.parse(buf.toString("utf8")) as T[]) events.push(e);
      offset += HEADER + buf.length;
    }
    return { events, end: { segment, offset } };
  }

  /** Marks everything before `end` delivered; frees whole segments. */
  ack(end: Cursor): void {
    this.cursor = end;
    const tmp = join(this.dir, "cursor.json.tmp");
    writeFileSync(tmp, JSON.stringify(end));
    renameSync(tmp, join(this.dir, "cursor.json"));
    const last = this.segments.at(-1) as number;
    for (const seq of this.segments.filter((s) => s < end.segment && s !== last)) this.removeSegment(seq);
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  close(): void {
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeFd = -1;
    for (const w of [...this.waiters.splice(0), ...this.spaceWaiters.splice(0)]) w();
  }

  private openForAppend(seq: number): void {
    this.writeFd = openSync(join(this.dir, segName(seq)), "a");
    if (!this.sizes.has(seq)) this.sizes.set(seq, 0);
  }

  private removeSegment(seq: number): void {
    try {
      unlinkSync(join(this.dir, segName(seq)));
    } catch {
      // already gone
    }
    this.segments = this.segments.filter((s) => s !== seq);
    this.sizes.delete(seq);
  }

  private loadCursor(): Cursor {
    try {
      const c = JSON.parse(readFileSync(join(this.dir, "cursor.json"), "utf8")) as Cursor;
      if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) {
        const size = this.sizes.get(c.segment);
        if (size !== undefined) return { segment: c.segment, offset: Math.min(c.offset, size) };
        // Its segment was fully acknowledged and deleted: start at the next one.
        const next = this.segments.find((s) => s > c.segment);
        return { segment: next ?? c.segment + 1, offset: 0 };
      }
    } catch {
      // no cursor yet
    }
    return { segment: this.segments[0] ?? 1, offset: 0 };
  }

  /** Validates a segment record by record; truncates a torn tail. Returns records dropped. */
  private repair(seq: number): number {
    const file = join(this.dir, segName(seq));
    const data = readFileSync(file);
    let offset = 0;
    while (offset + HEADER <= data.length) {
      const len = data.readUInt32LE(offset);
      const end = offset + HEADER + len;
      if (end > data.length || crc32(data.subarray(offset + HEADER, end)) !== data.readUInt32LE(offset + 4)) break;
      offset = end;
    }
    this.sizes.set(seq, offset);
    if (offset === data.length) return 0;
    truncateSync(file, offset);
    return 1;
  }
}

function readRecordAt(file: string, offset: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const header = Buffer.alloc(HEADER);
    readExactly(fd, header, offset);
    const payload = Buffer.alloc(header.readUInt32LE(0));
    readExactly(fd, payload, offset + HEADER);
    return payload;
  } finally {
    closeSync(fd);
  }
}

function readExactly(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error(`spool: unexpected end of segment at ${position + done}`);
    done += n;
  }
}
