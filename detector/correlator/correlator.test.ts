import assert from "node:assert/strict";
import { test } from "node:test";
import { type Finding, findingId, iso, type Stage, severityOf } from "../core/finding.js";
import { createNetworkInfo } from "../core/networks.js";
import { DAY, HOUR, TEST_ASNS } from "../detections/testing.js";
import { type CorrelatorConfigInput, createCorrelator, type Incident } from "./correlator.js";
import { formatBytes, formatCount } from "./summary.js";

const T0 = Date.UTC(2026, 4, 16, 3, 0, 0); // May 16: the breach begins
const ctx = { networks: createNetworkInfo({ asnTable: TEST_ASNS }) };
const WEB1_IP = "10.0.1.5";
const ATTACKER_IP = "203.0.113.7"; // AS64666

type Spec = Partial<Finding> & Pick<Finding, "detection" | "stage" | "entity_type" | "entity" | "score">;

function finding(at: number, spec: Spec): Finding {
  return {
    id: findingId(spec.detection, spec.entity, at),
    ts: iso(at),
    severity: severityOf(spec.score),
    observed: 1,
    expected: 0,
    window_start: iso(at),
    window_end: iso(at),
    evidence: [],
    summary: `${spec.detection} on ${spec.entity}`,
    ...spec,
  };
}

/** The story: webmail exploited, LDAP dumped from its address, data out, mass login from a new network. */
function story(opts: { exploitFrom?: string; takeoverAt?: number } = {}): Finding[] {
  return [
    finding(T0, {
      detection: "web.exploit",
      stage: "initial_access",
      entity_type: "host_process",
      entity: "web1/php-fpm",
      host: "web1",
      ...(opts.exploitFrom ? { src_ip: opts.exploitFrom } : {}),
      score: 55,
    }),
    finding(T0 + 2 * DAY, {
      detection: "cred.bulk_read",
      stage: "credential_access",
      entity_type: "principal",
      entity: "cn=roundcube,ou=services,dc=example,dc=net",
      host: "ldap1",
      src_ip: WEB1_IP,
      observed: 2_000_000,
      score: 85,
    }),
    finding(T0 + 3 * DAY, {
      detection: "egress.volume",
      stage: "exfiltration",
      entity_type: "host_process",
      entity: "web1/php-fpm",
      host: "web1",
      src_ip: WEB1_IP,
      observed: 812_000_000,
      score: 80,
      details: { dst_ip: "100.64.9.9" },
    }),
    finding(opts.takeoverAt ?? T0 + 10 * DAY, {
      detection: "auth.takeover",
      stage: "stolen_credential_use",
      entity_type: "src_net",
      entity: "203.0.113.0/24",
      src_ip: ATTACKER_IP,
      observed: 1204,
      score: 75,
    }),
  ];
}

function feed(cfg: CorrelatorConfigInput, findings: Finding[]) {
  const c = createCorrelator(cfg, ctx);
  const out: Incident[][] = findings.map((f) => c.onFinding(f));
  return { c, out };
}

test("the story across hosts ends in one critical incident with four stages", () => {
  const { c, out } = feed({}, story());
  assert.equal(c.size(), 1);
  const [inc] = c.incidents();
  assert.ok(inc);
  assert.deepEqual(inc.stages, ["initial_access", "credential_access", "exfiltration", "stolen_credential_use"]);
  assert.equal(inc.severity, "critical");
  assert.equal(inc.score, 100);
  assert.equal(inc.finding_count, 4);
  assert.deepEqual(inc.hosts, ["web1", "ldap1"]);
  assert.deepEqual(inc.src_ips, [WEB1_IP, ATTACKER_IP]);
  assert.deepEqual(inc.users, ["cn=roundcube,ou=services,dc=example,dc=net"]);
  assert.equal(inc.opened_at, iso(T0));
  assert.equal(inc.updated_at, iso(T0 + 10 * DAY));
  assert.equal(
    inc.summary,
    "web1 → ldap1 → AS64777 → AS64666: initial access (web.exploit), bulk read of 2.0M password entries, 812 MB out, 1,204 accounts logged in from a new network",
  );
  // Without the inventory the LDAP read opens its own incident; egress from
  // web1's address joins both, so they merge into the older one.
  assert.equal(out[1]?.[0]?.id !== inc.id, true);
  const merge = out[2];
  assert.equal(merge?.length, 2);
  assert.equal(merge?.[0]?.id, inc.id);
  assert.deepEqual(merge?.[0]?.merged_ids, [out[1]?.[0]?.id]);
  assert.equal(merge?.[1]?.merged_into, inc.id);
  assert.equal(merge?.[1]?.version, 2);
  // The takeover had no network in common: it joined by time + stage.
  assert.equal(out[3]?.[0]?.id, inc.id);
  assert.equal(inc.version, 3);
  for (const f of story()) assert.equal(c.incidentOf(f.id), inc.id);
});

