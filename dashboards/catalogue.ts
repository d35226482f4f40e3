// The dashboards and the provisioning files, as relative path → content: what
// `mailwarden dashboards --out DIR` writes and what deploy/grafana holds.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { authentication } from "./authentication.js";
import { credentialAccess } from "./credential-access.js";
import { egress } from "./egress.js";
import { incidentDashboard } from "./incident.js";
import { dashboardProviderYaml, datasourceYaml } from "./provisioning.js";
import { socOverview } from "./soc-overview.js";

/** File name (without .json) → dashboard. */
export function dashboards(): Record<string, Dashboard> {
  return {
    "soc-overview": socOverview().build(),
    authentication: authentication().build(),
    "credential-access": credentialAccess().build(),
    egress: egress().build(),
    incident: incidentDashboard().build(),
  };
}

export function grafanaFiles(): Map<string, string> {
  const files = new Map<string, string>([
    ["provisioning/datasources/mailwarden-clickhouse.yaml", datasourceYaml()],
    ["provisioning/dashboards/mailwarden.yaml", dashboardProviderYaml()],
  ]);
  for (const [name, dashboard] of Object.entries(dashboards())) {
    files.set(`dashboards/${name}.json`, `${JSON.stringify(dashboard, null, 2)}\n`);
  }
  return files;
}
