// Real Postfix smtpd lines (fail2ban's postfix-sasl corpus, Debian bug
// reports, a 2025 write-up of Postfix 3.x logs), every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_QUEUED, postfixParser } from "./postfix.js";
import { parseWith } from "./testing.js";
import type { PartialEvent } from "./types.js";

const fail = (e: Omit<PartialEvent, "kind" | "action" | "outcome" | "reason">): PartialEvent => ({
  kind: "auth",
  action: "auth_failure",
  outcome: "failure",
  reason: "auth_failed",
  ...e,
});

const cases: Array<[name: string, line: string, expected: PartialEvent[] | null]> = [
  [
    "SASL CRAM-MD5 failure with client name (Debian #507990)",
    "Dec  2 22:24:22 hel postfix/smtpd[7676]: warning: 114-44-142-233.dynamic.hinet.net[114.44.142.233]: SASL CRAM-MD5 authentication failed: PDc3OTEwNTkyNTEyMzA2NDIuMTIyODI1MzA2MUBoZWw+",
    [
      fail({
        proto: "smtp",
        src_ip: "114.44.142.233",
        attrs: {
          stage: "smtp",
          attempts: 1,
          method: "CRAM-MD5",
          service: "smtp",
          detail: "PDc3OTEwNTkyNTEyMzA2NDIuMTIyODI1MzA2MUBoZWw+",
          client_name: "114-44-142-233.dynamic.hinet.net",
        },
      }),
    ],
  ],
  [
    "SASL LOGIN failure on submission (Debian tag postfix/submission/smtpd)",
    "Sep  6 00:44:56 trianon postfix/submission/smtpd[11538]: warning: unknown[82.221.106.233]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    [
      fail({
        proto: "submission",
        src_ip: "82.221.106.233",
        attrs: { stage: "smtp", attempts: 1, method: "LOGIN", service: "submission", detail: "UGFzc3dvcmQ6" },
      }),
    ],
  ],
  [
    "lower-case mechanism name, multi-instance tag",
    "Jan 29 08:11:45 mail postfix-incoming/smtpd[10752]: warning: unknown[1.1.1.1]: SASL login authentication failed: Password:",
    [
      fail({
        proto: "smtp",
        src_ip: "1.1.1.1",
        attrs: { stage: "smtp", attempts: 1, method: "LOGIN", service: "smtp", detail: "Password:" },
      }),
    ],
  ],
  [
    "Postfix 3.x failure with sasl_username",
    "Dec  2 13:08:41 mail postfix/smtpd[4516]: warning: unknown[95.145.141.246]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin@zeroxzed.ru",
    [
      fail({
        proto: "smtp",
        user: "admin@zeroxzed.ru",
        src_ip: "95.145.141.246",
        attrs: { stage: "smtp", attempts: 1, method: "LOGIN", service: "smtp", detail: "(reason unavailable)" },
      }),
    ],
  ],
  [
    "smtps service, IPv6 client with port logging",
    "2026-06-17T03:12:45.000001+02:00 mx1 postfix/smtps/smtpd[900]: warning: unknown[2001:db8::25]:40111: SASL PLAIN authentication failed: authentication failure",
    [
      fail({
        proto: "submission",
        src_ip: "2001:db8::25",
        src_port: 40111,
        attrs: { stage: "smtp", attempts: 1, method: "PLAIN", service: "smtps", detail: "authentication failure" },
      }),
    ],
  ],
  [
    "auth server outage is not an attempt",
    "Feb  3 08:29:28 mail postfix/smtpd[21022]: warning: unknown[1.1.1.1]: SASL LOGIN authentication failed: Connection lost to authentication server",
    [],
  ],
  [
    "SASL success (client=, sasl_method, sasl_username)",
    "Jun 17 03:12:45 mx1 postfix/submission/smtpd[8123]: 4Q9xYz1abcZ: client=mail.example.net[192.0.2.7]:51234, sasl_method=PLAIN, sasl_username=alice@example.com",
    [
      {
        kind: "auth",
        action: "login",
        outcome: "success",
        proto: "submission",
        user: "alice@example.com",
        src_ip: "192.0.2.7",
        src_port: 51234,
        attrs: {
          stage: "smtp",
          service: "submission",
          queue_id: "4Q9xYz1abcZ",
          method: "PLAIN",
          client_name: "mail.example.net",
        },
      },
    ],
  ],
  [
    "SASL success with sasl_sender",
    "Jun 17 03:12:46 mx1 postfix/smtpd[8124]: 3A1B2C3D4E: client=unknown[192.0.2.8], sasl_method=LOGIN, sasl_username=bob@example.com, sasl_sender=bob@example.com",
    [
      {
        kind: "auth",
        action: "login",
        outcome: "success",
        proto: "smtp",
        user: "bob@example.com",
        src_ip: "192.0.2.8",
        attrs: { stage: "smtp", service: "smtp", queue_id: "3A1B2C3D4E", method: "LOGIN" },
      },
    ],
  ],
  [
    "injection: the SASL user name carries a fake sasl_username and address",
    "Jun 17 03:12:47 mx1 postfix/smtpd[8125]: warning: unknown[192.0.2.9]: SASL PLAIN authentication failed: authentication failure, sasl_username=x, sasl_username=y unknown[6.6.6.6]",
    [
      fail({
        proto: "smtp",
        user: "x, sasl_username=y unknown[6.6.6.6]",
        src_ip: "192.0.2.9",
        attrs: { stage: "smtp", attempts: 1, method: "PLAIN", service: "smtp", detail: "authentication failure" },
      }),
    ],
  ],
  [
    "an unauthenticated client= line is not an auth event",
    "Jun 17 03:12:48 mx1 postfix/smtpd[8126]: 5B6C7D8E9F: client=unknown[192.0.2.10]",
    null,
  ],
  [
    "connect from is not an auth event",
    "Jun 17 03:12:49 mx1 postfix/smtpd[8127]: connect from unknown[192.0.2.11]",
    null,
  ],
  [
    "a qmgr line only feeds state",
    "Jun 17 03:12:50 mx1 postfix/qmgr[300]: 5B6C7D8E9F: from=<a@example.com>, size=1200, nrcpt=1 (queue active)",
    [],
  ],
  [
    "other postfix programs are not ours",
    "Jun 17 03:12:50 mx1 postfix/cleanup[301]: 5B6C7D8E9F: message-id=<x@y>",
    null,
  ],
];

