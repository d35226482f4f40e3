import assert from "node:assert/strict";
import { test } from "node:test";
import { eventId, eventSchema, RAW_MAX_BYTES } from "../../events/event.js";
import { UnknownSourceError } from "../parsers/registry.js";
import { createLineParser, MAX_LINE_CHARS, UNKNOWN_HOST } from "./line-parser.js";

const now = () => new Date("2026-06-20T00:00:00.000Z");

const MIXED = [
  "Jun 17 03:12:45 imap3 dovecot: imap-login: Login: user=<alice@example.com>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, mpid=4242, TLS, session=<CvN+E95Uf4e7eEnj>",
  "2026-06-17T03:12:46.500000+00:00 mx1 postfix/submission/smtpd[11538]: warning: unknown[192.0.2.33]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
  "Jun 17 03:12:47 gw1 sshd[2716]: Failed password for invalid user admin from 192.0.2.44 port 50273 ssh2",
  "Jun 17 03:12:48 web1 roundcube: <tna9s140> Failed login for bob@example.com from 192.0.2.45 in session tna9s140vj7mbv54 (error: 0)",
  "Jun 17 03:12:49 ldap1 slapd[900]: conn=5 fd=12 ACCEPT from IP=192.0.2.46:40000 (IP=0.0.0.0:389)",
  'Jun 17 03:12:49 ldap1 slapd[900]: conn=5 op=0 BIND dn="uid=carol,ou=people,dc=example,dc=com" method=128',
  "Jun 17 03:12:49 ldap1 slapd[900]: conn=5 op=0 RESULT tag=97 err=49 text=",
  "Jun 17 03:12:50 gw1 CRON[3]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
  "Jun 17 03:12:51 mx1 postfix/smtpd[12]: connect from unknown[192.0.2.47]",
  "not a log line",
];

test("line parser: auto dispatch by program, one event per auth line, stats by reason", () => {
  const p = createLineParser({ source: "auto", now });
  const events = MIXED.flatMap((line, i) => p.parseLine(line, i));
  assert.deepEqual(
    events.map((e) => [e.source, e.action, e.outcome, e.src_ip]),
    [
      ["dovecot", "login", "success", "192.0.2.7"],
      ["postfix", "auth_failure", "failure", "192.0.2.33"],
      ["sshd", "auth_failure", "failure", "192.0.2.44"],
      ["roundcube", "auth_failure", "failure", "192.0.2.45"],
      ["slapd", "bind", "failure", "192.0.2.46"],
    ],
  );
  assert.deepEqual(p.stats(), {
    read: 10,
    recognized: 7,
    events: 5,
    skipped: { no_envelope: 1, unknown_program: 1, unrecognized_message: 1, too_long: 0, invalid_event: 0 },
  });
  for (const e of events) assert.ok(eventSchema.safeParse(e).success);
});

test("line parser: a complete event, with deterministic id, ms-precision UTC ts, envelope host", () => {
  const line = MIXED[1] as string;
  const [e] = createLineParser({ source: "auto", host: "ignored-when-envelope-has-one", now }).parseLine(line, 4711);
  assert.deepEqual(e, {
    id: eventId("mx1", "postfix", 4711, line, 0),
    ts: "2026-06-17T03:12:46.500Z",
    host: "mx1",
    source: "postfix",
    kind: "auth",
    action: "auth_failure",
    outcome: "failure",
    src_ip: "192.0.2.33",
    proto: "submission",
    reason: "auth_failed",
    attrs: { stage: "smtp", attempts: 1, method: "LOGIN", service: "submission", detail: "UGFzc3dvcmQ6" },
    raw: line,
  });
  // the same line at the same position always gets the same id; another position another id
  const again = createLineParser({ source: "auto", now }).parseLine(line, 4711)[0];
  const elsewhere = createLineParser({ source: "auto", now }).parseLine(line, 4712)[0];
  assert.equal(again?.id, e?.id);
  assert.notEqual(elsewhere?.id, e?.id);
});

test("line parser: host from the option when the envelope has none, else 'unknown'", () => {
  const line =
    "Jun 23 00:11:05 imap-login: Info: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<info@example.com>, method=PLAIN, rip=192.0.2.4, lip=198.51.100.5, TLS, session=<CvN+E95Uf4e7eEnj>";
  assert.equal(
    createLineParser({ source: "dovecot", host: "imap7", year: 2026, now }).parseLine(line, 0)[0]?.host,
    "imap7",
  );
  assert.equal(createLineParser({ source: "dovecot", year: 2026, now }).parseLine(line, 0)[0]?.host, UNKNOWN_HOST);
});

