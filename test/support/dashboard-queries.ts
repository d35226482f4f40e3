// Runs every dashboard's variable and panel queries against a store, expanded
// as Grafana and the ClickHouse plugin would (./grafana-clickhouse.ts), with
// the variables set from their own queries' results. Returns each result with
// its column types, for the caller to judge.
import type { ClickHouseClient } from "@clickhouse/client";
import type { Dashboard, Panel, VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";
import { expandPanelSql, type QueryContext, type TemplateVariable } from "./grafana-clickhouse.js";

export interface PanelResult {
  dashboard: string;
  panel: string;
  type: string;
  /** "all" (multi-value variables at All) or "listed" (every option selected by value). */
  selection: "all" | "listed";
  sql: string;
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

interface JsonCompact {
  meta: { name: string; type: string }[];
  data: unknown[][];
}

async function run(client: ClickHouseClient, sql: string): Promise<JsonCompact> {
  // readonly: the dashboards must work for a read-only ClickHouse user.
  const rs = await client.query({ query: sql, format: "JSONCompact", clickhouse_settings: { readonly: "1" } });
  return (await rs.json()) as unknown as JsonCompact;
}

/** The variables of a dashboard, each set from its own query's result (first column = value). */
async function resolveVariables(
  client: ClickHouseClient,
  variables: VariableModel[],
  range: Omit<QueryContext, "variables">,
  selection: PanelResult["selection"],
): Promise<Record<string, TemplateVariable>> {
  const resolved: Record<string, TemplateVariable> = {};
  for (const v of variables) {
    const sql = expandPanelSql(String(v.query), { ...range, variables: resolved });
    const options = (await run(client, sql)).data.map((row) => String(row[0]));
    if (options.length === 0) throw new Error(`variable ${v.name} has no options:\n${sql}`);
    resolved[v.name] = v.multi
      ? { current: selection === "all" ? ["$__all"] : options, options }
      : { current: options[0] as string, options };
  }
  return resolved;
}

export async function runDashboardQueries(
  client: ClickHouseClient,
  dashboards: Dashboard[],
  range: Omit<QueryContext, "variables">,
): Promise<PanelResult[]> {
  const results: PanelResult[] = [];
  for (const d of dashboards) {
    for (const selection of ["all", "listed"] as const) {
      const variables = await resolveVariables(client, d.templating?.list ?? [], range, selection);
      for (const p of (d.panels ?? []) as Panel[]) {
        const target = p.targets?.[0] as { rawSql: string } | undefined;
        if (!target) continue;
        const sql = expandPanelSql(target.rawSql, { ...range, variables });
        const r = await run(client, sql).catch((e: unknown) => {
          throw new Error(`${d.title} / ${p.title}: ${(e as Error).message}\n${sql}`);
        });
        results.push({
          dashboard: d.title ?? "",
          panel: p.title ?? "",
          type: p.type,
          selection,
          sql,
          columns: r.meta,
          rows: r.data,
        });
      }
    }
  }
  return results;
}
