// `mailwarden dashboards --out DIR`: writes the Grafana dashboards (JSON) and
// their provisioning (ClickHouse data source, dashboard provider) under DIR,
// the same files as deploy/grafana.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { grafanaFiles } from "../../dashboards/catalogue.js";
import { GRAFANA_DASHBOARDS_PATH } from "../../dashboards/provisioning.js";
import { UserError } from "../errors.js";

export function registerDashboards(program: Command): void {
  program
    .command("dashboards")
    .description("write the Grafana dashboards and provisioning for the ClickHouse data source")
    .requiredOption("--out <dir>", "output directory (created if missing; files in it are overwritten)")
    .addHelpText(
      "after",
      `\nWrites provisioning/datasources/*.yaml, provisioning/dashboards/*.yaml and dashboards/*.json.\n` +
        `Copy provisioning/ into Grafana's provisioning directory and dashboards/ to ${GRAFANA_DASHBOARDS_PATH};\n` +
        "the data source reads its connection from MAILWARDEN_CH_* in Grafana's environment (see README).",
    )
    .action((opts: { out: string }) => {
      const out = resolve(opts.out);
      for (const [path, content] of grafanaFiles()) {
        const file = join(out, path);
        try {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, content);
        } catch (e) {
          throw new UserError(`dashboards: cannot write ${file} (${(e as NodeJS.ErrnoException).code})`);
        }
        process.stdout.write(`${file}\n`);
      }
    });
}
