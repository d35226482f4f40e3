// Small helpers for the API's ClickHouse access. Every value reaches SQL as a
// typed query parameter ({name:Type}); SQL text is only ever assembled from
// constant fragments chosen by which filters are present.
import type { ClickHouseClient } from "@clickhouse/client";

export type QueryParams = Record<string, unknown>;

export async function selectRows<T>(client: ClickHouseClient, query: string, params: QueryParams = {}): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: "JSONEachRow" });
  return rs.json<T>();
}

export async function insertRows(client: ClickHouseClient, table: string, values: object[]): Promise<void> {
  if (values.length > 0) await client.insert({ table, values, format: "JSONEachRow" });
}

/** Timestamps are selected as `toUnixTimestamp64Milli(..)` and rendered here, so the host time zone never matters. */
export const isoOf = (ms: number | string): string => new Date(Number(ms)).toISOString();

/** A growing WHERE clause: constant SQL fragments, values only as parameters. */
export class Where {
  private readonly clauses: string[] = [];
  readonly params: QueryParams = {};

  add(clause: string, params: QueryParams = {}): this {
    this.clauses.push(clause);
    Object.assign(this.params, params);
    return this;
  }

  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(" AND ")}` : "";
  }
}
