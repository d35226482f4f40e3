// The generated Grafana files under deploy/grafana are what the code
// generates now (regenerate with `mailwarden dashboards --out deploy/grafana`).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { PACKAGE_ROOT } from "../config/paths.js";
import { dashboards, grafanaFiles } from "./catalogue.js";

const DEPLOYED = join(PACKAGE_ROOT, "deploy", "grafana");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(DEPLOYED, join(e.parentPath, e.name)));
}

test("deploy/grafana holds exactly the generated files, unchanged", () => {
  const generated = grafanaFiles();
  assert.deepEqual(filesUnder(DEPLOYED).sort(), [...generated.keys()].sort());
  for (const [path, content] of generated) {
    assert.equal(readFileSync(join(DEPLOYED, path), "utf8"), content, `${path} drifted: regenerate it`);
  }
});

test("every dashboard has a unique uid and every panel one ClickHouse SQL target", () => {
  const all = Object.values(dashboards());
  assert.equal(new Set(all.map((d) => d.uid)).size, all.length);
  for (const d of all) {
    for (const p of d.panels ?? []) {
      const targets = "targets" in p ? (p.targets as { datasource?: { type?: string }; rawSql?: string }[]) : [];
      assert.equal(targets.length, 1, `${d.title} / ${p.title}`);
      assert.equal(targets[0]?.datasource?.type, "grafana-clickhouse-datasource");
      assert.ok(targets[0]?.rawSql, `${d.title} / ${p.title} has SQL`);
    }
  }
});
