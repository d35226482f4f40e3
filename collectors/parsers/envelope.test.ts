import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEnvelope, YearInference } from "./envelope.js";
import type { EnvelopeRecord } from "./types.js";

const NOW = () => new Date("2026-06-20T12:00:00.000Z");
const years = () => new YearInference({ now: NOW });
const env = (line: string) => parseEnvelope(line, years());
const rec = (
  ts: string,
  host: string | undefined,
  program: string,
  pid: number | undefined,
  message: string,
): EnvelopeRecord => ({
  ts: Date.parse(ts),
  host,
  program,
  pid,
  message,
});

test("envelope: RFC 3164 with pid", () => {
  assert.deepEqual(
    env("Jun 17 03:12:45 gw1 sshd[2716]: Accepted password for rda from 192.0.2.113 port 52100 ssh2"),
    rec("2026-06-17T03:12:45Z", "gw1", "sshd", 2716, "Accepted password for rda from 192.0.2.113 port 52100 ssh2"),
  );
});

test("envelope: RFC 3164 without pid, space-padded day, multi-part postfix tag, <PRI>", () => {
  assert.deepEqual(
    env("Jun  7 03:12:45 imap3 dovecot: imap-login: Login: user=<a>"),
    rec("2026-06-07T03:12:45Z", "imap3", "dovecot", undefined, "imap-login: Login: user=<a>"),
  );
  assert.deepEqual(
    env("<22>Sep  6 00:44:56 trianon postfix/submission/smtpd[11538]: warning: x"),
    rec("2025-09-06T00:44:56Z", "trianon", "postfix/submission/smtpd", 11538, "warning: x"),
  );
});

test("envelope: host-less RFC 3164 (tag first)", () => {
  assert.deepEqual(
    env("Nov 23 21:50:19 sshd[8148]: Disconnecting: Too many authentication failures for root [preauth]"),
    rec(
      "2025-11-23T21:50:19Z",
      undefined,
      "sshd",
      8148,
      "Disconnecting: Too many authentication failures for root [preauth]",
    ),
  );
});

test("envelope: Dovecot's own log file (no host, process prefix kept in the message)", () => {
  assert.deepEqual(
    env(
      "Jun 12 19:24:38 imap-login: Info: Login aborted: Connection closed (auth failed, 3 attempts in 15 secs) (auth_failed): user=<eft>",
    ),
    rec(
      "2026-06-12T19:24:38Z",
      undefined,
      "dovecot",
      undefined,
      "imap-login: Info: Login aborted: Connection closed (auth failed, 3 attempts in 15 secs) (auth_failed): user=<eft>",
    ),
  );
  assert.deepEqual(
    env("Jun 17 00:10:57 auth(info@example.com,1.2.3.4,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch"),
    rec(
      "2026-06-17T00:10:57Z",
      undefined,
      "dovecot",
      undefined,
      "auth(info@example.com,1.2.3.4,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch",
    ),
  );
  // a user name with a space inside the prefix must not be mistaken for a host
  assert.equal(env("Jun 17 00:10:57 auth(a b,1.2.3.4,sasl:login)<S>: Info: sql: unknown user")?.program, "dovecot");
  assert.deepEqual(
    env("2013-08-11 03:56:40 auth-worker(default): Info: pam(username,1.2.3.4): pam_authenticate() failed: x"),
    rec(
      "2013-08-11T03:56:40Z",
      undefined,
      "dovecot",
      undefined,
      "auth-worker(default): Info: pam(username,1.2.3.4): pam_authenticate() failed: x",
    ),
  );
});

test("envelope: rsyslog ISO-8601 high precision (Debian default), offsets and fractions", () => {
  assert.deepEqual(
    env("2026-06-17T03:12:45.123456+00:00 imap3 dovecot: imap-login: Login: user=<a>"),
    rec("2026-06-17T03:12:45.123Z", "imap3", "dovecot", undefined, "imap-login: Login: user=<a>"),
  );
  assert.deepEqual(
    env("2026-06-17T05:12:45.9+02:00 gw1 sshd-session[77]: x"),
    rec("2026-06-17T03:12:45.900Z", "gw1", "sshd-session", 77, "x"),
  );
  assert.deepEqual(env("2026-06-17T03:12:45Z gw1 sshd[1]: y"), rec("2026-06-17T03:12:45.000Z", "gw1", "sshd", 1, "y"));
});

test("envelope: RFC 5424 with structured data, BOM, nil fields", () => {
  assert.deepEqual(
    env(
      '<38>1 2026-06-17T03:12:45.123Z gw1 sshd 2716 - [meta sequenceId="1" note="a]b"][x@1 y="\\]"] \uFEFFAccepted password for rda',
    ),
    rec("2026-06-17T03:12:45.123Z", "gw1", "sshd", 2716, "Accepted password for rda"),
  );
  assert.deepEqual(
    env("<22>1 2026-06-17T05:12:45+02:00 - postfix/smtpd - - - warning: x"),
    rec("2026-06-17T03:12:45.000Z", undefined, "postfix/smtpd", undefined, "warning: x"),
  );
  assert.equal(env("<22>1 not-a-time host app - - - msg"), null);
});