for (const [name, line, expected] of cases) {
  test(`postfix: ${name}`, () => {
    const got = parseWith(postfixParser, line);
    assert.deepEqual(got === null ? null : [...got], expected);
  });
}

// --- outbound delivery: qmgr joined with the delivery agents --------------------------------
// The lab's Postfix 3.7.11 (test/lab/samples/postfix.log) for qmgr/discard; smtp, lmtp,
// local and bounce lines in the formats Postfix 3.x's smtp/lmtp/local agents write.

const QMGR =
  "Nov 26 11:43:03 lab postfix/qmgr[8328]: 8A2479902F0: from=<alice@example.test>, size=376, nrcpt=1 (queue active)";

function deliveries(lines: string[]) {
  const state = postfixParser.createState();
  return { state, out: lines.map((l, i) => parseWith(postfixParser, l, state, i)) };
}

test("postfix: a smtp delivery joined with its qmgr line → one mail_out event", () => {
  const line =
    "Nov 26 11:43:04 lab postfix/smtp[8507]: 8A2479902F0: to=<dave@remote.test>, relay=mx.remote.test[203.0.113.25]:25, delay=1.2, delays=0.02/0.01/0.51/0.66, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 7C5A01A0D5E)";
  const { state, out } = deliveries([QMGR, line, "Nov 26 11:43:04 lab postfix/qmgr[8328]: 8A2479902F0: removed"]);
  assert.deepEqual(out, [
    [],
    [
      {
        kind: "mail_out",
        action: "delivery",
        outcome: "success",
        user: "alice@example.test",
        object: "dave@remote.test",
        proto: "smtp",
        dst_ip: "203.0.113.25",
        dst_port: 25,
        records: 1,
        bytes_out: 376,
        attrs: {
          status: "sent",
          queue_id: "8A2479902F0",
          relay: "mx.remote.test[203.0.113.25]:25",
          dsn: "2.0.0",
          service: "smtp",
          delay: 1.2,
          detail: "250 2.0.0 Ok: queued as 7C5A01A0D5E",
          local: false,
        },
        from: { raw: `${QMGR}\n${line}` },
      },
    ],
    [],
  ]);
  assert.equal(state.queue.size, 0);
});

test("postfix: bounced, deferred (relay=none), conn_use, IPv6 relay, one event per recipient line", () => {
  const { out } = deliveries([
    "Jun 17 03:12:45 mx1 postfix/qmgr[300]: 3F1A2B3C4D: from=<carol@example.test>, size=52431, nrcpt=3 (queue active)",
    "Jun 17 03:12:46 mx1 postfix/smtp[12764]: 3F1A2B3C4D: to=<nobody@example.net>, relay=mx.example.net[198.51.100.9]:25, delay=0.5, delays=0.01/0/0.3/0.19, dsn=5.1.1, status=bounced (host mx.example.net[198.51.100.9] said: 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))",
    "Jun 17 03:13:16 mx1 postfix/smtp[12765]: 3F1A2B3C4D: to=<x@slow.example>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.example[203.0.113.77]:25: Connection timed out)",
    "Jun 17 03:12:47 mx1 postfix/smtp[12766]: 3F1A2B3C4D: to=<y@v6.example>, relay=mx.v6.example[2001:db8::25]:25, conn_use=2, delay=0.9, delays=0.01/0.3/0.2/0.39, dsn=2.0.0, status=sent (250 ok)",
  ]);
  const evs = out.flat();
  assert.deepEqual(
    evs.map((e) => [
      e?.object,
      e?.outcome,
      e?.dst_ip,
      e?.dst_port,
      e?.records,
      e?.bytes_out,
      e?.attrs?.dsn,
      e?.attrs?.local,
    ]),
    [
      ["nobody@example.net", "failure", "198.51.100.9", 25, 3, 52431, "5.1.1", false],
      ["x@slow.example", "unknown", undefined, undefined, 3, 52431, "4.4.1", false],
      ["y@v6.example", "success", "2001:db8::25", 25, 3, 52431, "2.0.0", false],
    ],
  );
});

