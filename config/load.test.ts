import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../cli/errors.js";
import { loadConfig } from "./load.js";
import { collectorConfigSchema, detectorConfigSchema } from "./roles.js";

const dir = mkdtempSync(join(tmpdir(), "mw-config-"));
function yamlFile(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

test("defaults apply when no file is given", () => {
  const cfg = loadConfig(detectorConfigSchema, { env: {} });
  assert.deepEqual(cfg.kafka.brokers, ["127.0.0.1:9092"]);
  assert.equal(cfg.store.retentionDays, 180);
  assert.equal(cfg.store.url, undefined);
});

test("a missing required value is one line naming the path, exit 2", () => {
  const f = yamlFile("no-sources.yaml", "host: mx1\n");
  const e = configError(() => loadConfig(collectorConfigSchema, { file: f, env: {} }));
  assert.equal(e.exitCode, 2);
  assert.match(e.message, /^config: sources: /);
  assert.ok(!e.message.includes("\n"));
});

test("a wrong type is one line naming the path, exit 2", () => {
  const f = yamlFile("bad-type.yaml", "store:\n  retentionDays: soon\n");
  const e = configError(() => loadConfig(detectorConfigSchema, { file: f, env: {} }));
  assert.equal(e.exitCode, 2);
  assert.match(e.message, /^config: store\.retentionDays: .*number/);
});

test("unknown keys are rejected, not ignored", () => {
  const f = yamlFile("typo.yaml", "store:\n  retentionDay: 30\n");
  const e = configError(() => loadConfig(detectorConfigSchema, { file: f, env: {} }));
  assert.match(e.message, /^config: store: .*retentionDay/);
});

test("environment overrides file values and is validated the same way", () => {
  const f = yamlFile("ok.yaml", "store:\n  retentionDays: 30\n");
  const cfg = loadConfig(detectorConfigSchema, {
    file: f,
    env: { MAILWARDEN_RETENTION_DAYS: "90", KAFKA_BROKERS: "k1:9092, k2:9093" },
  });
  assert.equal(cfg.store.retentionDays, 90);
  assert.deepEqual(cfg.kafka.brokers, ["k1:9092", "k2:9093"]);
  const e = configError(() => loadConfig(detectorConfigSchema, { file: f, env: { MAILWARDEN_RETENTION_DAYS: "x" } }));
  assert.match(e.message, /^config: store\.retentionDays \(from MAILWARDEN_RETENTION_DAYS\): /);
});

test("unreadable file and broken YAML are one-line errors", () => {
  assert.match(
    configError(() => loadConfig(detectorConfigSchema, { file: join(dir, "nope.yaml"), env: {} })).message,
    /^config: .*nope\.yaml: cannot read file \(ENOENT\)$/,
  );
  const f = yamlFile("broken.yaml", "store: [\n");
  assert.match(configError(() => loadConfig(detectorConfigSchema, { file: f, env: {} })).message, /invalid YAML/);
});
