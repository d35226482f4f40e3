// Real Roundcube lines (fail2ban's roundcube-auth corpus, Roundcube issue
// reports), in both its own file format and via syslog; every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { roundcubeParser } from "./roundcube.js";
import { parseWith } from "./testing.js";
import type { PartialEvent } from "./types.js";

const fail = (e: Omit<PartialEvent, "kind" | "action" | "outcome" | "reason" | "proto">): PartialEvent => ({
  kind: "auth",
  action: "auth_failure",
  outcome: "failure",
  proto: "http",
  reason: "auth_failed",
  ...e,
});

const cases: Array<[name: string, line: string, expected: PartialEvent[] | null]> = [
  [
    "userlogins: Failed login (own file, roundcube#5310 era)",
    "[14-Aug-2015 17:10:42 +0300]: <gigtq175> Failed login for sdsssdsd from 192.0.2.77 in session gigtq175h7bi66676toau3m9n4 (error: 0)",
    [
      fail({
        user: "sdsssdsd",
        src_ip: "192.0.2.77",
        attrs: { session: "gigtq175h7bi66676toau3m9n4", stage: "login", attempts: 1, error_code: 0 },
      }),
    ],
  ],
  [
    "userlogins via syslog",
    "Mar 26 12:28:50 webservices roundcube: <tna9s140> Failed login for sdfsd@dss.pt from 213.228.163.13 in session tna9s140vj7mbv54 (error: 0)",
    [
      fail({
        user: "sdfsd@dss.pt",
        src_ip: "213.228.163.13",
        attrs: { session: "tna9s140vj7mbv54", stage: "login", attempts: 1, error_code: 0 },
      }),
    ],
  ],
  [
    "userlogins: Successful login",
    "[17-Jun-2026 03:12:45 +0000]: <0f1e2d3c> Successful login for alice@example.com (ID: 42) from 192.0.2.7 in session 0f1e2d3c4b5a6978",
    [
      {
        kind: "auth",
        action: "login",
        outcome: "success",
        proto: "http",
        user: "alice@example.com",
        src_ip: "192.0.2.7",
        attrs: { session: "0f1e2d3c4b5a6978", user_id: 42, stage: "login" },
      },
    ],
  ],
  [
    "userlogins: Successful login behind a proxy (X-Forwarded-For)",
    "[17-Jun-2026 03:12:45 +0000]: <0f1e2d3c> Successful login for alice@example.com (ID: 42) from 10.0.0.5(X-Forwarded-For: 203.0.113.9) in session 0f1e2d3c4b5a6978",
    [
      {
        kind: "auth",
        action: "login",
        outcome: "success",
        proto: "http",
        user: "alice@example.com",
        src_ip: "10.0.0.5",
        attrs: { session: "0f1e2d3c4b5a6978", user_id: 42, stage: "login", forwarded: "X-Forwarded-For: 203.0.113.9" },
      },
    ],
  ],
  [
    "errors: FAILED login (Roundcube < 1.1)",
    "[22-Jan-2013 22:28:21 +0200]: FAILED login for user1 from 192.0.43.10",
    [fail({ user: "user1", src_ip: "192.0.43.10", attrs: { stage: "login", attempts: 1 } })],
  ],
  [
    "errors: IMAP Error with X-Forwarded-For (roundcube#5310)",
    "[08-Jun-2016 20:42:12 +0000]: <sci8gsd3> IMAP Error: Login failed for support@site.ru from 192.0.2.10(X-Forwarded-For: 192.0.2.10). AUTHENTICATE PLAIN: Authentication failed. in /usr/share/roundcubemail/program/lib/Roundcube/rcube_imap.php on line 193 (GET /webmail/)",
    [
      fail({
        user: "support@site.ru",
        src_ip: "192.0.2.10",
        attrs: { session: "sci8gsd3", stage: "imap", forwarded: "X-Forwarded-For: 192.0.2.10" },
      }),
    ],
  ],
  [
    "errors: IMAP Error with 'against <host>' (Roundcube 1.4+, roundcube#7429)",
    "[10-Jun-2020 01:20:57 +0200]: <s073mu0l> IMAP Error: Login failed for user@domain.com against domain.com from 192.0.2.41(X-Forwarded-For: 192.0.2.41). Authentication failed. in /var/www/mail/program/lib/Roundcube/rcube_imap.php on line 200 (POST /?_task=login&_action=login)",
    [
      fail({
        user: "user@domain.com",
        src_ip: "192.0.2.41",
        attrs: {
          session: "s073mu0l",
          stage: "imap",
          imap_host: "domain.com",
          forwarded: "X-Forwarded-For: 192.0.2.41",
        },
      }),
    ],
  ],
  [
    "errors via syslog, old format with AUTHENTICATE response (fail2ban corpus)",
    "Jul 11 03:06:37 myhostname roundcube: IMAP Error: Login failed for admin from 1.2.3.4. AUTHENTICATE PLAIN: A0002 NO Login failed. in /usr/share/roundcube/program/include/rcube_imap.php on line 205 (POST /wmail/?_task=login&_action=login)",
    [fail({ user: "admin", src_ip: "1.2.3.4", attrs: { stage: "imap" } })],
  ],
  // --- hostile input ----------------------------------------------------------------------------------
  [
    "injection: user name 'admin from 127.0.0.1' (fail2ban DoS case)",
    "Jul 11 03:06:37 myhostname roundcube: IMAP Error: Login failed for admin from 127.0.0.1 from 1.2.3.4",
    [fail({ attrs: { stage: "imap", src_ambiguous: true } })],
  ],
  [
    "injection: a user name with ' from 6.6.6.6' cannot move a userlogins address",
    "[17-Jun-2026 03:12:45 +0000]: <abc> Failed login for x from 6.6.6.6 from 192.0.2.9 in session abcdef (error: 0)",
    [
      fail({
        user: "x from 6.6.6.6",
        src_ip: "192.0.2.9",
        attrs: { session: "abcdef", stage: "login", attempts: 1, error_code: 0 },
      }),
    ],
  ],
  [
    "injection: a forged X-Forwarded-For that repeats the pattern makes the line ambiguous",
    "[17-Jun-2026 03:12:45 +0000]: <abc> Failed login for bob from 192.0.2.9(X-Forwarded-For: a from 6.6.6.6(X-Forwarded-For: b) in session abcdef (error: 0)",
    [fail({ attrs: { session: "abcdef", stage: "login", attempts: 1, error_code: 0, src_ambiguous: true } })],
  ],
  [
    "other Roundcube errors are not auth events",
    "Nov 24 09:08:48 webservices roundcube: <q5mifcs4> PHP Error: Invalid response code received from server (POST /webmail/?_task=mail&_action=send)",
    null,
  ],
];

for (const [name, line, expected] of cases) {
  test(`roundcube: ${name}`, () => {
    const got = parseWith(roundcubeParser, line);
    assert.deepEqual(got === null ? null : [...got], expected);
  });
}
