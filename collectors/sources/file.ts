// Follows one log file across rotation (rename + new file), copytruncate and
// truncation, and resumes exactly where it left off after a restart or crash.
//
// Position of a line = `<generation>:<byte offset>`: the generation counts the
// files this source has followed (each rotation or truncation starts a new
// one), so positions never repeat and replaying the same file from the start
// gives the same event ids. The checkpoint keeps the file's identity (device,
// inode), the committed offset and a fingerprint of the file's first bytes:
// a file that was truncated and regrew past our offset while the agent was
// down has a different fingerprint and is read again from its start.
import { createHash } from "node:crypto";
import { type FileHandle, open, readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointStore } from "./checkpoint.js";
import type { Source, SourceBatch, SourceLine } from "./types.js";

const FINGERPRINT_BYTES = 256;
const READ_BYTES = 1024 * 1024;

export interface FileSourceOptions {
  path: string;
  startAt: "beginning" | "end";
  stateDir: string;
  pollMs?: number;
  /** How long a rotated file must stay quiet before it is let go. */
  rotateWaitMs?: number;
  maxBatchLines?: number;
  /** Longer lines are cut here (and counted); a log line is not a file transfer. */
  maxLineBytes?: number;
  onEvent?: (what: "rotated" | "truncated" | "line_too_long" | "rotated_file_missing", detail: string) => void;
}

interface FileCheckpoint {
  dev: number;
  ino: number;
  offset: number;
  generation: number;
  fingerprint: string;
  fingerprintBytes: number;
}

interface OpenFile {
  handle: FileHandle;
  dev: number;
  ino: number;
  offset: number;
  generation: number;
  fingerprint: string;
  fingerprintBytes: number;
  /** Bytes after `offset` already read but not yet ending in a newline. */
  partial: Buffer;
  /** Consecutive polls at EOF since the path was seen rotated. */
  idlePolls: number;
}

const hash = (b: Buffer) => createHash("sha1").update(b).digest("hex");

export class FileSource implements Source {
  readonly name: string;
  private readonly checkpoints: CheckpointStore<FileCheckpoint>;
  private readonly pollMs: number;
  private readonly maxBatchLines: number;
  private readonly maxLineBytes: number;
  private readonly rotateWaitPolls: number;
  private current: OpenFile | undefined;
  private lastSize = 0;

  constructor(private readonly opts: FileSourceOptions) {
    this.name = `file:${opts.path}`;
    this.checkpoints = new CheckpointStore(join(opts.stateDir, "offsets"), opts.path);
    this.pollMs = opts.pollMs ?? 200;
    this.maxBatchLines = opts.maxBatchLines ?? 2000;
    this.maxLineBytes = opts.maxLineBytes ?? 64 * 1024;
    this.rotateWaitPolls = Math.ceil((opts.rotateWaitMs ?? 1000) / this.pollMs);
  }

  lag(): number {
    const c = this.current;
    return c ? Math.max(0, this.lastSize - c.offset) : 0;
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    try {
      while (!signal.aborted) {
        this.current ??= await this.resume();
        const f = this.current;
        if (!f) {
          await sleep(this.pollMs, undefined, { signal }).catch(() => undefined);
          continue;
        }
        const lines = await this.readLines(f);
        if (lines.length > 0) {
          f.idlePolls = 0;
          yield this.batch(f, lines);
          continue;
        }
        const change = await this.detectChange(f);
        if (change === "rotated" && ++f.idlePolls > this.rotateWaitPolls) {
          // The daemon may write to the renamed file until it reopens its log,
          // so the old file is read until it has been quiet for a while.
          const tail = this.takePartial(f);
          if (tail.length > 0) yield this.batch(f, tail);
          await f.handle.close();
          this.opts.onEvent?.("rotated", this.opts.path);
          this.current = await this.openAt(this.opts.path, 0, f.generation + 1);
          continue;
        }
        if (change === "truncated") {
          this.opts.onEvent?.("truncated", this.opts.path);
          Object.assign(f, { offset: 0, partial: Buffer.alloc(0), fingerprint: "", fingerprintBytes: 0 });
          f.generation += 1;
          continue;
        }
        await sleep(this.pollMs, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      await this.current?.handle.close();
      this.current = undefined;
    }
  }

  private batch(f: OpenFile, lines: SourceLine[]): SourceBatch {
    const cp: FileCheckpoint = {
      dev: f.dev,
      ino: f.ino,
      offset: f.offset,
      generation: f.generation,
      fingerprint: f.fingerprint,
      fingerprintBytes: f.fingerprintBytes,
    };
    return { lines, commit: () => this.checkpoints.save(cp) };
  }

  /** Opens the file at its checkpoint, first draining a rotated predecessor if one is left. */
  private async resume(): Promise<OpenFile | undefined> {
    const st = await stat(this.opts.path).catch(() => undefined);
    const cp = this.checkpoints.load();
    if (!cp) {
      if (!st) return undefined;
      const offset = this.opts.startAt === "end" ? st.size : 0;
      return this.openAt(this.opts.path, offset, 0);
    }
    if (st && st.dev === cp.dev && st.ino === cp.ino) {
      const f = await this.openAt(this.opts.path, cp.offset, cp.generation, cp);
      if (f) return f;
      this.opts.onEvent?.("truncated", this.opts.path);
      return this.openAt(this.opts.path, 0, cp.generation + 1);
    }
    // The file we were reading was rotated while we were away: finish it first.
    const rotated = await this.findByInode(cp.dev, cp.ino);
    if (rotated) {
      const f = await this.openAt(rotated, cp.offset, cp.generation, cp);
      if (f) return f;
    } else {
      this.opts.onEvent?.("rotated_file_missing", this.opts.path);
    }
    return st ? this.openAt(this.opts.path, 0, cp.generation + 1) : undefined;
  }

  /** Opens `path` at `offset`; with a checkpoint, only if the file still starts with the same bytes. */
  private async openAt(path: string, offset: number, generation: number, cp?: FileCheckpoint) {
    const handle = await open(path, "r").catch(() => undefined);
    if (!handle) return undefined;
    const st = await handle.stat();
    let fingerprint = "";
    let fingerprintBytes = 0;
    if (cp) {
      const head = await readHead(handle, cp.fingerprintBytes);
      if (st.size < cp.offset || head.length < cp.fingerprintBytes || hash(head) !== cp.fingerprint) {
        await handle.close();
        return undefined;
      }
      fingerprint = cp.fingerprint;
      fingerprintBytes = cp.fingerprintBytes;
    }
    return {
      handle,
      dev: st.dev,
      ino: st.ino,
      offset,
      generation,
      fingerprint,
      fingerprintBytes,
      partial: Buffer.alloc(0),
      idlePolls: 0,
    };
  }

  private async findByInode(dev: number, ino: number): Promise<string | undefined> {
    const dir = dirname(this.opts.path);
    const base = basename(this.opts.path);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(base) || name === base) continue;
      const st = await stat(join(dir, name)).catch(() => undefined);
      if (st && st.dev === dev && st.ino === ino) return join(dir, name);
    }
    return undefined;
  }