test("the escalation follows the chain, one finding at a time", () => {
  const { out } = feed({ hostAddresses: { web1: [WEB1_IP] } }, story());
  const heads = out.map((o) => o[0]);
  // With the inventory the read from web1's address joins web1 at once: no merge.
  assert.ok(out.every((o) => o.length === 1));
  assert.equal(new Set(heads.map((h) => h?.id)).size, 1);
  assert.deepEqual(
    heads.map((h) => [h?.version, h?.stages.length, h?.score, h?.severity]),
    [
      [1, 1, 55, "medium"], // one finding keeps its own score and severity
      [2, 2, 95, "critical"], // 85 + 10, two stages
      [3, 3, 100, "critical"], // dump + exfiltration
      [4, 4, 100, "critical"],
    ],
  );
  assert.match(heads[1]?.summary ?? "", /^web1 → ldap1: initial access \(web\.exploit\), bulk read of 2\.0M/);
});

test("a passwd-file read is told as reads of a file, not as entries", () => {
  const c = createCorrelator({}, ctx);
  c.onFinding(
    finding(T0, {
      detection: "cred.bulk_read",
      stage: "credential_access",
      entity_type: "host_process",
      entity: "web1/php-fpm",
      host: "web1",
      observed: 1, // one open of /etc/dovecot/users: every entry at once
      score: 85,
      details: { store: "file" },
    }),
  );
  const [inc] = c.onFinding(story()[2] as Finding);
  assert.equal(inc?.summary, "web1 → AS64777: 1 read of a password file, 812 MB out");
});

test("two stages without a dump are at least high; a dump and its exit are critical whatever the scores", () => {
  const c = createCorrelator({}, ctx);
  c.onFinding(
    finding(T0, {
      detection: "auth.bruteforce",
      stage: "initial_access",
      entity_type: "user",
      entity: "bob@example.net",
      user: "bob@example.net",
      score: 30,
    }),
  );
  const [two] = c.onFinding(
    finding(T0 + HOUR, {
      detection: "auth.takeover",
      stage: "stolen_credential_use",
      entity_type: "user",
      entity: "bob@example.net",
      user: "bob@example.net",
      score: 35,
    }),
  );
  assert.equal(two?.score, 70);
  assert.equal(two?.severity, "high");

  const d = createCorrelator({}, ctx);
  d.onFinding(
    finding(T0, {
      detection: "cred.bulk_read",
      stage: "credential_access",
      entity_type: "host",
      entity: "db1",
      host: "db1",
      score: 45,
    }),
  );
  const [crit] = d.onFinding(
    finding(T0 + HOUR, {
      detection: "egress.volume",
      stage: "exfiltration",
      entity_type: "host",
      entity: "db1",
      host: "db1",
      score: 41,
    }),
  );
  assert.equal(crit?.score, 90);
  assert.equal(crit?.severity, "critical");
});

test("the attacker's network links the mass login when time + stage is off", () => {
  const { c } = feed({ credentialUseAfterDump: false }, story({ exploitFrom: ATTACKER_IP }));
  assert.equal(c.size(), 1);
  assert.equal(c.incidents()[0]?.stages.length, 4);
  assert.match(c.incidents()[0]?.summary ?? "", /^web1 → ldap1 → AS64666 → AS64777: /);

  // No network in common and the rule off: the takeover stays on its own.
  const { c: apart } = feed({ credentialUseAfterDump: false }, story());
  assert.equal(apart.size(), 2);
  const takeover = apart.incidents().find((i) => i.stages.includes("stolen_credential_use"));
  assert.deepEqual(takeover?.stages, ["stolen_credential_use"]);
  assert.equal(takeover?.severity, "high");
});

test("time + stage does not reach past the horizon after the dump", () => {
  const { c } = feed({}, story({ takeoverAt: T0 + 2 * DAY + 15 * DAY }));
  assert.equal(c.size(), 2);
});

