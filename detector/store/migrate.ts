// Applies the SQL files of migrations/ in order, once each, recording them in
// `schema_migrations`. Statements are idempotent themselves (IF NOT EXISTS), so
// a process that dies half-way simply re-runs the unrecorded file next time.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { PACKAGE_ROOT } from "../../config/paths.js";

export const MIGRATIONS_DIR = join(PACKAGE_ROOT, "detector", "store", "migrations");

/** Tables whose TTL follows the configured retention, and the column it counts from. */
const RETENTION_TABLES: Record<string, string> = { events: "ts", findings: "ts", incidents: "updated_at" };

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

interface MigrationFile {
  version: number;
  name: string;
  sql: string;
}

function migrationFiles(dir: string): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), "utf8") }));
}

/** Splits a file into statements: comments dropped, `;` at a line end terminates. */
export function splitStatements(sql: string): string[] {
  return sql
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("--"))
    .join("\n")
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function applyMigrations(
  client: ClickHouseClient,
  opts: { retentionDays: number; dir?: string },
): Promise<MigrationResult> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32, name String, checksum FixedString(64), applied_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rs = await client.query({ query: "SELECT version FROM schema_migrations FINAL", format: "JSONEachRow" });
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const m of migrationFiles(opts.dir ?? MIGRATIONS_DIR)) {
    if (done.has(m.version)) {
      result.alreadyApplied.push(m.name);
      continue;
    }
    for (const statement of splitStatements(m.sql)) await client.command({ query: statement });
    await client.insert({
      table: "schema_migrations",
      format: "JSONEachRow",
      values: [
        {
          version: m.version,
          name: m.name,
          checksum: createHash("sha256").update(m.sql).digest("hex"),
          applied_at: Date.now(),
        },
      ],
    });
    result.applied.push(m.name);
  }
  await applyRetention(client, opts.retentionDays);
  return result;
}

/**
 * Keeps each table's TTL equal to the configured retention. Only changed
 * TTLs are altered, without rewriting existing parts (expired data is then
 * dropped by the next merge).
 */
async function applyRetention(client: ClickHouseClient, days: number): Promise<void> {
  const rs = await client.query({
    query:
      "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}",
    query_params: { names: Object.keys(RETENTION_TABLES) },
    format: "JSONEachRow",
  });
  for (const { name, engine_full } of await rs.json<{ name: string; engine_full: string }>()) {
    const current = /toIntervalDay\((\d+)\)/.exec(engine_full)?.[1];
    if (Number(current) === days) continue;
    const column = RETENTION_TABLES[name] as string;
    await client.command({
      query: `ALTER TABLE ${name} MODIFY TTL toDateTime(${column}) + toIntervalDay(${Math.trunc(days)})`,
      clickhouse_settings: { materialize_ttl_after_modify: 0 },
    });
  }
}
