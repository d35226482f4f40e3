import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../cli/errors.js";
import { loadConfig } from "./load.js";
import { PACKAGE_ROOT } from "./paths.js";
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

test("a file source's parser options are checked at load, by parser id", () => {
  const src = (opts: string) =>
    `sources:\n  - type: file\n    path: /var/log/mysql/audit.log\n    parser: mariadb-audit\n    parserOptions: ${opts}\n`;
  const ok = loadConfig(collectorConfigSchema, {
    file: yamlFile("cols.yaml", src('{"mariadb-audit": {columns: ["postfix.mailbox.password"]}}')),
    env: {},
  });
  assert.deepEqual(ok.sources[0], {
    type: "file",
    path: "/var/log/mysql/audit.log",
    parser: "mariadb-audit",
    startAt: "end",
    parserOptions: { "mariadb-audit": { columns: ["postfix.mailbox.password"] } },
  });
  const bad = configError(() =>
    loadConfig(collectorConfigSchema, {
      file: yamlFile("bad-cols.yaml", src('{"mariadb-audit": {columns: ["password"]}}')),
      env: {},
    }),
  );
  assert.match(bad.message, /^config: sources\.0\.parserOptions: mariadb-audit options: columns\.0: /);
  const unknown = configError(() =>
    loadConfig(collectorConfigSchema, { file: yamlFile("unknown-parser.yaml", src("{nginx: {}}")), env: {} }),
  );
  assert.match(unknown.message, /parser options for unknown parser "nginx"/);
});

test("the shipped example configs load as they are", () => {
  const examples = join(PACKAGE_ROOT, "deploy", "examples");
  const collector = loadConfig(collectorConfigSchema, { file: join(examples, "collector.yaml"), env: {} });
  assert.ok(collector.sources.some((s) => s.type === "ss"));
  loadConfig(detectorConfigSchema, { file: join(examples, "detector.yaml"), env: {} });
});
