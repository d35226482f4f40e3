// Memory per tracked source address of the source-keyed detections that keep
// per-address state (auth.bruteforce: counters per address, /24 and ASN;
// auth.stuffing: accounts tried per address), measured: process.memoryUsage()
// around feeding each one failed login from N distinct addresses (1M by
// default) in distinct /24s, caps raised so nothing is evicted. One core.
//   node --expose-gc dist/bench/source-memory.js [--sources N]
// Prints one JSON line on stdout.
import { pathToFileURL } from "node:url";
import type { DetectionInstance } from "../detector/core/detection.js";
import { createNetworkInfo } from "../detector/core/networks.js";
import { bruteforceDetection } from "../detector/detections/auth/bruteforce.js";
import { stuffingDetection } from "../detector/detections/auth/stuffing.js";
import type { MailEvent } from "../events/event.js";

function settledBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function perSource(name: string, create: () => DetectionInstance, sources: number) {
  const t0 = Date.UTC(2026, 5, 17);
  const before = settledBytes();
  const instance = create();
  for (let i = 0; i < sources; i++) {
    const e: MailEvent = {
      id: i.toString(16).padStart(32, "0"),
      ts: new Date(t0 + i).toISOString(),
      host: "imap1",
      source: "dovecot",
      kind: "auth",
      action: "auth_failure",
      outcome: "failure",
      user: `subscriber${i % 1000}@example.jp`,
      src_ip: `${60 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.${1 + (i % 250)}`,
      reason: "bad_password",
      attrs: { attempts: 1 },
    };
    instance.onEvent(e, t0 + i);
  }
  const bytes = settledBytes() - before;
  return { detection: name, tracked: instance.size(), bytes_per_source: Math.round(bytes / sources) };
}

export function measure(sources: number) {
  const ctx = { networks: createNetworkInfo() };
  return {
    bench: "source-memory",
    sources,
    gc: typeof (globalThis as { gc?: unknown }).gc === "function",
    results: [
      perSource(
        "auth.bruteforce",
        () =>
          bruteforceDetection.create(
            bruteforceDetection.config.parse({ ...bruteforceDetection.defaults, maxEntities: 3 * sources }),
            ctx,
          ),
        sources,
      ),
      perSource(
        "auth.stuffing",
        () =>
          stuffingDetection.create(
            stuffingDetection.config.parse({ ...stuffingDetection.defaults, maxSources: sources }),
            ctx,
          ),
        sources,
      ),
    ],
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const i = process.argv.indexOf("--sources");
  const n = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write("usage: node --expose-gc dist/bench/source-memory.js [--sources N]\n");
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(measure(n))}\n`);
}
