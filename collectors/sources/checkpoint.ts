// Atomic persistence of a source's position (file offset, journald cursor):
// write to a temporary file, fsync, rename. A crash leaves either the old or
// the new checkpoint, never a torn one.

import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

export class CheckpointStore<T> {
  private readonly file: string;

  constructor(dir: string, key: string) {
    mkdirSync(dir, { recursive: true });
    const slug = key.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(-60);
    this.file = join(dir, `${slug}-${createHash("sha256").update(key).digest("hex").slice(0, 12)}.json`);
  }

  load(): T | undefined {
    try {
      return JSON.parse(readFileSync(this.file, "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  save(value: T): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify(value));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}
