// One test over the whole catalogue (STYLE: Elastic's rule checks): metadata
// complete, ids unique and named after their module, defaults valid, a test
// file beside every detection.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PACKAGE_ROOT } from "../../config/paths.js";
import { STAGES } from "../core/finding.js";
import { DETECTIONS } from "./registry.js";

test("every detection is complete, unique, valid by default and tested", () => {
  const ids = new Set<string>();
  for (const d of DETECTIONS) {
    assert.match(d.id, /^(auth|cred|egress|agent)\.[a-z_]+$/, d.id);
    assert.ok(!ids.has(d.id), `duplicate id ${d.id}`);
    ids.add(d.id);
    assert.ok(STAGES.includes(d.stage), `${d.id}: stage`);
    for (const field of ["title", "rationale", "triage"] as const) assert.ok(d[field].length > 20, `${d.id}: ${field}`);
    assert.ok(d.falsePositives.length > 0, `${d.id}: falsePositives`);
    assert.ok(d.attack.every((t) => /^T\d{4}(\.\d{3})?$/.test(t)) && d.attack.length > 0, `${d.id}: attack`);
    assert.ok(d.kinds.length > 0, `${d.id}: kinds`);
    assert.deepEqual(d.config.parse({}), d.defaults, `${d.id}: defaults are the schema's`);
    const [family, name] = d.id.split(".") as [string, string];
    const module = join(PACKAGE_ROOT, "detector", "detections", family, name.replaceAll("_", "-"));
    assert.ok(existsSync(`${module}.ts`), `${d.id}: module ${module}.ts`);
    assert.ok(existsSync(`${module}.test.ts`), `${d.id}: test ${module}.test.ts`);
  }
});