  private async readLines(f: OpenFile): Promise<SourceLine[]> {
    const lines: SourceLine[] = [];
    const buf = Buffer.allocUnsafe(READ_BYTES);
    while (lines.length < this.maxBatchLines) {
      const at = f.offset + f.partial.length;
      const { bytesRead } = await f.handle.read(buf, 0, READ_BYTES, at);
      this.lastSize = Math.max(this.lastSize, at + bytesRead);
      if (bytesRead === 0) break;
      const chunk = f.partial.length
        ? Buffer.concat([f.partial, buf.subarray(0, bytesRead)])
        : buf.subarray(0, bytesRead);
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        this.pushLine(f, lines, chunk.subarray(start, nl), f.offset + start);
        start = nl + 1;
      }
      let rest = chunk.subarray(start);
      if (rest.length > this.maxLineBytes) {
        // A "line" with no end in sight: emit what we have as one capped line.
        this.pushLine(f, lines, rest, f.offset + start);
        start += rest.length;
        rest = Buffer.alloc(0);
      }
      this.updateFingerprint(f, chunk, start);
      f.offset += start;
      f.partial = Buffer.from(rest);
      if (bytesRead < READ_BYTES) break;
    }
    return lines;
  }

  private pushLine(f: OpenFile, lines: SourceLine[], bytes: Buffer, offset: number): void {
    let b = bytes.at(-1) === 13 ? bytes.subarray(0, -1) : bytes;
    if (b.length > this.maxLineBytes) {
      this.opts.onEvent?.("line_too_long", `${this.opts.path}@${offset}`);
      b = b.subarray(0, this.maxLineBytes);
    }
    if (b.length > 0) lines.push({ text: b.toString("utf8"), position: `${f.generation}:${offset}` });
  }

  /** The fingerprint covers the file's first bytes once we have consumed them. */
  private updateFingerprint(f: OpenFile, chunk: Buffer, consumed: number): void {
    if (f.fingerprintBytes >= FINGERPRINT_BYTES || f.offset !== 0 || consumed === 0) return;
    const head = chunk.subarray(0, Math.min(consumed, FINGERPRINT_BYTES));
    f.fingerprint = hash(head);
    f.fingerprintBytes = head.length;
  }

  /** At EOF: has the path been rotated to a new file, or this file truncated (copytruncate)? */
  private async detectChange(f: OpenFile): Promise<"rotated" | "truncated" | undefined> {
    const st = await stat(this.opts.path).catch(() => undefined);
    if (st && (st.ino !== f.ino || st.dev !== f.dev)) return "rotated";
    const size = (await f.handle.stat()).size;
    if (size < f.offset + f.partial.length) return "truncated";
    if (f.fingerprintBytes > 0 && hash(await readHead(f.handle, f.fingerprintBytes)) !== f.fingerprint) {
      return "truncated";
    }
    return undefined;
  }

  /** An unterminated last line of a file we are leaving is still a line. */
  private takePartial(f: OpenFile): SourceLine[] {
    const lines: SourceLine[] = [];
    if (f.partial.length > 0) {
      this.pushLine(f, lines, f.partial, f.offset);
      f.offset += f.partial.length;
      f.partial = Buffer.alloc(0);
    }
    return lines;
  }
}

async function readHead(handle: FileHandle, bytes: number): Promise<Buffer> {
  const buf = Buffer.alloc(bytes);
  const { bytesRead } = await handle.read(buf, 0, bytes, 0);
  return buf.subarray(0, bytesRead);
}
