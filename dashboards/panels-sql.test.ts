// Every panel's SQL, expanded as Grafana and grafana-clickhouse-datasource
// expand it, runs on the embedded engine loaded by a real demo run (broker →
// detector → store), returns rows, and returns what its panel type draws.
// The diagnostics list each panel with its row count on the demo data.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { loadConfig } from "../config/load.js";
import { detectorConfigSchema } from "../config/roles.js";
import { openStore, type Store } from "../detector/store/client.js";
import { type PanelResult, runDashboardQueries } from "../test/support/dashboard-queries.js";
import { runDemo } from "../test/support/demo-run.js";
import { dashboards } from "./catalogue.js";

const DAYS = 3;
const START = Date.parse(process.env.MAILWARDEN_SIM_START ?? "2026-11-01T00:00:00Z");
const RANGE = {
  from: new Date(START),
  to: new Date(START + (DAYS + 1) * 86_400_000),
  // What Grafana picks for a 4-day range on a ~1,000 px wide panel (range / width, rounded to 5m).
  intervalMs: 300_000,
};

const NUMBER = /^(Nullable\()?(U?Int|Float|Decimal)/;
const TEXT = /^(LowCardinality\()?(Nullable\()?(String|FixedString)/;
const TIME = /^DateTime/;

/** Why the result cannot be drawn by its panel type, or undefined when it can. */
function shapeProblem(r: PanelResult): string | undefined {
  const types = r.columns.map((c) => c.type);
  switch (r.type) {
    case "timeseries": {
      const [first, ...rest] = types;
      if (!first || !TIME.test(first)) return `first column must be a time, got ${first}`;
      if (!rest.some((t) => NUMBER.test(t))) return "no numeric value column";
      if (rest.filter((t) => TEXT.test(t)).length > 1) return "more than one series-name column";
      const times = r.rows.map((row) => String(row[0]));
      if (times.some((t, i) => i > 0 && t < (times[i - 1] as string)))
        return "rows not in time order (long-to-wide needs it)";
      return undefined;
    }
    case "stat":
    case "bargauge":
      if (!types.some((t) => TEXT.test(t))) return "no label column";
      if (!types.some((t) => NUMBER.test(t))) return "no numeric column";
      return undefined;
    case "table":
      return types.length > 0 ? undefined : "no columns";
    default:
      return `unexpected panel type ${r.type}`;
  }
}

let store: Store;
let results: PanelResult[];

before(async () => {
  // The demo's own scale: its worst incident is the breach with the stolen-password logins, which the
  // incident dashboard's blast-radius panels need (on a smaller platform they may form an incident of their own).
  const demo = runDemo(["--days", String(DAYS)]);
  store = await openStore({ ...loadConfig(detectorConfigSchema, {}).store, dataDir: demo.dataDir });
  results = await runDashboardQueries(store.client, Object.values(dashboards()), RANGE);
});

after(async () => {
  await store?.close();
});

test("every panel's query returns rows of the shape its panel draws, with variables at All and listed", (t) => {
  const panels = Object.values(dashboards()).reduce((n, d) => n + (d.panels?.length ?? 0), 0);
  assert.equal(results.length, panels * 2, "each panel ran once per variable selection");
  for (const r of results) {
    if (r.selection === "all") t.diagnostic(`${r.rows.length} rows: ${r.dashboard} / ${r.panel} (${r.type})`);
    const where = `${r.dashboard} / ${r.panel} [variables ${r.selection}]`;
    assert.ok(r.rows.length > 0, `${where} returned no rows:\n${r.sql}`);
    assert.equal(shapeProblem(r), undefined, `${where}:\n${r.sql}`);
  }
});