test("unrelated findings on different hosts and accounts stay separate, each as its own severity", () => {
  const c = createCorrelator({}, ctx);
  const a = c.onFinding(
    finding(T0, {
      detection: "auth.bruteforce",
      stage: "initial_access",
      entity_type: "src_ip",
      entity: "198.51.100.20",
      src_ip: "198.51.100.20",
      user: "alice@example.net",
      host: "imap1",
      score: 25,
    }),
  );
  const b = c.onFinding(
    finding(T0 + HOUR, {
      detection: "auth.bruteforce",
      stage: "initial_access",
      entity_type: "src_ip",
      entity: "192.0.2.5",
      src_ip: "192.0.2.5",
      user: "bob@example.net",
      host: "imap2",
      score: 42,
    }),
  );
  const d = c.onFinding(
    finding(T0 + 2 * HOUR, {
      detection: "egress.rare_process",
      stage: "exfiltration",
      entity_type: "host_process",
      entity: "mx1/postfix",
      host: "mx1",
      src_ip: "10.0.2.1",
      score: 60,
    }),
  );
  assert.equal(c.size(), 3);
  assert.equal(new Set([a[0]?.id, b[0]?.id, d[0]?.id]).size, 3);
  assert.deepEqual(
    c.incidents().map((i) => [i.severity, i.score, i.finding_count]),
    [
      ["low", 25, 1],
      ["medium", 42, 1],
      ["medium", 60, 1],
    ],
  );
  assert.equal(a[0]?.summary, "auth.bruteforce on 198.51.100.20");
});

test("a re-fired finding updates its incident instead of opening another", () => {
  const c = createCorrelator({}, ctx);
  const first = finding(T0, {
    detection: "auth.stuffing",
    stage: "initial_access",
    entity_type: "src_ip",
    entity: ATTACKER_IP,
    src_ip: ATTACKER_IP,
    observed: 15,
    score: 60,
  });
  const [v1] = c.onFinding(first);
  const [v2] = c.onFinding({ ...first, ts: iso(T0 + 5 * 60_000), observed: 30, score: 72, severity: "high" });
  assert.equal(v2?.id, v1?.id);
  assert.equal(v2?.version, 2);
  assert.deepEqual(v2?.finding_ids, [first.id]);
  assert.equal(v2?.finding_count, 1);
  assert.equal(v2?.score, 72);
  assert.equal(v2?.severity, "high");
  assert.equal(v2?.updated_at, iso(T0 + 5 * 60_000));
  // At-least-once redelivery of what was already correlated changes nothing.
  assert.deepEqual(c.onFinding({ ...first, ts: iso(T0 + 5 * 60_000), observed: 30, score: 72 }), []);
  assert.equal(c.size(), 1);
});

test("a finding linking two incidents merges them into the older one", () => {
  const c = createCorrelator({}, ctx);
  const [alice] = c.onFinding(
    finding(T0, {
      detection: "auth.spray",
      stage: "initial_access",
      entity_type: "user",
      entity: "alice@example.net",
      user: "alice@example.net",
      score: 45,
    }),
  );
  const [web] = c.onFinding(
    finding(T0 + HOUR, {
      detection: "web.exploit",
      stage: "initial_access",
      entity_type: "host",
      entity: "web2",
      host: "web2",
      score: 50,
    }),
  );
  assert.notEqual(alice?.id, web?.id);
  const merged = c.onFinding(
    finding(T0 + 2 * HOUR, {
      detection: "auth.takeover",
      stage: "stolen_credential_use",
      entity_type: "user",
      entity: "alice@example.net",
      user: "alice@example.net",
      host: "web2",
      score: 70,
    }),
  );
  assert.equal(merged.length, 2);
  const [survivor, gone] = merged;
  assert.equal(survivor?.id, alice?.id, "the older id wins");
  assert.deepEqual(survivor?.merged_ids, [web?.id]);
  assert.equal(survivor?.finding_count, 3);
  assert.equal(survivor?.version, 2);
  assert.deepEqual(survivor?.hosts, ["web2"]);
  assert.equal(gone?.id, web?.id);
  assert.equal(gone?.merged_into, alice?.id);
  assert.equal(gone?.version, 2);
  assert.match(gone?.summary ?? "", /^Merged into incident /);
  assert.equal(c.size(), 1);
  // Later activity on either side goes to the survivor.
  const [next] = c.onFinding(
    finding(T0 + 3 * HOUR, {
      detection: "egress.volume",
      stage: "exfiltration",
      entity_type: "host",
      entity: "web2",
      host: "web2",
      observed: 5e8,
      score: 60,
    }),
  );
  assert.equal(next?.id, alice?.id);
  assert.equal(c.incidentOf(merged[0]?.finding_ids[1] ?? ""), alice?.id);
});

