// The lab itself: real daemons start, real clients log in, the log lines the
// parsers rely on appear, and stop leaves nothing behind.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { drive, driveScenario, LAB_USERS, labLogs, labStatus, labUnavailable, startLab, stopLab } from "./lab.js";

// In CI the lab must run: a missing package is a failure, not a skip.
const skip = process.env.CI ? undefined : labUnavailable();
const dir = mkdtempSync(join(tmpdir(), "mw-lab-"));

after(() => {
  if (!skip) stopLab(dir);
  rmSync(dir, { recursive: true, force: true });
});

test("lab: real daemons log real logins, failures and bulk reads; stop leaves nothing running", { skip }, () => {
  startLab(dir, { users: 1000 });
  assert.equal(labStatus(dir).code, 0);

  const scenario = driveScenario(dir);
  assert.equal(scenario.code, 0, scenario.stdout);
  assert.equal(drive(dir, "imap", "bob@example.test", LAB_USERS.bob, "198.51.100.23"), 0);
  assert.equal(drive(dir, "imap", "bob@example.test", "nope"), 1);

  const logs = labLogs(dir);
  const read = (f: string) => readFileSync(f, "utf8");
  const dovecot = read(logs.dovecot);
  assert.match(dovecot, /^\w{3} [ \d]\d \d\d:\d\d:\d\d imap-login: Info: Login: user=<alice@example\.test>/m);
  assert.match(dovecot, /auth: Info: passwd-file\(alice@example\.test,127\.0\.0\.1,<[^>]+>\): Password mismatch/);
  assert.match(dovecot, /passwd-file\(mallory@example\.test,127\.0\.0\.1,<[^>]+>\): unknown user/);
  assert.match(dovecot, /imap-login: Info: Login: user=<bob@example\.test>, method=PLAIN, rip=198\.51\.100\.23,/);

  const postfix = read(logs.postfix);
  assert.match(
    postfix,
    /postfix\/submission\/smtpd\[\d+\]: \w+: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.test/,
  );
  assert.match(
    postfix,
    /warning: unknown\[127\.0\.0\.1\]: SASL PLAIN authentication failed: .*, sasl_username=alice@example\.test/,
  );
  assert.match(postfix, /client=unknown\[203\.0\.113\.7\], sasl_method=PLAIN, sasl_username=carol@example\.test/);

  const slapd = read(logs.slapd);
  assert.match(slapd, /conn=\d+ fd=\d+ ACCEPT from IP=203\.0\.113\.7:\d+ \(IP=127\.0\.0\.1:10390\)/);
  assert.match(slapd, /op=0 BIND dn="uid=alice,ou=people,dc=example,dc=test" method=128/);
  assert.match(slapd, /RESULT tag=97 err=49 /);
  assert.match(slapd, /SRCH attr=uid mail userPassword/);
  assert.match(slapd, /SEARCH RESULT tag=101 err=0 qtime=[\d.]+ etime=[\d.]+ nentries=1007 text=/);

  const slow = read(logs.mariadbSlow);
  assert.match(slow, /# Query_time: [\d.]+ +Lock_time: [\d.]+ +Rows_sent: 1003 +Rows_examined: 1003\n/);
  assert.match(slow, /# User@Host: postfix\[postfix\] @ +\[203\.0\.113\.7\]/);
  const audit = read(logs.mariadbAudit);
  assert.match(audit, /,postfix,203\.0\.113\.7,\d+,\d+,QUERY,postfix,'SELECT username, password FROM mailbox',0$/m);
  assert.match(audit, /,postfix,127\.0\.0\.1,\d+,0,FAILED_CONNECT,,,1045$/m);

  const sshd = read(logs.sshd);
  assert.match(sshd, /Failed password for invalid user alice from 127\.0\.0\.1 port \d+ ssh2/);
  assert.match(sshd, /Accepted publickey for mail from 127\.0\.0\.1 port \d+ ssh2/);

  stopLab(dir);
  assert.notEqual(labStatus(dir).code, 0);
  stopLab(dir); // idempotent
});
