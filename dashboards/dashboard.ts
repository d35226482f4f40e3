// What every Mailwarden dashboard shares: uid and tags (the provisioning
// replaces a dashboard by uid), UTC time (events are stored in UTC), links to
// its siblings, and the default range.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  type Panel,
  type VariableModel,
} from "@grafana/grafana-foundation-sdk/dashboard";

export const TAG = "mailwarden";

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: cog.Builder<VariableModel>[];
  panels: cog.Builder<Panel>[];
}

export function mailwardenDashboard(spec: DashboardSpec): DashboardBuilder {
  const dashboard = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG])
    .timezone("utc")
    .time({ from: "now-24h", to: "now" })
    .refresh("1m")
    .link(
      new DashboardLinkBuilder("Mailwarden")
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true),
    );
  for (const v of spec.variables) dashboard.withVariable(v);
  for (const p of spec.panels) dashboard.withPanel(p);
  return dashboard;
}

/** The Incident dashboard's address for one incident, keeping the time range. */
export const INCIDENT_UID = "mailwarden-incident";
export const incidentUrl = (idField: string) =>
  `/d/${INCIDENT_UID}/incident?var-incident=\${${idField}}&\${__url_time_range}`;