test("past the horizon a finding opens a new incident; evict forgets closed ones", () => {
  const c = createCorrelator({ horizonDays: 14 }, ctx);
  const spec = {
    detection: "egress.rare_process",
    stage: "exfiltration" as Stage,
    entity_type: "host" as const,
    entity: "mx1",
    host: "mx1",
    score: 50,
  };
  const [a] = c.onFinding(finding(T0, spec));
  const [b] = c.onFinding(finding(T0 + 13 * DAY, spec));
  assert.equal(b?.id, a?.id, "within 14 days of the last update");
  const [n] = c.onFinding(finding(T0 + 13 * DAY + 15 * DAY, spec));
  assert.notEqual(n?.id, a?.id);
  assert.equal(n?.version, 1);
  assert.equal(c.size(), 2);
  assert.equal(c.evict(T0 + 28 * DAY - c.horizonMs), 1);
  assert.equal(c.size(), 1);
  assert.equal(c.get(a?.id ?? ""), undefined);
  assert.equal(c.incidentOf(finding(T0, spec).id), undefined);
});

test("memory is capped: the stalest incident is closed first", () => {
  const c = createCorrelator({ maxIncidents: 2 }, ctx);
  for (const [i, h] of ["a1", "a2", "a3"].entries()) {
    c.onFinding(
      finding(T0 + i * HOUR, {
        detection: "web.exploit",
        stage: "initial_access",
        entity_type: "host",
        entity: h,
        host: h,
        score: 50,
      }),
    );
  }
  assert.equal(c.size(), 2);
  assert.deepEqual(
    c.incidents().map((i) => i.hosts[0]),
    ["a2", "a3"],
  );
});

test("neverLink keeps a shared address from chaining unrelated stories", () => {
  const spec = (host: string, at: number): Finding =>
    finding(at, {
      detection: "cred.bulk_read",
      stage: "credential_access",
      entity_type: "host",
      entity: host,
      host,
      src_ip: "10.0.0.10",
      score: 50,
    });
  const linked = createCorrelator({}, ctx);
  linked.onFinding(spec("ldap1", T0));
  linked.onFinding(spec("db1", T0 + HOUR));
  assert.equal(linked.size(), 1);
  const apart = createCorrelator({ neverLink: ["10.0.0.10"] }, ctx);
  apart.onFinding(spec("ldap1", T0));
  apart.onFinding(spec("db1", T0 + HOUR));
  assert.equal(apart.size(), 2);
});

test("determinism: the same findings in the same order give the same incidents, ids and versions", () => {
  const later = story({ exploitFrom: ATTACKER_IP }).map((f) => {
    const at = Date.parse(f.ts) + 40 * DAY;
    return { ...f, id: findingId(f.detection, f.entity, at), ts: iso(at) };
  });
  const input = [...story(), ...later];
  const a = feed({}, input).out;
  const b = feed({}, input).out;
  assert.deepEqual(a, b);
  const ids = new Set(a.flat().map((i) => i.id));
  assert.equal(ids.size, 4, "two per story: the LDAP read opens one that the egress merges away");
  assert.equal(a.flat().filter((i) => i.merged_into !== undefined).length, 2);
  assert.ok(a.flat().every((i) => /^[0-9a-f]{32}$/.test(i.id)));
});

test("snapshot/restore round trip continues exactly where it left off", () => {
  const input = story();
  const whole = feed({}, input);
  const half = feed({}, input.slice(0, 2));
  const saved = JSON.parse(JSON.stringify(half.c.snapshot()));
  const resumed = createCorrelator({}, ctx);
  resumed.restore(saved);
  assert.equal(resumed.size(), half.c.size());
  assert.deepEqual(resumed.incidents(), half.c.incidents());
  const rest = input.slice(2).map((f) => resumed.onFinding(f));
  assert.deepEqual([...half.out, ...rest], whole.out);
  assert.deepEqual(resumed.snapshot(), whole.c.snapshot());
  assert.throws(() => resumed.restore({ v: 99 }), /unknown format/);
});

test("numbers read the way an analyst writes them", () => {
  assert.equal(formatCount(1204), "1,204");
  assert.equal(formatCount(2_000_000), "2.0M");
  assert.equal(formatCount(7), "7");
  assert.equal(formatBytes(812_000_000), "812 MB");
  assert.equal(formatBytes(1_500_000_000), "1.5 GB");
  assert.equal(formatBytes(512), "512 B");
});
