import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, fileRead, HOUR, ldapSearch, MIN, range, run, runResumed, sqlSelect, T0 } from "../testing.js";
import { bulkReadDetection } from "./bulk-read.js";

const WEBMAIL = "cn=webmail,ou=services,dc=example,dc=net";
const WEBMAIL_IP = "10.0.1.5";
const DOVECOT_AUTH = { name: "auth", exe: "/usr/lib/dovecot/auth", uid: 110 };
const PHP_FPM = { name: "php-fpm8.2", exe: "/usr/sbin/php-fpm8.2", uid: 33 };

/** The webmail's per-login lookups: one entry each, `perHour` of them every hour. */
function perLoginLookups(from: number, hours: number, perHour: number, records = 1): MailEvent[] {
  const step = HOUR / perHour;
  return range(hours * perHour).map((i) => ldapSearch(from + i * step, WEBMAIL, WEBMAIL_IP, records));
}

const byTime = (events: MailEvent[]): MailEvent[] => events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));

test("positive: one LDAP search returns userPassword of 2,000,000 entries (fires on that event)", () => {
  const at = T0 + 2 * DAY + 17 * MIN;
  const dump = ldapSearch(at, WEBMAIL, "203.0.113.7", 2_000_000);
  const findings = run(bulkReadDetection, [...perLoginLookups(T0, 48, 60, 3), dump]);
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.ts, new Date(at).toISOString(), "TTD 0: the finding carries the event's time");
  assert.equal(f?.entity_type, "principal");
  assert.equal(f?.entity, WEBMAIL);
  assert.equal(f?.host, "ldap1");
  assert.equal(f?.src_ip, "203.0.113.7");
  assert.equal(f?.observed, 2_000_000);
  assert.equal(f?.severity, "critical");
  assert.deepEqual(f?.evidence, [dump.id]);
  assert.equal(
    f?.summary,
    "slapd on ldap1: cn=webmail,ou=services,dc=example,dc=net read userPassword of 2,000,000 entries from 203.0.113.7 (never seen reading passwords from 203.0.113.0/24)",
  );
  assert.match(String(f?.details?.signals), /bulk_op/);
  assert.match(String(f?.details?.signals), /first_seen/);
});

test("positive: the usual principal from its usual address dumps the store (usual entries/search in the summary)", () => {
  const at = T0 + 2 * DAY + 5 * MIN;
  const findings = run(bulkReadDetection, [
    ...perLoginLookups(T0, 48, 60, 3),
    ldapSearch(at, WEBMAIL, WEBMAIL_IP, 250_000),
  ]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.summary ?? "", /of 250,000 entries from 10\.0\.1\.5 \(usual 3 entries\/search\)/);
  assert.equal(findings[0]?.expected, 3);
});

test("positive: a paged dump is one finding whose score rises, not one per page", () => {
  const pages = range(200).map((i) => ldapSearch(T0 + i * 2_000, WEBMAIL, "203.0.113.7", 1000));
  const findings = run(bulkReadDetection, pages);
  assert.ok(findings.length >= 2 && findings.length <= 12, `${findings.length} emissions`);
  assert.equal(new Set(findings.map((f) => f.id)).size, 1);
  assert.equal(findings[0]?.ts, pages[0]?.ts, "fires on the first page");
  const last = findings.at(-1);
  assert.ok(last && last.observed >= 100_000 && last.score > (findings[0]?.score ?? 0));
  assert.equal(last?.evidence.length, 50);
});

test("positive: SQL select of the password column of the mailbox table from an outside address", () => {
  const at = T0 + HOUR;
  const findings = run(bulkReadDetection, [
    ...range(50).map((i) => sqlSelect(T0 + i * MIN, "postfix", "127.0.0.1", 1)),
    sqlSelect(at, "postfix", "203.0.113.7", 2503),
  ]);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.ts, new Date(at).toISOString());
  assert.equal(
    findings[0]?.summary,
    "mariadb-audit on db1: postfix@203.0.113.7 selected 2,503 rows of postfix.mailbox.password (never seen reading passwords)",
  );
});

test("positive: server_audit attributes the statement at once, the slow log sizes it (one finding, rising)", () => {
  // Per-login lookups of the MTA: both logs during learning (server_audit unsized, the slow log never has them).
  const routine = range(48).map((i) => sqlSelect(T0 + i * HOUR, "postfix", "127.0.0.1", undefined));
  const at = T0 + 30 * HOUR + 5 * MIN;
  const audit = sqlSelect(at, "postfix", "203.0.113.7", undefined);
  const slow = sqlSelect(at + 2_000, "postfix", "203.0.113.7", 2503);
  const findings = run(bulkReadDetection, byTime([...routine, audit, slow]));
  assert.equal(findings.length, 2);
  assert.equal(findings[0]?.id, findings[1]?.id);
  assert.equal(findings[0]?.ts, audit.ts);
  assert.equal(
    findings[0]?.summary,
    "mariadb-audit on db1: postfix@203.0.113.7 selected postfix.mailbox.password (row count not logged) (never seen reading postfix.mailbox.password from 203.0.113.0/24)",
  );
  assert.equal(findings[1]?.observed, 2503);
  assert.ok((findings[1]?.score ?? 0) > (findings[0]?.score ?? 0));
  assert.match(
    findings[1]?.summary ?? "",
    /selected 2,503 rows of postfix\.mailbox\.password \(\+1 statement whose row count is not logged\)/,
  );
});

