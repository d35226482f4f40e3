// The CLI contract (DESIGN §7) as a user meets it: the built binary, a real
// embedded store in a temporary data directory.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PACKAGE_ROOT, PACKAGE_VERSION } from "../config/paths.js";

const dir = mkdtempSync(join(tmpdir(), "mw-cli-"));
const BIN = join(PACKAGE_ROOT, "dist", "cli", "main.js");

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, MAILWARDEN_DATA: join(dir, "data"), LOG_FORMAT: "json", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("--help lists the working commands; --version prints the package version", () => {
  const help = run(["--help"]);
  assert.equal(help.code, 0);
  for (const cmd of ["setup", "query"]) assert.match(help.stdout, new RegExp(`^  ${cmd} `, "m"));
  const version = run(["--version"]);
  assert.equal(version.stdout.trim(), PACKAGE_VERSION);
});

test("query --sql prints JSONL from the embedded engine; writes are refused by the engine", () => {
  const v = run(["query", "--sql", "SELECT version() AS v"]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(JSON.parse(v.stdout.trim()).v, /^\d+\.\d+/);

  for (const sql of ["DROP TABLE events", "INSERT INTO events (id) VALUES ('x')"]) {
    const w = run(["query", "--sql", sql]);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /^mailwarden: query: .*readonly/);
    assert.equal(w.stderr.trim().split("\n").length, 1, "one line, no stack trace");
  }
  const still = run(["query", "--sql", "EXISTS TABLE events", "--format", "csv"]);
  assert.deepEqual(still.stdout.trim().split("\n"), ["result", "1"]);
});

test("user mistakes are one line on stderr and exit 2", () => {
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "store:\n  retentionDays: -3\n");
  const cases: [string[], RegExp][] = [
    [["query", "--sql", "SELECT 1", "--config", bad], /^mailwarden: config: store\.retentionDays: /],
    [["query", "--sql", "SELECT 1", "--format", "xml"], /^mailwarden: query: unknown --format 'xml'/],
    [["query", "--sql", "SELEKT 1"], /^mailwarden: query: .*Syntax error/],
    [["nosuch"], /unknown command 'nosuch'/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes("    at "), "no stack trace");
  }
});
