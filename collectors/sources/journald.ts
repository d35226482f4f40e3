// The systemd journal through `journalctl -f -o json`, resuming after the
// last committed cursor. Each JSON record is one line for the envelope parser
// (which understands journald's fields); its position is its cursor.
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { CheckpointStore } from "./checkpoint.js";
import type { Source, SourceBatch } from "./types.js";

export function journalctlAvailable(): boolean {
  return spawnSync("journalctl", ["--version"], { stdio: "ignore" }).status === 0;
}

export class JournaldSource implements Source {
  readonly name: string;
  private readonly checkpoints: CheckpointStore<{ cursor: string }>;

  constructor(private readonly opts: { matches: string[]; stateDir: string }) {
    this.name = `journald:${opts.matches.join(",") || "all"}`;
    this.checkpoints = new CheckpointStore(`${opts.stateDir}/offsets`, this.name);
  }

  lag(): number {
    return 0;
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const cursor = this.checkpoints.load()?.cursor;
    const args = ["-f", "-o", "json", "--no-pager", ...(cursor ? [`--after-cursor=${cursor}`] : ["-n", "0"])];
    const child = spawn("journalctl", [...args, ...this.opts.matches], { stdio: ["ignore", "pipe", "ignore"], signal });
    child.on("error", () => undefined); // abort kills it; a failure to start ends the stream below
    const rl = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const text of rl) {
        const at = text.indexOf('"__CURSOR":"');
        const position = at >= 0 ? text.slice(at + 12, text.indexOf('"', at + 12)) : "";
        yield {
          lines: [{ text, position }],
          commit: () => {
            if (position) this.checkpoints.save({ cursor: position });
          },
        };
      }
    } finally {
      child.kill();
    }
  }
}
