// The simulator's contract: byte-identical output per seed, every generated
// line accepted by the parser the manifest names, time order within files,
// and labels whose entities really appear in the logs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { type AttackLabel, type Label, STAGES } from "./context.js";
import { API_TOKEN_FILE, type Manifest, SCENARIOS, simulate } from "./simulate.js";

const SMALL = { hosts: 7, accounts: 300, days: 1, start: Date.parse("2026-11-01T00:00:00Z") };
const dirs: string[] = [];
let runA = "";
let manifest: Manifest;

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mw-sim-"));
  dirs.push(d);
  return d;
}

function hashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== API_TOKEN_FILE)
        out.set(relative(dir, p), createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

function labelsOf(dir: string): Label[] {
  return readFileSync(join(dir, "labels.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Label);
}

before(async () => {
  runA = tempDir();
  manifest = await simulate({ scenario: "mixed", seed: 42, out: runA, ...SMALL });
});

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("simulate: same seed → byte-identical directory; another seed → different logs", async () => {
  const b = tempDir();
  await simulate({ scenario: "mixed", seed: 42, out: b, ...SMALL });
  const ha = hashes(runA);
  assert.deepEqual(hashes(b), ha);
  assert.ok(ha.size > 20, `expected many files, got ${ha.size}`);
  const c = tempDir();
  await simulate({ scenario: "mixed", seed: 43, out: c, ...SMALL });
  const hc = hashes(c);
  const dovecot = [...ha.keys()].find((k) => k.endsWith("dovecot.log")) ?? "";
  assert.notEqual(hc.get(dovecot), ha.get(dovecot));
});

test("simulate: refuses a non-empty output directory", async () => {
  await assert.rejects(simulate({ scenario: "none", seed: 1, out: runA, ...SMALL }), /not empty/);
});

test("simulate: manifest lists every host, role and file with its parser and line count", () => {
  assert.equal(manifest.scenario, "mixed");
  assert.equal(Object.keys(manifest.hosts).length, SMALL.hosts);
  const roles = new Set(Object.values(manifest.hosts).flatMap((h) => h.roles));
  for (const r of ["imap", "mx", "submission", "webmail", "ldap", "db", "backup"]) assert.ok(roles.has(r), r);
  for (const [host, h] of Object.entries(manifest.hosts)) {
    for (const f of h.files) {
      const text = readFileSync(join(runA, host, f.file), "utf8");
      const lines = text.length === 0 ? 0 : text.split("\n").length - 1;
      assert.equal(lines, f.lines, `${host}/${f.file}`);
    }
  }
  const networks = JSON.parse(readFileSync(join(runA, "networks.json"), "utf8")) as Record<
    string,
    { asn: number; country: string }
  >;
  assert.ok(Object.keys(networks).length > 20);
  for (const v of Object.values(networks)) assert.ok(Number.isInteger(v.asn) && /^[A-Z]{2}$/.test(v.country));
});

test("simulate: every file parses with its parser, nothing skipped, events in time order", async (t) => {
  const { createLineParser } = await import("../collectors/pipeline/line-parser.js");
  const { isParserId } = await import("../collectors/parsers/registry.js");
  const { readLines } = await import("../collectors/sources/read-lines.js");
  for (const [host, h] of Object.entries(manifest.hosts)) {
    for (const f of h.files) {
      if (!isParserId(f.parser)) {
        t.diagnostic(`no parser "${f.parser}" registered yet: ${host}/${f.file} not checked`);
        continue;
      }
      const parser = createLineParser({ source: f.parser, host, now: () => new Date(manifest.end) });
      let last = "";
      let events = 0;
      const check = (ts: string): void => {
        assert.ok(ts >= last, `${host}/${f.file}: ${ts} after ${last}`);
        last = ts;
        events++;
      };
      for await (const line of readLines(createReadStream(join(runA, host, f.file)))) {
        for (const e of parser.parseLine(line.text, line.position)) check(e.ts);
      }
      for (const e of parser.flush()) check(e.ts);
      const s = parser.stats();
      assert.equal(s.read, f.lines, `${host}/${f.file}: lines read`);
      assert.deepEqual(
        Object.entries(s.skipped).filter(([, n]) => n > 0),
        [],
        `${host}/${f.file} (${f.parser}): ${s.read} read, ${s.recognized} recognized`,
      );
      assert.ok(f.lines === 0 || events > 0 || (f.parser as string) === "ss", `${host}/${f.file}: no events`);
    }
  }
});

test("simulate: labels follow the schema and name every attack of the scenario", () => {
  const labels = labelsOf(runA);
  const attacks = labels.filter((l): l is AttackLabel => "attack" in l);
  const ids = new Set(attacks.map((l) => l.attack));
  for (const s of SCENARIOS) {
    if (s === "none" || s === "mixed") continue;
    assert.ok(ids.has(`${s}-1`), `mixed has ${s}`);
  }
  const entityKeys = [
    "accounts",
    "source_ips",
    "source_networks",
    "hosts",
    "processes",
    "destination_ips",
    "destination_networks",
  ];
  for (const l of labels) {
    assert.ok(Date.parse(l.start) <= Date.parse(l.end), JSON.stringify(l).slice(0, 200));
    assert.ok(l.start >= manifest.start && l.end <= manifest.end, `${l.start}..${l.end} inside the run`);
    for (const k of entityKeys) assert.ok(Array.isArray((l.entities as unknown as Record<string, unknown>)[k]), k);
    if ("attack" in l) {
      assert.ok((STAGES as readonly string[]).includes(l.stage), l.stage);
      assert.equal(l.scenario, "mixed");
    } else {
      assert.ok(l.noise.length > 0 && l.resembles.length > 0);
    }
  }
  const noise = new Set(labels.flatMap((l) => ("noise" in l ? [l.noise] : [])));
  for (const n of [
    "typos-forgotten-passwords",
    "stale-password-client",
    "monitoring-probes",
    "nightly-backup",
    "mass-password-change",
    "newsletter-burst",
    "travel-abroad",
    "admin-ldap-export",
  ]) {
    assert.ok(noise.has(n), n);
  }
  for (const st of STAGES)
    assert.ok(
      attacks.some((a) => a.stage === st),
      `a ${st} stage`,
    );
});

test("simulate: attack entities appear in the logs; the killed agent's host goes silent", () => {
  const all = new Map<string, string>();
  for (const [host, h] of Object.entries(manifest.hosts)) {
    all.set(host, h.files.map((f) => readFileSync(join(runA, host, f.file), "utf8")).join("\n"));
  }
  const everything = [...all.values()].join("\n");
  for (const l of labelsOf(runA)) {
    if (!("attack" in l)) continue;
    const e = l.entities;
    for (const h of e.hosts) assert.ok(all.has(h), `${l.attack}: host ${h}`);
    if (l.scenario === "mixed" && l.attack === "agent-kill-1") {
      for (const f of manifest.hosts[e.hosts[0] ?? ""]?.files ?? []) {
        if (f.last !== undefined) assert.ok(f.last < l.start, `${f.file} ends ${f.last} before ${l.start}`);
      }
      continue;
    }
    const sample = <T>(xs: T[]): T[] => xs.filter((_, i) => i % Math.max(1, Math.floor(xs.length / 25)) === 0);
    // Accounts whose passwords were read in bulk are not named in the logs; accounts that log in are.
    const auth = l.evidence.some((x) => x === "dovecot" || x === "postfix" || x === "roundcube");
    for (const a of auth ? sample(e.accounts) : [])
      assert.ok(everything.includes(a), `${l.attack}/${l.stage}: account ${a}`);
    for (const ip of sample([...e.source_ips, ...e.destination_ips])) {
      assert.ok(everything.includes(ip), `${l.attack}/${l.stage}: address ${ip}`);
    }
    for (const p of e.processes) {
      const inHost = e.hosts.some((h) => (all.get(h) ?? "").includes(`"${p}"`));
      assert.ok(inHost, `${l.attack}/${l.stage}: process ${p} on ${e.hosts.join(",")}`);
    }
  }
});

test("simulate: scenario none has noise labels only", async () => {
  const d = tempDir();
  await simulate({ scenario: "none", seed: 5, out: d, hosts: 6, accounts: 100, days: 1, start: SMALL.start });
  const labels = labelsOf(d);
  assert.ok(labels.length > 0);
  assert.ok(labels.every((l) => "noise" in l));
});
