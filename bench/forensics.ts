// Forensics latency over a large embedded store (issue #7): `timeline --user`,
// `timeline --ip` and `pivot ip` over ≥ 50M events, median of repeated runs,
// through the same code the CLI and the API call.
//
// The events are generated inside ClickHouse (INSERT … SELECT from numbers())
// with the platform's shape: 90 days, 50 hosts, ~1M accounts, ~100k source
// addresses; 60% logins (an account from one of its few usual addresses),
// 25% deliveries, 10% connections out, 5% credential reads, each with a raw
// line of realistic length. The store lives in a temporary directory, removed
// afterwards.
//   node dist/bench/forensics.js [--events 50000000] [--runs 15]
// Prints one JSON line on stdout, progress on stderr.
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { storeSchema } from "../config/common.js";
import { selectRows } from "../detector/api/sql.js";
import { pivot } from "../detector/forensics/pivot.js";
import { timeline } from "../detector/forensics/timeline.js";
import { openStore } from "../detector/store/client.js";

const DAYS = 90;
const HOSTS = 50;
const ACCOUNTS = 1_000_000;
const ADDRESSES = 100_000;
const CHUNK = 2_500_000;
/** Disk the load needs: ~330 bytes per event with both projections before merges, plus headroom. */
const BYTES_PER_EVENT = 400;

// Row `number` of numbers(): time grows with it (so each chunk fills a few
// daily partitions, as a live store does); everything else is a hash of it.
const EVENT_SELECT = `
WITH
  toDateTime64('2026-03-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(number * {span:UInt64}, {total:UInt64})) AS t,
  cityHash64(number, 1) % 100 AS k,
  cityHash64(number, 2) % ${ACCOUNTS} AS acct,
  cityHash64(acct, cityHash64(number, 3) % 3) % ${ADDRESSES} AS addr,
  concat('user', toString(acct), '@example.jp') AS u,
  IPv4NumToString(toUInt32(0x2D000000 + addr * 37)) AS ip,
  concat('mx', toString(cityHash64(number, 4) % ${HOSTS})) AS h
SELECT
  lower(hex(MD5(toString(number)))) AS id, t AS ts, h AS host,
  multiIf(k < 60, 'dovecot', k < 85, 'postfix', k < 95, 'ss', 'slapd') AS source,
  multiIf(k < 60, 'auth', k < 85, 'mail_out', k < 95, 'net', 'cred_access') AS kind,
  multiIf(k < 60, 'login', k < 85, 'delivery', k < 95, 'conn', 'ldap_search') AS action,
  if(k < 3, 'failure', 'success') AS outcome,
  if(k < 85 OR k >= 95, u, '') AS user,
  if(k < 60, ip, '') AS src_ip,
  if(k < 60, NULL, toUInt16(cityHash64(number, 5) % 60000)) AS src_port,
  multiIf(k < 85, '10.20.1.10', k < 95, IPv4NumToString(toUInt32(0xC6336400 + cityHash64(number, 6) % 5000)), '') AS dst_ip,
  multiIf(k < 60, 993, k < 85, 24, k < 95, 443, NULL) AS dst_port,
  multiIf(k < 60, 'imap', k < 85, 'lmtp', k < 95, 'tcp', 'ldap') AS proto,
  multiIf(k < 60, 'dovecot', k < 85, 'postfix', k < 95, 'php-fpm8.2', 'slapd') AS process_name,
  if(k >= 95, 'ou=people,dc=example,dc=jp?sub?(mail=*)', '') AS object,
  if(k >= 95, toUInt64(1), NULL) AS records,
  if(k >= 85 AND k < 95, cityHash64(number, 7) % 1000000, NULL) AS bytes_out,
  concat(toString(t), ' ', h, ' dovecot: imap-login: Login: user=<', u, '>, method=PLAIN, rip=', ip,
    ', lip=10.20.1.10, mpid=', toString(cityHash64(number, 8) % 90000), ', TLS, session=<',
    substring(hex(cityHash64(number, 9)), 1, 12), '>') AS raw
FROM numbers({first:UInt64}, {count:UInt64})`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: "string" }, runs: { type: "string" } } });
  const total = Number(values.events ?? 50_000_000);
  const runs = Number(values.runs ?? 15);
  const dataDir = mkdtempSync(join(tmpdir(), "mw-bench-forensics-"));
  const { bavail, bsize } = statfsSync(dataDir);
  if (bavail * bsize < total * BYTES_PER_EVENT) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`not enough space under ${tmpdir()}: ${total * BYTES_PER_EVENT} bytes needed`);
  }
  const store = await openStore(storeSchema.parse({ dataDir, retentionDays: 3650 }));
  const { client } = store;
  try {
    const loadStart = performance.now();
    for (let first = 0; first < total; first += CHUNK) {
      await client.command({
        query: `INSERT INTO events (id, ts, host, source, kind, action, outcome, user, src_ip, src_port, dst_ip,
          dst_port, proto, process_name, object, records, bytes_out, raw) ${EVENT_SELECT}`,
        query_params: { first, count: Math.min(CHUNK, total - first), total, span: DAYS * 86_400_000 },
      });
      process.stderr.write(`loaded ${Math.min(first + CHUNK, total)} events\n`);
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const [stats] = await selectRows<{ rows: number; parts: number; bytes: number }>(
      client,
      "SELECT sum(rows) AS rows, count() AS parts, sum(bytes_on_disk) AS bytes FROM system.parts WHERE active AND table = 'events' AND database = currentDatabase()",
    );
    // Entities that exist: accounts and addresses of logins spread over the data.
    const sample = await selectRows<{ user: string; src_ip: string }>(
      client,
      "SELECT user, src_ip FROM events WHERE kind = 'auth' AND cityHash64(id) % 1000 = 7 LIMIT {n:UInt32}",
      { n: runs },
    );
    const users = sample.map((r) => r.user);
    const ips = sample.map((r) => r.src_ip);
    const measure = async (fn: (i: number) => Promise<unknown>) => {
      await fn(0); // warm the caches of the first entity once
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) ms.push(await timed(() => fn(i % sample.length)));
      return { median_ms: Math.round(median(ms)), max_ms: Math.round(Math.max(...ms)) };
    };
    const result = {
      events: Number(stats?.rows),
      parts: Number(stats?.parts),
      disk_gb: Number((Number(stats?.bytes) / 1e9).toFixed(2)),
      load_seconds: Math.round(loadSeconds),
      runs,
      timeline_user: await measure((i) =>
        timeline(client, { entity: { kind: "user", value: users[i] as string }, limit: 1000 }),
      ),
      timeline_ip: await measure((i) =>
        timeline(client, { entity: { kind: "ip", value: ips[i] as string }, limit: 1000 }),
      ),
      pivot_ip: await measure((i) => pivot(client, { kind: "ip", value: ips[i] as string, perRelation: 1000 })),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