test("envelope: journalctl -o json, string and byte-array MESSAGE", () => {
  const line = JSON.stringify({
    __REALTIME_TIMESTAMP: "1781665965123456",
    _HOSTNAME: "imap3",
    SYSLOG_IDENTIFIER: "dovecot",
    _PID: "812",
    MESSAGE: "imap-login: Login: user=<a>",
  });
  assert.deepEqual(env(line), {
    ts: 1781665965123,
    host: "imap3",
    program: "dovecot",
    pid: 812,
    message: "imap-login: Login: user=<a>",
  });
  const bytes = JSON.stringify({
    __REALTIME_TIMESTAMP: "1781665965000000",
    _COMM: "sshd",
    MESSAGE: [...Buffer.from("Invalid user \u00e9 from 192.0.2.1")],
  });
  assert.deepEqual(env(bytes), {
    ts: 1781665965000,
    host: undefined,
    program: "sshd",
    pid: undefined,
    message: "Invalid user \u00e9 from 192.0.2.1",
  });
  assert.equal(env('{"MESSAGE":"no time"}'), null);
  assert.equal(env("{not json"), null);
});

test("envelope: Roundcube's own log file, with and without a zone", () => {
  assert.deepEqual(
    env("[22-Jan-2013 22:28:21 +0200]: FAILED login for user1 from 192.0.43.10"),
    rec("2013-01-22T20:28:21Z", undefined, "roundcube", undefined, "FAILED login for user1 from 192.0.43.10"),
  );
  assert.deepEqual(
    env("[17-Jun-2026 03:12:45]: <abc> Failed login for a from 192.0.2.1 in session abc (error: 0)"),
    rec(
      "2026-06-17T03:12:45Z",
      undefined,
      "roundcube",
      undefined,
      "<abc> Failed login for a from 192.0.2.1 in session abc (error: 0)",
    ),
  );
});

test("envelope: slapd's own log file (hex seconds.nanoseconds)", () => {
  assert.deepEqual(env("65f2c40b.003c8fe8 0x7f5c077fe6c0 conn=1002 fd=12 closed"), {
    ts: 0x65f2c40b * 1000 + 3,
    host: undefined,
    program: "slapd",
    pid: undefined,
    message: "conn=1002 fd=12 closed",
  });
});

test("envelope: lines without a known envelope", () => {
  for (const line of [
    "",
    "hello world",
    "Foo 17 03:12:45 h p: m",
    "Jun 32 03:12:45 h p: m",
    "Jun 17 25:12:45 h p: m",
    "2026-13-01T00:00:00Z h p: m",
    "@400000004c91b044077a9e94 imap-login: x",
  ]) {
    assert.equal(env(line), null, line);
  }
  // a host and no tag: an envelope, but nothing to dispatch on
  assert.deepEqual(
    env("Jun 17 03:12:45 gw1 free text"),
    rec("2026-06-17T03:12:45Z", "gw1", "", undefined, "free text"),
  );
});

test("YearInference: explicit year, and a December→January step within a stream", () => {
  const y = new YearInference({ year: 2024, now: NOW });
  assert.equal(parseEnvelope("Dec 31 23:59:59 h p: a", y)?.ts, Date.parse("2024-12-31T23:59:59Z"));
  assert.equal(parseEnvelope("Jan  1 00:00:01 h p: b", y)?.ts, Date.parse("2025-01-01T00:00:01Z"));
  // a line out of order (back to Dec) keeps the year; only Dec → Jan advances it
  assert.equal(parseEnvelope("Dec 31 23:59:58 h p: c", y)?.ts, Date.parse("2025-12-31T23:59:58Z"));
});

test("YearInference: inferred from the clock; a date more than a day ahead is last year's", () => {
  const jan2 = () => new Date("2027-01-02T10:00:00Z");
  const y = new YearInference({ now: jan2 });
  assert.equal(parseEnvelope("Dec 30 23:00:00 h p: a", y)?.ts, Date.parse("2026-12-30T23:00:00Z"));
  assert.equal(parseEnvelope("Jan  2 09:00:00 h p: b", y)?.ts, Date.parse("2027-01-02T09:00:00Z"));
  const same = new YearInference({ now: jan2 });
  assert.equal(
    parseEnvelope("Jan  3 09:00:00 h p: c", same)?.ts,
    Date.parse("2027-01-03T09:00:00Z"),
    "within a day: this year",
  );
  const far = new YearInference({ now: jan2 });
  assert.equal(
    parseEnvelope("Jan  4 09:00:00 h p: d", far)?.ts,
    Date.parse("2026-01-04T09:00:00Z"),
    "days ahead: last year",
  );
});

test("YearInference: zone-less stamps in a configured offset", () => {
  const y = new YearInference({ year: 2026, now: NOW, utcOffsetMinutes: 120 });
  assert.equal(parseEnvelope("Jun 17 05:12:45 h p: a", y)?.ts, Date.parse("2026-06-17T03:12:45Z"));
  assert.equal(parseEnvelope("2026-06-17 05:12:45 auth: x", y)?.ts, Date.parse("2026-06-17T03:12:45Z"));
  // explicit zones are not shifted
  assert.equal(parseEnvelope("2026-06-17T05:12:45+02:00 h p: b", y)?.ts, Date.parse("2026-06-17T03:12:45Z"));
});
