import assert from "node:assert/strict";
import { test } from "node:test";
import { eventId, eventSchema, RAW_MAX_BYTES } from "../../events/event.js";
import { UnknownSourceError } from "../parsers/registry.js";
import { ParserOptionError } from "../parsers/types.js";
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
      err.message ===
        'unknown source "exim" (known: auto, auditd, dovecot, mariadb-audit, postfix, roundcube, slapd, ss, sshd, zeek-conn)',
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

// --- native formats -----------------------------------------------------------------------

const AUDIT_READ = [
  'type=SYSCALL msg=audit(1781665965.123:4567): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd8a3c1f2e a2=0 a3=0 items=1 ppid=2210 pid=2245 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="cat" exe="/usr/bin/cat" subj=unconfined key="mw-cred"',
  'type=PATH msg=audit(1781665965.123:4567): item=0 name="/etc/shadow" inode=1234 dev=fd:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0',
  "type=PROCTITLE msg=audit(1781665965.123:4567): proctitle=636174002F6574632F736861646F77",
  "type=EOE msg=audit(1781665965.123:4567): ",
];
const ZEEK = [
  "#separator \\x09",
  "#path\tconn",
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state",
  "1781665966.500000\tCHhAvVGS1DHFjwGM9\t192.0.2.10\t45965\t203.0.113.50\t443\ttcp\tssl\t35.595192\t734003200\t14924\tSF",
];
const SLOW = [
  "# User@Host: postfix[postfix] @  [203.0.113.7]",
  "# Thread_id: 6  Schema: postfix  QC_hit: No",
  "# Query_time: 0.001218  Lock_time: 0.000096  Rows_sent: 2503  Rows_examined: 2503",
  "SET timestamp=1795693384;",
  "SELECT username,",
  "  password FROM mailbox;",
];

test("line parser: auto recognizes native lines (auditd, Zeek TSV, MariaDB audit + slow log) among syslog lines", () => {
  const p = createLineParser({ source: "auto", host: "sensor1", now });
  const lines = [
    MIXED[0] as string,
    ...AUDIT_READ,
    MIXED[2] as string,
    ...ZEEK,
    "20261126 11:43:04,vm,postfix,203.0.113.7,6,5,QUERY,postfix,'SELECT username, password FROM mailbox',0",
    ...SLOW,
    MIXED[4] as string,
  ];
  const events = lines.flatMap((l, i) => p.parseLine(l, i));
  assert.deepEqual(
    events.map((e) => [e.source, e.kind, e.action, e.host, e.ts]),
    [
      ["dovecot", "auth", "login", "imap3", "2026-06-17T03:12:45.000Z"],
      ["auditd", "cred_access", "cred_read", "sensor1", "2026-06-17T03:12:45.123Z"],
      ["sshd", "auth", "auth_failure", "gw1", "2026-06-17T03:12:47.000Z"],
      ["zeek-conn", "net", "conn", "sensor1", "2026-06-17T03:12:46.500Z"],
      ["mariadb-audit", "cred_access", "db_select", "sensor1", "2026-11-26T11:43:04.000Z"],
      ["mariadb-audit", "cred_access", "db_select", "sensor1", "2026-11-26T11:43:04.000Z"],
    ],
  );
  const s = p.stats();
  assert.equal(s.read, lines.length);
  assert.equal(s.recognized, lines.length);
  assert.equal(s.events, 6);
  for (const e of events) assert.ok(eventSchema.safeParse(e).success);
  const slow = events[5];
  assert.equal(slow?.records, 2503);
  assert.equal(slow?.raw, `${SLOW.slice(0, 4).join("\n")}\nSELECT username,\n  password FROM mailbox;`);
  // The assembled auditd event: id from its first record's position and all its records.
  const audit = events[1];
  assert.equal(audit?.id, eventId("sensor1", "auditd", 1, AUDIT_READ.slice(0, 3).join("\n"), 0));
  assert.equal(audit?.object, "/etc/shadow");
  assert.deepEqual(audit?.process, { name: "cat", exe: "/usr/bin/cat", pid: 2245, uid: 0, auid: 1000 });
});

test("line parser: a fixed source with a native format also reads it through syslog; flush emits what is pending", () => {
  const p = createLineParser({ source: "auditd", now });
  const viaSyslog = AUDIT_READ.slice(0, 3).map((l) => `Jun 17 03:12:45 imap3 audisp-syslog: ${l}`);
  const out = [
    ...AUDIT_READ.slice(0, 3).flatMap((l, i) => p.parseLine(l, i)),
    ...viaSyslog.flatMap((l, i) => p.parseLine(l, 10 + i)),
  ];
  assert.deepEqual(out, []);
  // The same event, once from the file and once from syslog: one pending entry (same serial).
  const flushed = p.flush();
  assert.equal(flushed.length, 1);
  assert.equal(flushed[0]?.object, "/etc/shadow");
  assert.equal(flushed[0]?.ts, "2026-06-17T03:12:45.123Z");
  assert.deepEqual(p.flush(), []);
});

test("line parser: zeek-conn, mariadb-audit work as fixed sources; syslog lines are not theirs", () => {
  const z = createLineParser({ source: "zeek-conn", host: "sensor1", now });
  const ze = ZEEK.flatMap((l, i) => z.parseLine(l, i));
  assert.equal(ze.length, 1);
  assert.equal(ze[0]?.bytes_out, 734003200);
  assert.equal(z.parseLine(MIXED[0] as string, 9).length, 0);
  assert.equal(z.stats().recognized, 4);

  const m = createLineParser({ source: "mariadb-audit", now });
  const me = SLOW.flatMap((l, i) => m.parseLine(l, i));
  assert.equal(me[0]?.object, "postfix.mailbox.password");
  assert.equal(me[0]?.src_ip, "203.0.113.7");
});

test("line parser: parser options reach the parser; bad ones throw ParserOptionError", () => {
  assert.throws(() => createLineParser({ source: "auto", now, parserOptions: { nosuch: {} } }), ParserOptionError);
  assert.throws(
    () => createLineParser({ source: "auditd", now, parserOptions: { auditd: { keys: "mw-cred" } } }),
    ParserOptionError,
  );
  const p = createLineParser({
    source: "auditd",
    now,
    parserOptions: { auditd: { keys: { "mw-shadow": "shadow" }, paths: [] } },
  });
  const out = AUDIT_READ.map((l) => l.replace('key="mw-cred"', 'key="mw-shadow"')).flatMap((l, i) => p.parseLine(l, i));
  assert.equal(out[0]?.attrs?.store, "shadow");
});

test("line parser: assembled events are redacted field by field (a password in another line than the current one)", () => {
  const p = createLineParser({ source: "postfix", now });
  p.parseLine(
    "Jun 17 03:12:45 mx1 postfix/qmgr[300]: 3F1A2B3C4D: from=<password=hunter2@example.test>, size=1, nrcpt=1 (queue active)",
    0,
  );
  const [e] = p.parseLine(
    "Jun 17 03:12:46 mx1 postfix/smtp[12764]: 3F1A2B3C4D: to=<b@example.net>, relay=mx.example.net[198.51.100.9]:25, delay=0.5, delays=0.01/0/0.3/0.19, dsn=2.0.0, status=sent (250 ok)",
    1,
  );
  assert.ok(e);
  assert.equal(e.user, "password=<redacted>");
  assert.ok(!JSON.stringify(e).includes("hunter2"));
  assert.equal(e.source, "postfix");
  assert.equal(e.kind, "mail_out");
});
