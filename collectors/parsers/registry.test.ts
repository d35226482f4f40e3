import assert from "node:assert/strict";
import { test } from "node:test";
import { NATIVE_BY_FIRST_CHAR, PARSER_IDS, parserById, parserIdForProgram, UnknownSourceError } from "./registry.js";

test("registry: every parser is registered under its own id", () => {
  assert.deepEqual(PARSER_IDS, [
    "auditd",
    "dovecot",
    "mariadb-audit",
    "postfix",
    "roundcube",
    "slapd",
    "ss",
    "sshd",
    "zeek-conn",
  ]);
  for (const id of PARSER_IDS) assert.equal(parserById(id).id, id);
});

test("registry: auto dispatch by syslog program", () => {
  const table: Array<[string, string | undefined]> = [
    ["dovecot", "dovecot"],
    ["dovecot-auth", "dovecot"],
    ["postfix/smtpd", "postfix"],
    ["postfix/submission/smtpd", "postfix"],
    ["postfix/smtps/smtpd", "postfix"],
    ["postfix-incoming/smtpd", "postfix"],
    ["postfix/qmgr", "postfix"],
    ["postfix/smtp", "postfix"],
    ["postfix-out/smtp", "postfix"],
    ["postfix/lmtp", "postfix"],
    ["postfix/relay", "postfix"],
    ["postfix/cleanup", undefined],
    ["postfix/master", undefined],
    ["audit", "auditd"],
    ["audisp-syslog", "auditd"],
    ["mysql-server_auditing", "mariadb-audit"],
    ["sshd", "sshd"],
    ["sshd-session", "sshd"],
    ["slapd", "slapd"],
    ["roundcube", "roundcube"],
    ["CRON", undefined],
    ["", undefined],
  ];
  for (const [program, id] of table) assert.equal(parserIdForProgram(program), id, program);
});

test("registry: unknown ids throw a one-line UnknownSourceError (no prototype keys)", () => {
  for (const bad of ["exim", "toString", "__proto__", "auto", "bad\nsource"]) {
    assert.throws(() => parserById(bad), UnknownSourceError);
  }
});

test("registry: native formats by first character (what auto asks before the syslog envelope)", () => {
  const ids = (c: string) => (NATIVE_BY_FIRST_CHAR[c.charCodeAt(0)] ?? []).map((p) => p.id);
  assert.deepEqual(ids("t"), ["auditd"]);
  assert.deepEqual(ids("{"), ["zeek-conn"]);
  assert.ok(ids("2").includes("mariadb-audit") && ids("2").includes("zeek-conn"));
  // RFC 3164 months never reach a native reader, except ss's socket states (it checks its own state first).
  for (const m of ["Jan", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Oct", "Nov", "Dec", "<"])
    assert.deepEqual(ids(m), [], m);
});
