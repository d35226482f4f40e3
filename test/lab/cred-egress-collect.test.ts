// Issue "Collectors II", the lab: real slapd and MariaDB with 20,000 users,
// a normal workload and an attacker's bulk reads of every password; a real
// 50 MB upload from a named process to an address configured as external.
// The agent tails the real logs, polls the real socket table (with the
// kernel's destroy notifications for the final bytes) and ships to the real
// broker; the events that arrive match what the clients independently saw.
// Recorded lines (not a live daemon) only for the end-of-input flush: a slapd
// search whose result never came, from test/lab/samples/slapd.log. Then
// `mailwarden parse` reads the same real logs.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { MailEvent } from "../../events/event.js";
import { CLI, exited, startAgent, writeCollectorConfig } from "../support/agent.js";
import { collectEvents, ensurePipelineTopics, testKafka, testPrefix, waitFor } from "../support/kafka.js";
import {
  bulkUser,
  drive,
  LAB_PORTS,
  LAB_SCRIPTS,
  LAB_USERS,
  labLogs,
  labUnavailable,
  startLab,
  stopLab,
} from "./lab.js";
import { slowListener, startUploader } from "./upload.js";

// In CI the lab must run: a missing package is a failure, not a skip.
const skip = process.env.CI ? undefined : labUnavailable();
const dir = mkdtempSync(join(tmpdir(), "mw-lab-cred-"));
const host = `lab-${randomBytes(3).toString("hex")}`;
const kafka = testKafka("lab-cred");
const run = promisify(execFile);
const BIG = { maxBuffer: 256 * 1024 * 1024 };

const USERS = 20_000;
const ATTACKER = "203.0.113.7";
const SUFFIX = "dc=example,dc=test";
const SVC_DN = `cn=mailservice,ou=services,${SUFFIX}`;
const UPLOAD_BYTES = 50 * 1024 * 1024;
const UPLOADER = "exfil-upload";
const EXTERNAL = "127.0.0.2";

before(async () => {
  if (skip) return;
  await ensurePipelineTopics(kafka, testPrefix(host));
  process.env.LAB_HOSTNAME = host;
  startLab(dir, { users: USERS, noSsh: true });
});
after(() => {
  if (!skip) stopLab(dir);
  rmSync(dir, { recursive: true, force: true });
});

/** A one-shot PROXY relay to `port` that makes the daemon log `ip` as the client; its port. */
async function relay(port: number, ip: string): Promise<number> {
  const child = spawn("perl", [join(LAB_SCRIPTS, "proxy-relay.pl"), String(port), ip], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const [chunk] = (await once(child.stdout, "data")) as [Buffer];
  return Number(chunk.toString().trim());
}

/** ldapsearch's entries (`dn:` lines) for a bind and a search. */
async function ldapEntries(port: number, bindDn: string, pw: string, ...search: string[]): Promise<number> {
  const url = `ldap://127.0.0.1:${port}`;
  const r = await run(
    "ldapsearch",
    ["-x", "-LLL", "-o", "ldif-wrap=no", "-H", url, "-D", bindDn, "-w", pw, ...search],
    BIG,
  );
  return r.stdout.split("\n").filter((l) => l.startsWith("dn: ")).length;
}

/** `mailwarden parse --source S FILE`: its events and its stderr summary; fails on a non-zero exit. */
async function parseFile(source: string, file: string): Promise<{ events: MailEvent[]; summary: string }> {
  const r = await run(process.execPath, [CLI, "parse", "--source", source, "--host", host, file], BIG);
  const events = r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MailEvent);
  return { events, summary: r.stderr.trim() };
}

const isSearch = (e: MailEvent) => e.action === "ldap_search";
const passwords = (e: MailEvent) => e.attrs?.password_attrs === true;
const NORMAL: Array<[uid: string, password: string]> = [
  ["alice", LAB_USERS.alice],
  ["bob", LAB_USERS.bob],
  [bulkUser(42).uid, bulkUser(42).password],
];
const personDn = (uid: string) => `uid=${uid},ou=people,${SUFFIX}`;

