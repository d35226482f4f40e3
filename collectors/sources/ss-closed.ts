// The kernel's TCP socket-destroy notifications, for the socket poller: a
// long-lived `ss -E` (netlink sock_diag's destroy groups) prints every TCP
// socket as it is destroyed, with its final counters — what sampling alone
// cannot see: bytes sent after a socket's last sample, and connections that
// opened and closed between two samples. The lines are kept until the poller
// drains them into a `# ss closed` section (parsers/ss.ts reads it).
//
// `ss` writes through stdio, which holds lines back on a pipe until 4 KiB
// gather (and loses them when `ss` is killed), so it runs under coreutils'
// `stdbuf -oL`. Destroyed sockets have no owner left: `-p` is not asked for.
import { type ChildProcess, spawn } from "node:child_process";

/** Lines kept between two drains; past that they are counted and dropped. */
const DEFAULT_MAX_LINES = 100_000;

export interface ClosedSocketsOptions {
  ssPath: string;
  /** This `ss` has `-O` (one line per socket). */
  oneLine: boolean;
  maxLines?: number;
  onError: (message: string) => void;
}

export class ClosedSockets {
  private child: ChildProcess | undefined;
  private lines: string[] = [];
  private partial = "";
  private dropped = 0;
  private stopped = false;

  constructor(private readonly opts: ClosedSocketsOptions) {}

  /** Starts `ss -E`, or restarts it when it died (reported through onError). */
  start(): void {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) return;
    this.stopped = false;
    const flags = this.opts.oneLine ? "-tinHEeO" : "-tinHEe";
    const child = spawn("stdbuf", ["-oL", this.opts.ssPath, flags], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => this.take(d));
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 512) stderr += d.toString();
    });
    child.on("error", (e) => this.opts.onError(`ss -E: ${e.message}`));
    child.on("exit", (code, signal) => {
      if (this.stopped) return;
      const why = stderr.trim().split("\n")[0]?.slice(0, 200) ?? "";
      this.opts.onError(
        `ss -E exited (${code ?? signal})${why ? `: ${why}` : ""}; closed sockets are missed until it restarts`,
      );
    });
    this.child = child;
  }

  /** The lines received since the last drain. */
  drain(): string[] {
    const out = this.lines;
    this.lines = [];
    if (this.dropped > 0) {
      this.opts.onError(`ss -E: ${this.dropped} closed-socket lines dropped (more than ${this.max()} between samples)`);
      this.dropped = 0;
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill();
    this.child = undefined;
  }

  private max(): number {
    return this.opts.maxLines ?? DEFAULT_MAX_LINES;
  }

  private take(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const p of parts) {
      const line = p.trimEnd(); // `ss` pads lines to its columns
      if (line.length === 0) continue;
      if (this.lines.length < this.max()) this.lines.push(line);
      else this.dropped++;
    }
  }
}
