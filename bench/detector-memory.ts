// Memory per tracked account of the account-origins enricher (the state every
// account of the platform has: 12.2M in the story), measured, not computed:
// process.memoryUsage() around feeding it successful logins of N distinct
// accounts (1M by default), each from its own home network, then a second
// origin for every tenth account. Every address is new, so the rate is the
// worst case (each one parsed for its ASN and network once). One core.
//   node --expose-gc dist/bench/detector-memory.js [--accounts N]
// Prints one JSON line on stdout.

import { pathToFileURL } from "node:url";
import { createNetworkInfo } from "../detector/core/networks.js";
import { AccountOriginsEnricher } from "../detector/detections/auth/account-origins.js";
import type { MailEvent } from "../events/event.js";

function settle(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage();
}

export function measure(accounts: number) {
  const enricher = new AccountOriginsEnricher(
    { warmLogins: 5, warmDays: 2, maxAccounts: Math.max(12_500_000, accounts), accountRetentionDays: 90 },
    { networks: createNetworkInfo() },
  );
  const t0 = Date.UTC(2026, 5, 17);
  // One reusable event: the enricher keeps nothing of it but its hash.
  const e: MailEvent = {
    id: "0".repeat(32),
    ts: new Date(t0).toISOString(),
    host: "imap1",
    source: "dovecot",
    kind: "auth",
    action: "login",
    outcome: "success",
    user: "",
    src_ip: "",
  };
  const before = settle();
  const start = process.hrtime.bigint();
  let events = 0;
  for (let i = 0; i < accounts; i++) {
    e.user = `subscriber${i}@example.jp`;
    e.src_ip = `${60 + (i % 64)}.${(i >>> 8) & 255}.${i & 255}.${1 + (i % 250)}`;
    e.attrs = { stage: "login" };
    enricher.onEvent(e, t0 + i);
    events += 1;
    if (i % 10 === 0) {
      e.src_ip = `${130 + (i % 64)}.${(i >>> 8) & 255}.${i & 255}.9`;
      e.attrs = { stage: "login" };
      enricher.onEvent(e, t0 + i);
      events += 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const after = settle();
  const heap = after.heapUsed - before.heapUsed;
  const buffers = after.arrayBuffers - before.arrayBuffers;
  const table = enricher.bytes();
  return {
    bench: "detector-memory",
    accounts: enricher.size(),
    gc: typeof (globalThis as { gc?: unknown }).gc === "function",
    measured_bytes: heap + buffers,
    bytes_per_account: Math.round((heap + buffers) / enricher.size()),
    /** Typed-array storage (the account table) vs JS heap (mostly the bounded address-facts cache, ≤ 200k addresses). */
    array_buffer_bytes: buffers,
    heap_bytes: heap,
    table_bytes: table,
    table_bytes_per_account: Math.round(table / enricher.size()),
    /** At the platform's 12.2M accounts the table is 2^24 entries of 60 bytes (load 0.73). */
    projected_bytes_per_account_at_12_2M: Math.round((2 ** 24 * 60) / 12_200_000),
    rss_mb: Math.round(after.rss / 2 ** 20),
    events_per_s: Math.round(events / seconds),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const i = process.argv.indexOf("--accounts");
  const n = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write("usage: node --expose-gc dist/bench/detector-memory.js [--accounts N]\n");
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(measure(n))}\n`);
}
