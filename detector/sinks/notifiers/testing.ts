// Test helpers for the notifiers: a local HTTP receiver on 127.0.0.1 that can
// be taken down and brought back on the same port, sample notices, a silent
// logger and a poller.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import type { Logger } from "../../../telemetry/log.js";
import type { Finding, Severity } from "../../core/finding.js";
import { type AlertNotice, noticeFromFinding } from "./notice.js";

export const silentLog: Logger = pino({ level: "silent" });

const tempDirs: string[] = [];

/** A temp directory removed by `removeTempDirs` (call it in `after`). */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mw-${name}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Respond = (r: Received) => { status: number; body?: string; headers?: Record<string, string> };

export class TestReceiver {
  readonly received: Received[] = [];
  respond: Respond = () => ({ status: 200, body: "ok" });
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0 = a free one, then kept for restarts). */
  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const r = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.received.push(r);
        const out = this.respond(r);
        res.writeHead(out.status, { "content-type": "text/plain", ...out.headers });
        res.end(out.body ?? "");
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Goes down hard: the port refuses connections until start() again. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sampleFinding(n: number, over: Partial<Finding> = {}): Finding {
  const ts = new Date(Date.UTC(2026, 5, 17, 3, 0, 0) + n * 1000).toISOString();
  return {
    id: `${n.toString(16).padStart(8, "0")}${"ab".repeat(12)}`,
    ts,
    detection: "auth.stuffing",
    stage: "initial_access",
    entity_type: "src_ip",
    entity: "203.0.113.7",
    host: "imap1",
    src_ip: "203.0.113.7",
    score: 85,
    severity: "high",
    observed: 412,
    expected: 3,
    window_start: ts,
    window_end: ts,
    evidence: [],
    summary: `203.0.113.7 tried 412 accounts in 10 minutes (finding ${n})`,
    ...over,
  };
}

export function sampleNotice(n: number, severity: Severity = "high", over: Partial<Finding> = {}): AlertNotice {
  return noticeFromFinding(sampleFinding(n, { severity, ...over }), {
    now: new Date(Date.UTC(2026, 5, 17, 3, 5, 0)),
    linkTemplate: "https://mailwarden.example.net/api/v1/{type}/{id}",
  });
}