test("postfix: local deliveries (lab discard, Dovecot LMTP socket, local, content filter on loopback) are attrs.local", () => {
  const { out } = deliveries([
    QMGR,
    "Nov 26 11:43:03 lab postfix/discard[8505]: 8A2479902F0: to=<dave@remote.test>, relay=none, delay=0.01, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (lab sink)",
    "Jun 17 03:12:46 mx1 postfix/lmtp[4711]: 8A2479902F0: to=<alice@example.test>, relay=imap1.example.test[private/dovecot-lmtp], delay=0.05, delays=0.01/0.01/0.01/0.02, dsn=2.0.0, status=sent (250 2.0.0 <alice@example.test> Jd2nCt3mMmUdKAAAu6Rzbw Saved)",
    "Jun 17 03:12:46 mx1 postfix/local[4712]: 8A2479902F0: to=<root@mx1.example.test>, orig_to=<root>, relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Jun 17 03:12:46 mx1 postfix/smtp[4713]: 8A2479902F0: to=<bob@example.net>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.3, delays=0.01/0/0/0.29, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4F7B21A0D60)",
  ]);
  const evs = out.flat();
  assert.deepEqual(
    evs.map((e) => [e?.attrs?.service, e?.attrs?.local, e?.proto, e?.dst_ip, e?.attrs?.orig_to]),
    [
      ["discard", true, undefined, undefined, undefined],
      ["lmtp", true, "lmtp", undefined, undefined],
      ["local", true, undefined, undefined, "root"],
      ["smtp", true, "smtp", "127.0.0.1", undefined],
    ],
  );
});

test("postfix: a delivery without its qmgr line, the null sender of a bounce, multi-instance tags", () => {
  const { out } = deliveries([
    "Jun 17 03:12:45 mx1 postfix-out/qmgr[300]: 9E8D7C6B5A: from=<>, size=2841, nrcpt=1 (queue active)",
    "Jun 17 03:12:46 mx1 postfix-out/smtp[12767]: 9E8D7C6B5A: to=<carol@example.net>, relay=mx.example.net[198.51.100.9]:25, delay=0.4, delays=0/0/0.2/0.2, dsn=2.0.0, status=sent (250 ok)",
    "Jun 17 03:12:46 mx1 postfix/relay[12768]: 1A2B3C4D5E: to=<d@partner.example>, relay=smtp.partner.example[192.0.2.200]:587, delay=0.4, delays=0/0/0.2/0.2, dsn=2.0.0, status=sent (250 ok)",
  ]);
  assert.equal(out[1]?.[0]?.user, undefined);
  assert.equal(out[1]?.[0]?.attrs?.null_sender, true);
  assert.equal(out[1]?.[0]?.bytes_out, 2841);
  const lone = out[2]?.[0];
  assert.equal(lone?.user, undefined);
  assert.equal(lone?.records, undefined);
  assert.equal(lone?.from, undefined);
  assert.equal(lone?.dst_port, 587);
});

test("postfix: hostile sender, quoted recipient with fake fields, and a remote reply with fake fields", () => {
  const { out } = deliveries([
    "Jun 17 03:12:45 mx1 postfix/qmgr[300]: 7A7A7A7A7A: from=<x>, size=1, nrcpt=1 (queue active)>, size=999999, nrcpt=9 (queue active)",
    'Jun 17 03:12:46 mx1 postfix/smtp[12769]: 7A7A7A7A7A: to=<"x>, relay=evil[6.6.6.6]:25, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (ok"@example.net>, relay=mx.example.net[198.51.100.9]:25, delay=0.4, delays=0/0/0.2/0.2, dsn=4.7.1, status=deferred (451 x, relay=evil2[7.7.7.7]:25, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (ok))',
  ]);
  const e = out[1]?.[0];
  assert.equal(e?.user, "x>, size=1, nrcpt=1 (queue active)");
  assert.equal(e?.bytes_out, 999999);
  assert.equal(e?.records, 9);
  assert.equal(
    e?.object,
    '"x>, relay=evil[6.6.6.6]:25, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (ok"@example.net',
  );
  assert.equal(e?.dst_ip, "198.51.100.9");
  assert.equal(e?.outcome, "unknown");
  assert.equal(e?.attrs?.status, "deferred");
});

test("postfix: queue ids are capped at MAX_QUEUED (oldest dropped)", () => {
  const state = postfixParser.createState();
  for (let i = 0; i < MAX_QUEUED + 3; i++) {
    parseWith(
      postfixParser,
      `Jun 17 03:12:45 mx1 postfix/qmgr[300]: Q${String(i).padStart(9, "0")}: from=<a@b>, size=1, nrcpt=1 (queue active)`,
      state,
    );
  }
  assert.equal(state.queue.size, MAX_QUEUED);
  assert.equal(state.queue.has("Q000000000"), false);
});
