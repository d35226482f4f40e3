import assert from "node:assert/strict";
import { test } from "node:test";
import { PARSER_IDS, parserById, parserIdForProgram, UnknownSourceError } from "./registry.js";

test("registry: every parser is registered under its own id", () => {
  assert.deepEqual(PARSER_IDS, ["dovecot", "postfix", "roundcube", "slapd", "sshd"]);
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
    ["postfix/qmgr", undefined],
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
