// The single factory for the ClickHouse store (DESIGN §3): the embedded engine
// (chdb, in-process) when no URL is configured, a ClickHouse server otherwise.
// Same @clickhouse/client API, same SQL both ways.
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import { UserError } from "../../cli/errors.js";
import type { StoreConfig } from "../../config/common.js";
import { applyMigrations, type MigrationResult } from "./migrate.js";

type ChdbAsClientConnection = NonNullable<Parameters<typeof createClient>[0]>["connection"];

export interface Store {
  client: ClickHouseClient;
  mode: "embedded" | "server";
  /** Where the data lives: the embedded data directory or the server URL (without credentials). */
  location: string;
  migrations: MigrationResult;
  close(): Promise<void>;
}

function serverPassword(cfg: StoreConfig): string | undefined {
  if (cfg.password !== undefined) return cfg.password;
  if (!cfg.passwordFile) return undefined;
  try {
    return readFileSync(cfg.passwordFile, "utf8").trimEnd();
  } catch (e) {
    throw new UserError(`store: cannot read password file ${cfg.passwordFile} (${(e as NodeJS.ErrnoException).code})`);
  }
}

function redactUrl(url: string): string {
  const u = new URL(url);
  u.username = "";
  u.password = "";
  return u.toString();
}

/**
 * Opens the store and brings its schema up to date. Embedded: the engine runs
 * in this process; only one process may hold a data directory, so a second one
 * is refused with a clear message. The embedded engine ignores the client's
 * `database` option, hence the session-level `USE`.
 */
export async function openStore(cfg: StoreConfig): Promise<Store> {
  let client: ClickHouseClient;
  let mode: Store["mode"];
  let location: string;
  if (cfg.url) {
    mode = "server";
    location = redactUrl(cfg.url);
    const password = serverPassword(cfg);
    client = createClient({
      url: cfg.url,
      username: cfg.username,
      ...(password === undefined ? {} : { password }),
    });
    try {
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` });
    } catch (e) {
      await client.close();
      throw new UserError(`store: cannot reach ClickHouse at ${location}: ${firstLine(e)}`, 1);
    }
    await client.close();
    client = createClient({
      url: cfg.url,
      username: cfg.username,
      ...(password === undefined ? {} : { password }),
      database: cfg.database,
      // The embedded engine returns 64-bit integers as JSON numbers; make the
      // server do the same so callers see one shape.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
  } else {
    mode = "embedded";
    location = resolve(cfg.dataDir);
    try {
      mkdirSync(location, { recursive: true });
    } catch (e) {
      throw new UserError(`store: cannot create data directory ${location} (${(e as NodeJS.ErrnoException).code})`);
    }
    try {
      // chdb types its connection against @clickhouse/client-common while the
      // client ships its own copy of the same interface: identical at run time.
      const connection = createChdbConnection({ path: location }) as unknown as ChdbAsClientConnection;
      client = createClient({ connection });
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` });
      await client.command({ query: `USE ${cfg.database}` });
    } catch (e) {
      throw new UserError(
        `store: cannot open the embedded ClickHouse at ${location}: ${firstLine(e)} (is another mailwarden process using it? then go through its API)`,
        1,
      );
    }
  }
  try {
    const migrations = await applyMigrations(client, { retentionDays: cfg.retentionDays });
    return { client, mode, location, migrations, close: () => client.close() };
  } catch (e) {
    await client.close();
    throw e;
  }
}

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]?.trim() ?? "unknown error";
}
