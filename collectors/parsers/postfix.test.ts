// Real Postfix smtpd lines (fail2ban's postfix-sasl corpus, Debian bug
// reports, a 2025 write-up of Postfix 3.x logs), every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { postfixParser } from "./postfix.js";
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
    "other postfix programs are not ours",
    "Jun 17 03:12:50 mx1 postfix/qmgr[300]: 5B6C7D8E9F: from=<a@example.com>, size=1200, nrcpt=1 (queue active)",
    null,
  ],
];

for (const [name, line, expected] of cases) {
  test(`postfix: ${name}`, () => {
    const got = parseWith(postfixParser, line);
    assert.deepEqual(got === null ? null : [...got], expected);
  });
}
