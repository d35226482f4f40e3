// Template variables, each a query against the store so its options are what
// the data holds. Multi-value ones default to All, which the panels'
// `$__conditionalAll` turns into no filter at all.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  QueryVariableBuilder,
  type VariableModel,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { CLICKHOUSE } from "./clickhouse.js";

function queryVariable(name: string, label: string, sql: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(CLICKHOUSE)
    .query(sql)
    .definition(sql)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .allowCustomValue(false);
}

/** A multi-value variable with All selected: the distinct values of `column` in `table` over the range. */
function multiVariable(name: string, label: string, sql: string): cog.Builder<VariableModel> {
  return queryVariable(name, label, sql)
    .multi(true)
    .includeAll(true)
    .sort(VariableSort.AlphabeticalAsc)
    .current({ selected: true, text: ["All"], value: ["$__all"] });
}

export const hostVariable = () =>
  multiVariable("host", "Host", "SELECT DISTINCT host FROM events WHERE $__timeFilter(ts) ORDER BY host");

export const protocolVariable = () =>
  multiVariable(
    "protocol",
    "Protocol",
    "SELECT DISTINCT proto FROM events WHERE kind = 'auth' AND proto != '' AND $__timeFilter(ts) ORDER BY proto",
  );

export const detectionVariable = () =>
  multiVariable(
    "detection",
    "Detection",
    "SELECT DISTINCT detection FROM findings FINAL WHERE $__timeFilter(ts) ORDER BY detection",
  );

export const severityVariable = () =>
  multiVariable(
    "severity",
    "Severity",
    "SELECT DISTINCT severity FROM findings FINAL WHERE $__timeFilter(ts) ORDER BY severity",
  );

/**
 * One live (not merged) incident active during the range, worst first; the first
 * column is the value (the id), the second what the picker shows.
 */
export const incidentVariable = () =>
  queryVariable(
    "incident",
    "Incident",
    `SELECT id, concat(severity, ' · ', formatDateTime(opened_at, '%F %R'), ' · ', summary)
FROM incidents FINAL
WHERE merged_into = '' AND opened_at <= $__toTime AND updated_at >= $__fromTime
ORDER BY score DESC, length(finding_ids) DESC, opened_at DESC
LIMIT 500`,
  ).sort(VariableSort.Disabled);