/** The real clients; what they saw, counted on their side. */
async function workload(listenerPort: number) {
  // Normal LDAP: users bind and read their own entry (no password attribute).
  for (const [uid, pw] of NORMAL) {
    const dn = personDn(uid);
    assert.equal(await ldapEntries(LAB_PORTS.ldap, dn, pw, "-b", dn, "-s", "base", "(objectClass=*)", "mail", "cn"), 1);
  }
  // The attacker: the service account's password, every entry's userPassword, from outside.
  const ldapPort = await relay(LAB_PORTS.ldapProxy, ATTACKER);
  const entries = await ldapEntries(
    ldapPort,
    SVC_DN,
    "Svc-Pass-9",
    "-b",
    SUFFIX,
    "(objectClass=*)",
    "uid",
    "mail",
    "userPassword",
  );
  assert.ok(entries > USERS, `ldapsearch returned ${entries} entries`);

  // Normal SQL: the per-login lookup; then the dump of the mailbox table.
  for (const user of ["alice@example.test", "bob@example.test", bulkUser(42).mail]) {
    assert.equal(drive(dir, "sql-lookup", user), 0);
  }
  const sqlPort = await relay(LAB_PORTS.mysql, ATTACKER);
  const client = ["--no-defaults", "--protocol=tcp", "-h", "127.0.0.1", "-P", String(sqlPort), "-D", "postfix"];
  const sql = ["-u", "postfix", "-pPfx-Pass-7", "-N", "-B", "-e", "SELECT username, password FROM mailbox"];
  const dump = await run("mariadb", [...client, ...sql], BIG);
  const rows = dump.stdout.split("\n").filter(Boolean).length;
  assert.ok(rows > USERS, `the dump returned ${rows} rows`);

  // Outbound mail: a Postfix delivery (qmgr + discard joined by queue id).
  assert.equal(drive(dir, "smtp", "carol@example.test", LAB_USERS.carol), 0);

  // The upload: connected first, so a sample attributes the socket before bytes move.
  const up = await startUploader(UPLOADER, EXTERNAL, listenerPort, UPLOAD_BYTES);
  await new Promise((r) => setTimeout(r, 2500));
  up.go();
  const [code] = await once(up.child, "exit");
  assert.equal(code, 0);
  return { entries, rows, uploaderPid: up.child.pid };
}