test("line parser: a fixed source only parses its own lines", () => {
  const p = createLineParser({ source: "sshd", now });
  assert.equal(p.parseLine(MIXED[0] as string, 0).length, 0);
  assert.equal(p.parseLine(MIXED[2] as string, 1).length, 1);
  assert.equal(p.stats().skipped.unrecognized_message, 1);
});

test("line parser: unknown source is a typed error with a one-line message", () => {
  assert.throws(
    () => createLineParser({ source: "exim", now }),
    (err: unknown) =>
      err instanceof UnknownSourceError &&
      err.exitCode === 2 &&
      !err.message.includes("\n") &&
      err.message === 'unknown source "exim" (known: auto, dovecot, postfix, roundcube, slapd, sshd)',
  );
});

test("line parser: secrets are redacted in raw and in every field, and ids hash the redacted line", () => {
  const line =
    "Jun 23 00:10:57 mail1 dovecot: auth(info@example.com,192.0.2.4,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: XxxxXXxx123)";
  const p = createLineParser({ source: "auto", now });
  const [e] = p.parseLine(line, 9);
  assert.ok(e);
  assert.equal(
    e.raw,
    "Jun 23 00:10:57 mail1 dovecot: auth(info@example.com,192.0.2.4,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: <redacted>)",
  );
  assert.equal(e.id, eventId("mail1", "dovecot", 9, e.raw ?? "", 0));
  assert.ok(!JSON.stringify(e).includes("XxxxXXxx123"));
  assert.equal(e.reason, "bad_password");
  assert.equal(e.src_ip, "192.0.2.4");

  // a password typed into the user field
  const [u] = p.parseLine(
    "Jun 17 03:12:45 imap3 dovecot: imap-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<bob password=hunter2>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, session=<abc>",
    10,
  );
  assert.equal(u?.user, "bob password=<redacted>");
  assert.ok(!JSON.stringify(u).includes("hunter2"));
});

test("line parser: an event that fails the schema is counted, never thrown", () => {
  const p = createLineParser({ source: "auto", now });
  const longUser = "x".repeat(600); // user is capped at 512 by the schema
  const out = p.parseLine(
    `Jun 17 03:12:45 imap3 dovecot: imap-login: Login: user=<${longUser}>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, session=<abc>`,
    0,
  );
  assert.deepEqual(out, []);
  assert.equal(p.stats().skipped.invalid_event, 1);
  assert.equal(p.stats().recognized, 1);
});

test("line parser: over-long lines are skipped; long valid lines get a capped raw", () => {
  const p = createLineParser({ source: "auto", now });
  assert.deepEqual(p.parseLine(`Jun 17 03:12:45 gw1 sshd[1]: ${"A".repeat(MAX_LINE_CHARS)}`, 0), []);
  assert.equal(p.stats().skipped.too_long, 1);
  const tls = `, TLS: ${"e".repeat(3000)}`;
  const [e] = p.parseLine(
    `Jun 17 03:12:45 imap3 dovecot: imap-login: Login: user=<a>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1${tls}, session=<abc>`,
    1,
  );
  assert.ok(e?.raw !== undefined && Buffer.byteLength(e.raw) <= RAW_MAX_BYTES + 3 && e.raw.endsWith("…"));
});

test("line parser: CRLF line endings and RFC 3164 year rollover within a stream", () => {
  const p = createLineParser({ source: "auto", year: 2025, now });
  const a = p.parseLine("Dec 31 23:59:59 gw1 sshd[1]: Invalid user a from 192.0.2.1 port 1\r", 0);
  const b = p.parseLine("Jan  1 00:00:00 gw1 sshd[1]: Invalid user b from 192.0.2.1 port 2\r", 1);
  assert.equal(a[0]?.ts, "2025-12-31T23:59:59.000Z");
  assert.equal(b[0]?.ts, "2026-01-01T00:00:00.000Z");
  assert.equal(a[0]?.raw, "Dec 31 23:59:59 gw1 sshd[1]: Invalid user a from 192.0.2.1 port 1");
});

test("line parser: hostile input does not move the source address end to end", () => {
  const p = createLineParser({ source: "auto", now });
  const lines = [
    "Jun 17 03:12:45 imap3 dovecot: imap-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<x rip=1.2.3.4>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, TLS, session=<q454Xu/vMwBZApgg>",
    "Jun 17 03:12:45 gw1 sshd[701]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.9  user=x rhost=6.6.6.6",
    "Nov 11 08:04:52 gw1 sshd[2737]: Failed password for invalid user test from 6.6.6.6 port 55555 ssh2 from 192.0.2.9 port 58946 ssh2",
  ];
  for (const [i, line] of lines.entries()) assert.equal(p.parseLine(line, i)[0]?.src_ip, "192.0.2.9", line);
});