test("positive: a password search cut off before its result, by a reader never seen", () => {
  const events = [
    ...perLoginLookups(T0, 26, 10, 2),
    ldapSearch(T0 + 26 * HOUR, "cn=admin,dc=example,dc=net", "203.0.113.7", undefined),
  ];
  const findings = run(bulkReadDetection, events);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.summary ?? "",
    /cn=admin,dc=example,dc=net read userPassword \(no result logged\) from 203\.0\.113\.7/,
  );
});

test("positive: php-fpm (www-data) reads the passwd-file it never read, after the learning period", () => {
  const routine = range(72).map((i) => fileRead(T0 + i * HOUR, "/etc/dovecot/users", DOVECOT_AUTH));
  const at = T0 + 50 * HOUR + 30_000;
  const attack = fileRead(at, "/etc/dovecot/users", PHP_FPM);
  const findings = run(bulkReadDetection, byTime([...routine, attack]));
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.ts, new Date(at).toISOString());
  assert.equal(f?.entity_type, "host_process");
  assert.equal(f?.entity, "imap1/php-fpm8.2");
  assert.equal(f?.severity, "high");
  assert.equal(
    f?.summary,
    "auditd on imap1: php-fpm8.2 (/usr/sbin/php-fpm8.2, uid 33) read /etc/dovecot/users (never seen reading /etc/dovecot/users before)",
  );
});

test("positive: a denied read of /etc/shadow by www-data still fires, as an attempt", () => {
  const events = [
    fileRead(T0, "/etc/shadow", { name: "sshd", exe: "/usr/sbin/sshd", uid: 0 }),
    fileRead(T0 + 30 * HOUR, "/etc/shadow", PHP_FPM, { outcome: "failure" }),
  ];
  const findings = run(bulkReadDetection, events);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.summary ?? "", /tried to read \/etc\/shadow/);
});

test("positive: a principal far above its own hourly baseline (enumeration by single lookups)", () => {
  const normal = perLoginLookups(T0, 48, 60);
  const burst = range(3000).map((i) => ldapSearch(T0 + 48 * HOUR + i * 1000, WEBMAIL, WEBMAIL_IP, 1));
  const findings = run(bulkReadDetection, [...normal, ...burst]);
  assert.ok(findings.length >= 1);
  const [f] = findings;
  assert.match(String(f?.details?.signals), /^volume$/);
  // 1,000 records is the floor (10 × the median of 60 is lower): the 1,000th lookup of the hour fires.
  assert.equal(f?.ts, burst[999]?.ts);
  assert.match(f?.summary ?? "", /1,000 entries this hour vs usual 60\/h/);
});

test("positive: a new principal reading in 50-entry chunks crosses the cold hourly limit", () => {
  const chunks = range(30).map((i) =>
    ldapSearch(T0 + i * MIN, "uid=helpdesk,ou=staff,dc=example,dc=net", "10.0.2.9", 50),
  );
  const findings = run(bulkReadDetection, chunks);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.ts, chunks[19]?.ts, "the 20th chunk reaches 1,000 records");
  assert.match(String(findings[0]?.details?.signals), /volume_cold/);
});

test("negative: thousands of single-entry per-login lookups per hour from day one never fire", () => {
  assert.deepEqual(run(bulkReadDetection, perLoginLookups(T0, 30, 3000)), []);
});

test("negative: a mass password-change day (5× the usual single lookups, every user reading its own entry)", () => {
  const normal = perLoginLookups(T0, 48, 60);
  const resetDay = perLoginLookups(T0 + 48 * HOUR, 24, 300);
  const selfReads = range(2000).map((i) =>
    ldapSearch(T0 + 48 * HOUR + i * 40_000, `uid=user${i},ou=people,dc=example,dc=net`, "10.0.1.6", 1),
  );
  assert.deepEqual(run(bulkReadDetection, byTime([...normal, ...resetDay, ...selfReads])), []);
});

test("negative: a large search without password attributes (address book) is not a credential read", () => {
  const events = [ldapSearch(T0 + 30 * HOUR, WEBMAIL, "203.0.113.7", 500_000, { passwordAttrs: false })];
  assert.deepEqual(run(bulkReadDetection, events), []);
});

