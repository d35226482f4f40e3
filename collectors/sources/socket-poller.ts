// Samples the kernel's TCP socket table every `intervalMs` (default 5 s) with
// iproute2's `ss` and yields each sample as one batch of text lines: a header
// carrying the sample time, then the socket lines exactly as `ss` printed them
// (trailing padding removed). The `ss` parser (parsers/ss.ts) turns the
// stream into conn / conn_sample events by diffing consecutive samples, so a
// recorded stream (`mailwarden parse --source ss FILE`) and the live poller
// give the same events.
//
//   ss -tinpeHO state listening state established state syn-sent state fin-wait-1
//      state fin-wait-2 state close-wait state last-ack state closing
//
// -t TCP, -i counters (bytes_sent/acked/received), -p owning processes, -e
// inode and uid (tells a reused 4-tuple apart, keeps an orphaned socket's
// attribution), -n numeric ports (no /etc/services names), -H no column
// header, -O one line per socket (when this `ss` has it; otherwise the info
// comes on a tab-indented second line, which the parser also reads).
// Listening sockets are asked for so the parser can tell inbound from
// outbound; TIME-WAIT and SYN-RECV are left out (no counters, no process).
//
// Run as root: without it `ss -p` shows only the caller's own processes and
// the other sockets are reported without a process.
//
// Positions are `sample:<ISO ts>:<n>` (n = line number within the sample, the
// header is 0): unique per stream, so event ids are stable and distinct.
// Nothing is checkpointed: a socket table cannot be re-read, and a sample
// lost in a crash is covered by the next one (counters are cumulative).
// A sample whose `ss` run fails (timeout, error) is skipped, not emitted
// empty: an empty sample would read as "every connection closed".
//
// With `closeEvents`, a long-lived `ss -E` (ss-closed.ts) also reports every
// socket as it is destroyed; before each sample (and once more at shutdown)
// those lines go out as a `# ss closed ts=...` section, positions
// `closed:<ISO ts>:<n>`, so a connection's bytes after its last sample, and
// connections shorter than the interval, are counted too.
import { type ExecFileException, execFile, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { ssClosedHeader, ssSampleHeader } from "../parsers/ss.js";
import { ClosedSockets } from "./ss-closed.js";
import type { Source, SourceBatch, SourceLine } from "./types.js";

const STATE_FILTER = [
  "state",
  "listening",
  "state",
  "established",
  "state",
  "syn-sent",
  "state",
  "fin-wait-1",
  "state",
  "fin-wait-2",
  "state",
  "close-wait",
  "state",
  "last-ack",
  "state",
  "closing",
] as const;

export const DEFAULT_POLL_INTERVAL_MS = 5000;
const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** `ss` cannot be run. The message is one line, for the agent/CLI to print. */
export class SsUnavailableError extends Error {
  readonly exitCode = 2;
  constructor(detail: string) {
    super(`socket poller: ${detail}`);
    this.name = "SsUnavailableError";
  }
}

export interface SocketPollerOptions {
  /** Time between samples. Default 5000. */
  intervalMs?: number;
  /** Clock for the sample time stamps. */
  now?: () => Date;
  /** The `ss` binary. Default "ss" (from PATH). */
  ssPath?: string;
  /** Kill an `ss` run after this long. Default: the interval, within 1–30 s. */
  timeoutMs?: number;
  /** Larger `ss` output fails the sample. Default 256 MiB. */
  maxOutputBytes?: number;
  /** Replaces running `ss` (tests, benchmarks): returns one sample's output. */
  run?: (signal: AbortSignal) => Promise<string>;
  /** Replaces the wait between samples (tests). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Also read socket-destroy notifications (`ss -E`) for final counters. Default false. */
  closeEvents?: boolean;
  /** A sample that failed; the poller carries on with the next one. */
  onError?: (message: string) => void;
}

/** The arguments the poller passes to `ss` (`oneLine`: the `-O` flag is supported). */
export function ssArgs(oneLine: boolean): string[] {
  return [oneLine ? "-tinpeHO" : "-tinpeH", ...STATE_FILTER];
}

/**
 * Checks that `ss` runs and whether it has `-O`; throws SsUnavailableError
 * with a one-line reason otherwise.
 */
export function probeSs(ssPath = "ss"): { oneLine: boolean; version: string } {
  const v = spawnSync(ssPath, ["-V"], { encoding: "utf8", timeout: 5000 });
  if (v.error !== undefined) {
    const code = (v.error as NodeJS.ErrnoException).code;
    throw new SsUnavailableError(
      code === "ENOENT"
        ? `'${ssPath}' not found (install iproute2)`
        : `cannot run '${ssPath}' (${code ?? v.error.message})`,
    );
  }
  if (v.status !== 0) throw new SsUnavailableError(`'${ssPath} -V' exited with status ${v.status}`);
  // A filter that matches nothing: only tells whether this `ss` knows -O.
  const o = spawnSync(ssPath, ["-tnHO", "sport", "=", ":1", "and", "dport", "=", ":1"], {
    stdio: "ignore",
    timeout: 5000,
  });
  return { oneLine: o.status === 0, version: (v.stdout ?? "").trim().slice(0, 80) };
}

export class SocketPoller implements Source {
  readonly name = "ss";
  readonly intervalMs: number;
  /** `ss -V`, or "injected" with a `run` hook. */
  readonly ssVersion: string;
  private readonly now: () => Date;
  private readonly run: (signal: AbortSignal) => Promise<string>;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  private lastTs = Number.NEGATIVE_INFINITY;
  private readonly closed: ClosedSockets | undefined;

  constructor(private readonly opts: SocketPollerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 10) {
      throw new RangeError(`socket poller: intervalMs must be an integer ≥ 10, not ${String(this.intervalMs)}`);
    }
    this.now = opts.now ?? (() => new Date());
    this.wait = opts.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined));
    if (opts.run !== undefined) {
      this.run = opts.run;
      this.ssVersion = "injected";
    } else {
      const ssPath = opts.ssPath ?? "ss";
      const probe = probeSs(ssPath);
      this.ssVersion = probe.version;
      const args = ssArgs(probe.oneLine);
      if (opts.closeEvents === true) {
        this.closed = new ClosedSockets({
          ssPath,
          oneLine: probe.oneLine,
          onError: (m) => this.opts.onError?.(m),
        });
      }
      const timeout = opts.timeoutMs ?? Math.min(30_000, Math.max(1000, this.intervalMs));
      const maxBuffer = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      this.run = (signal) =>
        new Promise((resolve, reject) => {
          execFile(
            ssPath,
            args,
            { encoding: "utf8", timeout, maxBuffer, signal, killSignal: "SIGKILL", windowsHide: true },
            (err, stdout, stderr) => {
              if (err === null) resolve(stdout);
              else reject(new Error(failure(err, stderr, timeout)));
            },
          );
        });
    }
  }

  lag(): number {
    return 0;
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    this.closed?.start();
    try {
      while (!signal.aborted) {
        const started = performance.now();
        const closed = this.closedBatch();
        if (closed !== undefined) yield closed;
        const batch = await this.sample(signal);
        if (signal.aborted) break;
        if (batch !== undefined) yield batch;
        const left = this.intervalMs - (performance.now() - started);
        await this.wait(Math.max(0, left), signal);
        this.closed?.start();
      }
      const last = this.closedBatch();
      if (last !== undefined) yield last;
    } finally {
      this.closed?.stop();
    }
  }

  /** Sample times must increase: positions (and so event ids) derive from them. */
  private nextTs(): number {
    let ts = this.now().getTime();
    if (ts <= this.lastTs) ts = this.lastTs + 1;
    this.lastTs = ts;
    return ts;
  }

  /** The sockets destroyed since the last call, as a closed section; undefined when none. */
  private closedBatch(): SourceBatch | undefined {
    const destroyed = this.closed?.drain() ?? [];
    if (destroyed.length === 0) return undefined;
    const at = new Date(this.nextTs());
    const prefix = `closed:${at.toISOString()}:`;
    const lines: SourceLine[] = [{ text: ssClosedHeader(at), position: `${prefix}0` }];
    for (const [i, text] of destroyed.entries()) lines.push({ text, position: `${prefix}${i + 1}` });
    return { lines, commit: () => undefined };
  }

  /** One sample as a batch, or undefined when `ss` failed (reported through onError). */
  async sample(signal: AbortSignal): Promise<SourceBatch | undefined> {
    const ts = this.nextTs();
    let text: string;
    try {
      text = await this.run(signal);
    } catch (e) {
      if (!signal.aborted) this.opts.onError?.(e instanceof Error ? e.message : String(e));
      return undefined;
    }
    const at = new Date(ts);
    const prefix = `sample:${at.toISOString()}:`;
    const lines: SourceLine[] = [{ text: ssSampleHeader(at), position: `${prefix}0` }];
    let n = 1;
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf("\n", start);
      if (nl === -1) nl = text.length;
      let end = nl;
      while (end > start && text.charCodeAt(end - 1) === 32) end--; // `ss` pads lines to its columns
      if (end > start) lines.push({ text: text.slice(start, end), position: `${prefix}${n++}` });
      start = nl + 1;
    }
    return { lines, commit: () => undefined };
  }
}

function failure(err: ExecFileException, stderr: string, timeout: number): string {
  if (err.killed === true) return `ss: no answer within ${timeout} ms (killed)`;
  if (err.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") return "ss: output larger than maxOutputBytes";
  const why = stderr.trim().split("\n")[0]?.slice(0, 200);
  return `ss: ${why || err.message.split("\n")[0]}`;
}
