// Issue "Collectors I", the lab: real Dovecot (IMAP, POP3), real Postfix
// submission (SASL through Dovecot) and real sshd on loopback write their
// logs; real clients log in, fail, and try unknown users; the agent tails the
// files and ships to the real broker; exactly the expected events arrive.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { exited, startAgent, writeCollectorConfig } from "../support/agent.js";
import { collectEvents, ensurePipelineTopics, testKafka, testPrefix, waitFor } from "../support/kafka.js";
import { drive, LAB_USERS, labLogs, labUnavailable, startLab, stopLab } from "./lab.js";

// In CI the lab must run: a missing package is a failure, not a skip.
const skip = process.env.CI ? undefined : labUnavailable();
const dir = mkdtempSync(join(tmpdir(), "mw-lab-auth-"));
const host = `lab-${randomBytes(3).toString("hex")}`;
const kafka = testKafka("lab-auth");

before(async () => {
  if (skip) return;
  await ensurePipelineTopics(kafka, testPrefix(host));
  process.env.LAB_HOSTNAME = host;
  startLab(dir);
});
after(() => {
  if (!skip) stopLab(dir);
  rmSync(dir, { recursive: true, force: true });
});

type Row = [
  source: string,
  action: string,
  outcome: string,
  user: string,
  src_ip: string,
  proto: string,
  stage: string,
];

test("lab: real logins, failures and unknown users reach Kafka as exactly the expected events", { skip }, async () => {
  const logs = labLogs(dir);
  const config = writeCollectorConfig(dir, host, [
    { type: "file", path: logs.dovecot, parser: "dovecot", startAt: "beginning" },
    { type: "file", path: logs.postfix, parser: "postfix", startAt: "beginning" },
    { type: "file", path: logs.sshd, parser: "sshd", startAt: "beginning" },
  ]);
  const sink = await collectEvents(kafka, host);
  const agent = startAgent(config);
  try {
    assert.equal(drive(dir, "imap", "alice@example.test", LAB_USERS.alice), 0);
    assert.equal(drive(dir, "imap", "alice@example.test", "wrong-pass", "198.51.100.23"), 1);
    assert.equal(drive(dir, "imap", "mallory@example.test", "whatever", "192.0.2.44"), 1);
    assert.equal(drive(dir, "pop3", "bob@example.test", LAB_USERS.bob), 0);
    assert.equal(drive(dir, "pop3", "bob@example.test", "wrong-pass"), 1);
    assert.equal(drive(dir, "smtp", "carol@example.test", LAB_USERS.carol, "203.0.113.7"), 0);
    assert.equal(drive(dir, "smtp", "alice@example.test", "wrong-pass"), 1);
    assert.equal(drive(dir, "ssh-password", "mallory", "whatever"), 1);

    // Dovecot logs a failed attempt twice: the auth process says why (stage
    // auth, no protocol), the login process summarizes it (stage login, with
    // the attempt count detections add up). Postfix asks Dovecot's auth too.
    const A = "alice@example.test";
    const expected: Row[] = [
      ["dovecot", "login", "success", A, "127.0.0.1", "imap", "login"],
      ["dovecot", "auth_failure", "failure", A, "198.51.100.23", "", "auth"],
      ["dovecot", "auth_failure", "failure", A, "198.51.100.23", "imap", "login"],
      ["dovecot", "auth_failure", "failure", "mallory@example.test", "192.0.2.44", "", "auth"],
      ["dovecot", "auth_failure", "failure", "mallory@example.test", "192.0.2.44", "imap", "login"],
      ["dovecot", "login", "success", "bob@example.test", "127.0.0.1", "pop3", "login"],
      ["dovecot", "auth_failure", "failure", "bob@example.test", "127.0.0.1", "", "auth"],
      ["dovecot", "auth_failure", "failure", "bob@example.test", "127.0.0.1", "pop3", "login"],
      ["postfix", "login", "success", "carol@example.test", "203.0.113.7", "submission", "smtp"],
      ["dovecot", "auth_failure", "failure", A, "127.0.0.1", "", "auth"],
      ["postfix", "auth_failure", "failure", A, "127.0.0.1", "submission", "smtp"],
      ["sshd", "auth_failure", "failure", "mallory", "127.0.0.1", "ssh", "precheck"],
      ["sshd", "auth_failure", "failure", "", "127.0.0.1", "ssh", "pam"],
      ["sshd", "auth_failure", "failure", "mallory", "127.0.0.1", "ssh", "auth"],
      ["sshd", "auth_failure", "failure", "mallory", "127.0.0.1", "ssh", "disconnect"],
    ];
    const rows = () =>
      sink.received
        .filter((r) => r.event.kind === "auth")
        .map((r) => {
          const e = r.event;
          const stage = String(e.attrs?.stage ?? "");
          return [e.source, e.action, e.outcome, e.user ?? "", e.src_ip ?? "", e.proto ?? "", stage] as Row;
        });
    await waitFor(
      () => rows().length >= expected.length,
      30_000,
      () => `${rows().length}/${expected.length} events`,
    );
    // Give a wrong extra event the chance to show up before comparing.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(rows().sort(), expected.sort());
    const heartbeats = sink.received.filter((r) => r.event.kind === "agent");
    assert.ok(heartbeats.length >= 1, "the agent's heartbeat reached Kafka too");
  } finally {
    agent.kill("SIGTERM");
    await exited(agent);
    await sink.stop();
  }
});
