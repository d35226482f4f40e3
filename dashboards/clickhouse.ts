// The ClickHouse data source as the dashboards see it: the provisioned data
// source (fixed uid, so panels find it without a picker) and a panel target
// for the plugin's SQL editor. The foundation SDK has no builder for this
// plugin, so the target implements the SDK's Builder<Dataquery>.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type { DataSourceRef } from "@grafana/grafana-foundation-sdk/common";

export const CLICKHOUSE_PLUGIN = "grafana-clickhouse-datasource";

export const CLICKHOUSE: DataSourceRef = { type: CLICKHOUSE_PLUGIN, uid: "mailwarden-clickhouse" };

/** The plugin's result formats (its `Format` enum): wide time series or a plain table. */
export const FORMAT = { timeSeries: 0, table: 1 } as const;

export type QueryFormat = (typeof FORMAT)[keyof typeof FORMAT];

interface ClickHouseQuery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorType: "sql";
  queryType: "timeseries" | "table";
  format: QueryFormat;
  rawSql: string;
}

/** One SQL target; user input reaches `sql` only through Grafana variables. */
export function clickhouseQuery(sql: string, format: QueryFormat): cog.Builder<cog.Dataquery> {
  return {
    build: (): ClickHouseQuery => ({
      refId: "A",
      datasource: CLICKHOUSE,
      editorType: "sql",
      queryType: format === FORMAT.timeSeries ? "timeseries" : "table",
      format,
      rawSql: sql,
      _implementsDataqueryVariant() {},
    }),
  };
}