test("lab: bulk LDAP/SQL password reads and a 50 MB upload reach Kafka through the agent", { skip }, async (t) => {
  const started = Date.now();
  const logs = labLogs(dir);
  // The flush check: a search whose result is still pending when the agent stops.
  const pendingLog = join(dir, "logs", "slapd-pending.log");
  const sample = readFileSync(join(LAB_SCRIPTS, "samples", "slapd.log"), "utf8").split("\n");
  const pending = sample.filter((l) => l.includes(" conn=1004 ") && !l.includes(" RESULT "));
  writeFileSync(pendingLog, `${pending.map((l) => l.replace(" lab slapd[", ` ${host} slapd[`)).join("\n")}\n`);
  const columns = { "mariadb-audit": { columns: ["postfix.mailbox.password"] } };
  const config = writeCollectorConfig(dir, host, [
    { type: "file", path: logs.slapd, parser: "slapd", startAt: "beginning" },
    { type: "file", path: pendingLog, parser: "slapd", startAt: "beginning" },
    { type: "file", path: logs.mariadbAudit, parser: "mariadb-audit", startAt: "beginning", parserOptions: columns },
    { type: "file", path: logs.mariadbSlow, parser: "mariadb-audit", startAt: "beginning", parserOptions: columns },
    { type: "file", path: logs.postfix, parser: "postfix", startAt: "beginning" },
    // Only 127.0.0.1 is internal here: the lab's own traffic is not egress, 127.0.0.2 is.
    { type: "ss", intervalSeconds: 1, internalNetworks: ["127.0.0.1/32", "::1/128"] },
  ]);
  const sink = await collectEvents(kafka, host);
  const got = () => sink.received.map((r) => r.event);
  try {
    const agent = startAgent(config);
    const listener = await slowListener(EXTERNAL, 12 * 1024 * 1024); // ≈ 4 s for 50 MB
    try {
      const seen = await workload(listener.port);
      t.diagnostic(`clients saw ${seen.entries} LDAP entries, ${seen.rows} SQL rows`);
      const real = () => got().filter((e) => e.attrs?.result !== "none");
      const searches = () => real().filter(isSearch);
      const selects = () => real().filter((e) => e.action === "db_select");
      const deliveries = () => got().filter((e) => e.action === "delivery");
      const upload = () =>
        got().filter((e) => e.source === "ss" && e.dst_ip === EXTERNAL && e.dst_port === listener.port);
      const uploaded = () => upload().reduce((n, e) => n + (e.bytes_out ?? 0), 0);
      await waitFor(
        () =>
          searches().length >= 4 &&
          selects().length >= 5 &&
          deliveries().length >= 1 &&
          listener.received() === UPLOAD_BYTES &&
          uploaded() >= UPLOAD_BYTES * 0.95,
        60_000,
        () =>
          `searches ${searches().length}/4, db_select ${selects().length}/5, delivery ${deliveries().length}/1, ` +
          `upload ${uploaded()}/${UPLOAD_BYTES} (listener read ${listener.received()})`,
      );
      await new Promise((r) => setTimeout(r, 2500)); // later samples, close notifications, any wrong extra event

      // LDAP: exactly one bulk search with the password flag and the real entry count; small ones without.
      const bulk = searches().filter(passwords);
      assert.equal(bulk.length, 1, JSON.stringify(bulk));
      assert.equal(bulk[0]?.records, seen.entries);
      assert.equal(bulk[0]?.src_ip, ATTACKER);
      assert.equal(bulk[0]?.user, SVC_DN);
      assert.deepEqual(
        searches()
          .filter((e) => !passwords(e))
          .map((e) => [e.user, e.records])
          .sort(),
        NORMAL.map(([uid]) => [personDn(uid), 1]).sort(),
      );

      // SQL: the slow log's entry carries the row count; the lookups stay under its row limit.
      const counted = selects().filter((e) => e.attrs?.log === "slow");
      assert.equal(counted.length, 1, JSON.stringify(counted));
      assert.equal(counted[0]?.records, seen.rows);
      assert.equal(counted[0]?.object, "postfix.mailbox.password");
      assert.equal(counted[0]?.src_ip, ATTACKER);
      assert.equal(counted[0]?.user, "postfix");
      const audited = selects().filter((e) => e.attrs?.log === "server_audit");
      assert.equal(audited.length, 4, "three lookups and the dump, each once, without a row count");
      assert.ok(audited.every((e) => e.records === undefined && e.object === "postfix.mailbox.password"));

      assert.deepEqual(
        deliveries().map((e) => e.user),
        ["carol@example.test"],
      );

      // Egress: within 5% of 50 MB, every byte attributed to the uploader.
      const sent = uploaded();
      const closed = upload().filter((e) => e.attrs?.closed === true);
      t.diagnostic(
        `upload: ${sent} of ${UPLOAD_BYTES} bytes in ${upload().length} events, ` +
          `${closed.reduce((n, e) => n + (e.bytes_out ?? 0), 0)} of them from the destroy notification`,
      );
      assert.ok(Math.abs(sent - UPLOAD_BYTES) <= UPLOAD_BYTES * 0.05, `counted ${sent} of ${UPLOAD_BYTES} bytes`);
      for (const e of upload().filter((x) => (x.bytes_out ?? 0) > 0)) {
        assert.equal(e.process?.name, UPLOADER, JSON.stringify(e));
        assert.equal(e.process?.pid, seen.uploaderPid);
      }
    } finally {
      listener.close();
      agent.kill("SIGTERM");
      await exited(agent);
    }
    // Shutdown flushed the search that never got its result (recorded lines).
    const flushed = () => got().filter((e) => isSearch(e) && e.attrs?.result === "none");
    await waitFor(
      () => flushed().length > 0,
      15_000,
      () => "the pending search flushed at shutdown",
    );
    assert.equal(flushed().length, 1);
    assert.equal(flushed()[0]?.src_ip, ATTACKER);
    assert.equal(flushed()[0]?.attrs?.password_attrs, true);
  } finally {
    await sink.stop();
  }

  // `mailwarden parse` on the daemons' own logs: no invalid events, the same findings.
  const ldap = await parseFile("slapd", logs.slapd);
  const audit = await parseFile("mariadb-audit", logs.mariadbAudit);
  const slow = await parseFile("mariadb-audit", logs.mariadbSlow);
  const postfix = await parseFile("postfix", logs.postfix);
  for (const p of [ldap, audit, slow, postfix]) {
    t.diagnostic(p.summary);
    assert.doesNotMatch(p.summary, /invalid_event|too_long|no_envelope/);
  }
  const parsedBulk = ldap.events.filter((e) => isSearch(e) && passwords(e));
  assert.equal(parsedBulk.length, 1);
  assert.ok((parsedBulk[0]?.records ?? 0) > USERS);
  assert.equal(ldap.events.filter((e) => isSearch(e) && !passwords(e)).length, 3);
  assert.equal(audit.events.filter((e) => e.action === "db_select").length, 4);
  // Default columns here: the object's db is the session's.
  assert.deepEqual(
    slow.events.map((e) => [e.action, e.object, e.src_ip]),
    [["db_select", "postfix.mailbox.password", ATTACKER]],
  );
  assert.ok((slow.events[0]?.records ?? 0) > USERS);
  assert.ok(postfix.events.some((e) => e.action === "delivery" && e.user === "carol@example.test"));
  assert.ok(postfix.events.some((e) => e.action === "login" && e.user === "carol@example.test"));
  t.diagnostic(`test body ${((Date.now() - started) / 1000).toFixed(1)} s (lab start/stop not included)`);
});
