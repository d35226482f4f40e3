// Whole real log files (fixtures/, see its README) through the line pipeline
// with a fixed source: every line recognized, and the events a detection needs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { MailEvent } from "../../events/event.js";
import { createLineParser } from "../pipeline/line-parser.js";

// Tests run from dist/; the fixtures stay in the source tree.
const FIXTURES = new URL("../../../collectors/parsers/fixtures/", import.meta.url);
const now = () => new Date("2026-12-01T00:00:00.000Z");

function parseFile(
  source: string,
  file: string,
): { events: MailEvent[]; stats: ReturnType<ReturnType<typeof createLineParser>["stats"]> } {
  const p = createLineParser({ source, host: "db1", now });
  const lines = readFileSync(new URL(file, FIXTURES), "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
  const events = lines.flatMap((l, i) => p.parseLine(l, i));
  events.push(...p.flush());
  return { events, stats: p.stats() };
}

test("fixtures: MariaDB 10.11 server_audit — every line recognized, one db_select per credential read", () => {
  const { events, stats } = parseFile("mariadb-audit", "mariadb-10.11-audit.log");
  assert.equal(stats.recognized, stats.read);
  assert.deepEqual(
    events.map((e) => [e.user, e.object, e.outcome, e.attrs?.connection_id]),
    [
      ["postfix", "postfix.mailbox.password", "success", "6"],
      ["postfix", "postfix.mailbox.password", "success", "7"],
      ["postfix", "postfix.mailbox.password", "success", "8"],
      ["postfix", "postfix.mailbox.password", "success", "9"],
      ["postfix", "postfix.mailbox.password", "success", "10"],
      ["root", "postfix.mailbox.password", "success", "15"],
      ["postfix", "postfix.mailbox.password", "success", "16"],
    ],
  );
  for (const e of events) assert.equal(e.records, undefined);
  assert.ok(!JSON.stringify(events).includes("hash000002"));
  assert.ok(!JSON.stringify(events).includes("my secret pw"));
});

test("fixtures: MariaDB 10.11 slow log — every line recognized, row counts per statement", () => {
  const { events, stats } = parseFile("mariadb-audit", "mariadb-10.11-slow.log");
  assert.equal(stats.recognized, stats.read);
  assert.deepEqual(
    events.map((e) => [e.user, e.src_ip, e.object, e.records, e.attrs?.thread_id, e.ts]),
    [
      ["postfix", "127.0.0.1", "postfix.mailbox.password", 20000, "7", "2026-11-26T11:53:05.000Z"],
      ["postfix", "127.0.0.1", "postfix.mailbox.password", 20000, "8", "2026-11-26T11:53:05.000Z"],
      ["postfix", "127.0.0.1", "postfix.mailbox.password", 1, "9", "2026-11-26T11:53:05.000Z"],
      ["postfix", "127.0.0.1", "postfix.mailbox.password", 20000, "10", "2026-11-26T11:53:05.000Z"],
      ["root", undefined, "postfix.mailbox.password", 5000, "15", "2026-11-26T11:53:05.000Z"],
      ["postfix", "127.0.0.1", "postfix.mailbox.password", 9999, "16", "2026-11-26T11:53:05.000Z"],
    ],
  );
  assert.ok(!JSON.stringify(events).includes("hash000002"));
});

test("fixtures: slapd 2.5 stats via syslog — binds and the userPassword dumps as ldap_search events", () => {
  const { events } = parseFile("slapd", "slapd-2.5-stats.log");
  const searches = events.filter((e) => e.action === "ldap_search");
  assert.deepEqual(
    searches.map((e) => [e.src_ip, e.records, e.attrs?.password_attrs, e.object]),
    [
      ["127.0.0.1", 1, true, "ou=people,dc=example,dc=test?sub?(&(objectClass=inetOrgPerson)(uid=bob))"],
      ["203.0.113.7", 2507, true, "dc=example,dc=test?sub?(objectClass=*)"],
      ["127.0.0.1", 1000, true, "dc=example,dc=test?sub?(objectClass=*)"],
      ["127.0.0.1", 1000, true, "dc=example,dc=test?sub?(objectClass=*)"],
      ["127.0.0.1", 507, true, "dc=example,dc=test?sub?(objectClass=*)"],
    ],
  );
  for (const e of searches) assert.equal(e.user, "cn=mailservice,ou=services,dc=example,dc=test");
  assert.ok(events.some((e) => e.action === "bind" && e.outcome === "failure"));
});