test("negative: the learning period learns the host's routine readers of the passwd-file", () => {
  const events = [
    fileRead(T0, "/etc/dovecot/users", DOVECOT_AUTH),
    fileRead(T0 + HOUR, "/etc/shadow", { name: "unix_chkpwd", exe: "/usr/sbin/unix_chkpwd", uid: 0 }),
    fileRead(T0 + 30 * HOUR, "/etc/dovecot/users", DOVECOT_AUTH),
    fileRead(T0 + 31 * HOUR, "/etc/shadow", { name: "unix_chkpwd", exe: "/usr/sbin/unix_chkpwd", uid: 0 }),
  ];
  assert.deepEqual(run(bulkReadDetection, events), []);
});

test("benign look-alike: an admin's bulk export from an allow-listed host does not fire", () => {
  const events = [ldapSearch(T0 + 30 * HOUR, "cn=admin,dc=example,dc=net", "10.9.0.20", 2_500_000)];
  assert.equal(run(bulkReadDetection, events).length, 1, "fires when not allow-listed");
  assert.deepEqual(run(bulkReadDetection, events, { allowedPrincipals: [{ src_cidr: "10.9.0.0/24" }] }), []);
  assert.deepEqual(
    run(bulkReadDetection, events, {
      allowedPrincipals: [{ principal: "CN=admin,dc=example,dc=net", src_cidr: "10.9.0.20", host: "ldap1" }],
    }),
    [],
  );
  // Every field of an entry must match: the same DN from elsewhere still fires.
  assert.equal(
    run(bulkReadDetection, events, {
      allowedPrincipals: [{ principal: "cn=admin,dc=example,dc=net", src_cidr: "10.8.0.0/16" }],
    }).length,
    1,
  );
});

test("benign look-alike: an allow-listed backup tool reading shadow for the first time", () => {
  const events = [
    fileRead(T0, "/etc/shadow", { name: "sshd", exe: "/usr/sbin/sshd", uid: 0 }),
    fileRead(T0 + 40 * HOUR, "/etc/shadow", { name: "borg", exe: "/usr/bin/borg", uid: 0 }),
  ];
  assert.equal(run(bulkReadDetection, events).length, 1);
  assert.deepEqual(run(bulkReadDetection, events, { allowedPrincipals: [{ principal: "/usr/bin/borg" }] }), []);
});

test("two dumps hours apart are two episodes with two ids", () => {
  const events = [
    ldapSearch(T0, WEBMAIL, "203.0.113.7", 5000),
    ldapSearch(T0 + 3 * HOUR, WEBMAIL, "203.0.113.7", 5000),
  ];
  const findings = run(bulkReadDetection, events);
  assert.equal(findings.length, 2);
  assert.notEqual(findings[0]?.id, findings[1]?.id);
});

test("the same input gives the same findings, and a restore mid-stream changes nothing", () => {
  const events = byTime([
    ...perLoginLookups(T0, 36, 30, 2),
    ...range(40).map((i) => fileRead(T0 + i * HOUR, "/etc/dovecot/users", DOVECOT_AUTH)),
    fileRead(T0 + 26 * HOUR, "/etc/dovecot/users", PHP_FPM),
    ...range(30).map((i) => ldapSearch(T0 + 30 * HOUR + i * 10_000, WEBMAIL, "203.0.113.7", 800)),
    ...range(1500).map((i) => ldapSearch(T0 + 34 * HOUR + i * 1000, WEBMAIL, WEBMAIL_IP, 1)),
  ]);
  const whole = run(bulkReadDetection, events);
  assert.ok(whole.length >= 3, `${whole.length} findings`);
  assert.deepEqual(run(bulkReadDetection, events), whole);
  for (const split of [1, 500, 1100, events.length - 700]) {
    assert.deepEqual(runResumed(bulkReadDetection, events, split), whole, `split at ${split}`);
  }
});

test("config: an allow-list entry needs a field, and addresses must parse", () => {
  const parse = (a: object) => bulkReadDetection.config.safeParse({ allowedPrincipals: [a] }).success;
  assert.equal(parse({}), false);
  assert.equal(parse({ src_cidr: "10.0.0.0/33" }), false);
  assert.equal(parse({ src_cidr: "10.9.0.0/24" }), true);
  assert.equal(parse({ src_cidr: "2001:db8::5" }), true);
  assert.equal(parse({ principal: "cn=backup,ou=services,dc=example,dc=net", extra: 1 }), false);
});

test("state is bounded: principals beyond the cap are dropped oldest first", () => {
  const events = range(300).map((i) =>
    ldapSearch(T0 + i * 1000, `uid=u${i},ou=people,dc=example,dc=net`, "10.0.1.6", 1),
  );
  const d = bulkReadDetection;
  const inst = d.create(d.config.parse({ maxPrincipals: 100 }), {
    networks: { network: (ip) => ip, asn: () => undefined, origin: (ip) => ip, isInternal: () => true },
  });
  for (const e of events) inst.onEvent(e, Date.parse(e.ts));
  assert.equal(inst.size(), 100);
  inst.evict(T0 + DAY);
  assert.equal(inst.size(), 0);
});
