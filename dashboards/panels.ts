// The few panel shapes the dashboards use, each bound to one ClickHouse SQL
// target. What a panel needs from its query (checked against the real engine
// by dashboards/panels-sql.test.ts):
//   timeseries: a DateTime column first, then numbers (or one string column
//               naming the series, which the plugin pivots long-to-wide);
//   table:      any columns;
//   stat, bargauge: one row per item, a string label and a number.

import { PanelBuilder as BarGaugePanel } from "@grafana/grafana-foundation-sdk/bargauge";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  BarGaugeDisplayMode,
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  VizLegendOptionsBuilder,
  VizOrientation,
} from "@grafana/grafana-foundation-sdk/common";
import type { Panel } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeSeriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { CLICKHOUSE, clickhouseQuery, FORMAT, type QueryFormat } from "./clickhouse.js";

export interface PanelSpec {
  title: string;
  description: string;
  sql: string;
  /** Grid width out of 24 (default 12) and height in grid rows (default 8). */
  w?: number;
  h?: number;
  unit?: string;
}

/** One value per row, not one reduced value per column: for "by X" stats and top-N bars. */
const everyRow = () => new ReduceDataOptionsBuilder().values(true).calcs([]).fields("");

/** What every panel shares: its texts, the data source, one SQL target, its size. */
interface PanelBase<T> {
  title(title: string): T;
  description(description: string): T;
  datasource(ref: typeof CLICKHOUSE): T;
  withTarget(target: cog.Builder<cog.Dataquery>): T;
  span(w: number): T;
  height(h: number): T;
}

function base<T extends PanelBase<T>>(panel: T, spec: PanelSpec, format: QueryFormat): T {
  return panel
    .title(spec.title)
    .description(spec.description)
    .datasource(CLICKHOUSE)
    .withTarget(clickhouseQuery(spec.sql, format))
    .span(spec.w ?? 12)
    .height(spec.h ?? 8);
}

const legend = () =>
  new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom);

export function timeSeries(spec: PanelSpec & { style?: "stacked" | "points" | "line" }): cog.Builder<Panel> {
  const panel = base(new TimeSeriesPanel(), spec, FORMAT.timeSeries)
    .legend(legend())
    .unit(spec.unit ?? "short");
  if (spec.style === "stacked") {
    panel
      .drawStyle(GraphDrawStyle.Bars)
      .fillOpacity(80)
      .stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  }
  if (spec.style === "points") panel.drawStyle(GraphDrawStyle.Points).pointSize(10);
  return panel;
}

export function table(spec: PanelSpec & { link?: { field: string; title: string; url: string } }): cog.Builder<Panel> {
  const panel = base(new TablePanel(), spec, FORMAT.table);
  if (spec.unit) panel.unit(spec.unit);
  if (spec.link) {
    const { field, title, url } = spec.link;
    panel.overrideByName(field, [{ id: "links", value: [{ title, url }] }]);
  }
  return panel;
}

export function stat(spec: PanelSpec): cog.Builder<Panel> {
  return base(new StatPanel(), spec, FORMAT.table)
    .unit(spec.unit ?? "short")
    .reduceOptions(everyRow());
}

export function barGauge(spec: PanelSpec): cog.Builder<Panel> {
  return base(new BarGaugePanel(), spec, FORMAT.table)
    .unit(spec.unit ?? "short")
    .orientation(VizOrientation.Horizontal)
    .displayMode(BarGaugeDisplayMode.Gradient)
    .reduceOptions(everyRow());
}
