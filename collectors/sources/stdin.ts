// Lines from standard input (for pipes: `tail -F x | mailwarden collect`).
// Nothing to checkpoint: a pipe cannot be re-read. Positions count lines.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Source, SourceBatch } from "./types.js";

export class StdinSource implements Source {
  readonly name = "stdin";
  private lineNo = 0;

  constructor(private readonly input: Readable = process.stdin) {}

  lag(): number {
    return 0;
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const rl = createInterface({ input: this.input, crlfDelay: Number.POSITIVE_INFINITY });
    signal.addEventListener("abort", () => rl.close(), { once: true });
    for await (const text of rl) {
      this.lineNo += 1;
      yield { lines: [{ text, position: `stdin:${this.lineNo}` }], commit: () => undefined };
    }
  }
}
