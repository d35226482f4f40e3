// `mailwarden replay DIR`: feeds a directory of logs (e.g. the simulator's)
// through the agent's own parsers and event producer into Kafka, preserving
// event time. All files are merged by event time (a k-way merge over per-file
// streams), because the detector orders events within its allowed lateness
// only: file after file would make every later file "late". While a host has
// lines, heartbeats are emitted for it every `heartbeatSeconds` of event time,
// as its agent would: a host whose logs stop goes silent.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import TinyQueue from "tinyqueue";
import type { MailEvent } from "../../events/event.js";
import { heartbeatEvent } from "../agent/heartbeat.js";
import { createLineParser, type LineParser } from "../pipeline/line-parser.js";
import { readLines } from "../sources/read-lines.js";

export interface ReplayFile {
  host: string;
  path: string;
  parser: string;
}

export interface ReplayPlan {
  files: ReplayFile[];
  /** Per host, the event-time span its agent would be alive (heartbeats). */
  hosts: Map<string, { first: number; last: number }>;
  bytes: number;
  /** Reference "now" for year inference of RFC 3164 lines (the data's end). */
  now: Date;
}

interface ManifestFile {
  file: string;
  parser: string;
  first?: string;
  last?: string;
}
interface Manifest {
  start: string;
  end: string;
  hosts: Record<string, { logs_stop?: string; files: ManifestFile[] }>;
}

/** From `manifest.json` when present (the simulator's); else every `<host>/*.log` with auto-detection. */
export function planReplay(dir: string): ReplayPlan {
  const files: ReplayFile[] = [];
  const hosts = new Map<string, { first: number; last: number }>();
  const manifestPath = join(dir, "manifest.json");
  let now = new Date();
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
    now = new Date(m.end);
    // Agents run whether or not their daemons log: heartbeats cover the whole
    // run, except for a host whose agent was killed (its logs stop).
    for (const [host, h] of Object.entries(m.hosts)) {
      for (const f of h.files) files.push({ host, path: join(dir, host, f.file), parser: f.parser });
      hosts.set(host, { first: Date.parse(m.start), last: Date.parse(h.logs_stop ?? m.end) });
    }
  } else {
    for (const host of readdirSync(dir)) {
      const hostDir = join(dir, host);
      if (!statSync(hostDir).isDirectory()) continue;
      for (const f of readdirSync(hostDir).filter((n) => n.endsWith(".log"))) {
        files.push({ host, path: join(hostDir, f), parser: "auto" });
      }
    }
  }
  const bytes = files.reduce((n, f) => n + statSync(f.path).size, 0);
  return { files, hosts, bytes, now };
}

interface Head {
  ts: number;
  event: MailEvent;
  next: () => Promise<MailEvent | undefined>;
}

async function* fileEvents(f: ReplayFile, parser: LineParser, onBytes: (n: number) => void): AsyncGenerator<MailEvent> {
  for await (const line of readLines(createReadStream(f.path))) {
    onBytes(line.text.length + 1);
    for (const e of parser.parseLine(line.text, line.position)) yield e;
  }
  yield* parser.flush();
}

function* heartbeats(host: string, span: { first: number; last: number }, everyMs: number): Generator<MailEvent> {
  let seq = 0;
  for (let t = Math.ceil(span.first / everyMs) * everyMs; t <= span.last; t += everyMs) {
    seq += 1;
    yield heartbeatEvent(host, new Date(t).toISOString(), seq, { replay: 1, interval_s: everyMs / 1000 });
  }
}

/** The agent's default heartbeat interval, which a replay imitates. */
export const REPLAY_HEARTBEAT_SECONDS = 30;

export interface ReplayStats {
  lines: number;
  events: number;
  heartbeats: number;
  skipped: Record<string, number>;
  first?: string;
  last?: string;
}

/**
 * Yields events of all files and heartbeats merged in event-time order.
 * `onBytes` reports progress; `stats()` the parsers' counts once done.
 */
export function mergedEvents(plan: ReplayPlan, opts: { heartbeatSeconds: number; onBytes?: (n: number) => void }) {
  const parsers: LineParser[] = [];
  let heartbeatCount = 0;
  async function* run(): AsyncGenerator<MailEvent> {
    const queue = new TinyQueue<Head>([], (a, b) => a.ts - b.ts || (a.event.id < b.event.id ? -1 : 1));
    const add = async (next: () => Promise<MailEvent | undefined>) => {
      const event = await next();
      if (event) queue.push({ ts: Date.parse(event.ts), event, next });
    };
    for (const f of plan.files) {
      const parser = createLineParser({ source: f.parser, host: f.host, now: () => plan.now });
      parsers.push(parser);
      const it = fileEvents(f, parser, opts.onBytes ?? (() => undefined));
      await add(async () => (await it.next()).value ?? undefined);
    }
    for (const [host, span] of plan.hosts) {
      const it = heartbeats(host, span, opts.heartbeatSeconds * 1000);
      await add(async () => {
        const v = it.next().value ?? undefined;
        if (v) heartbeatCount += 1;
        return v;
      });
    }
    for (let head = queue.pop(); head !== undefined; head = queue.pop()) {
      yield head.event;
      await add(head.next);
    }
  }
  const stats = (): ReplayStats => {
    const s: ReplayStats = { lines: 0, events: 0, heartbeats: heartbeatCount, skipped: {} };
    for (const p of parsers) {
      const ps = p.stats();
      s.lines += ps.read;
      s.events += ps.events;
      for (const [k, v] of Object.entries(ps.skipped)) if (v > 0) s.skipped[k] = (s.skipped[k] ?? 0) + v;
    }
    return s;
  };
  return { events: run(), stats };
}
