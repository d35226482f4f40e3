// Real OpenSSH lines (fail2ban's sshd test corpus, including its injection
// cases), every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sshdParser } from "./sshd.js";
import { parseWith } from "./testing.js";
import type { PartialEvent } from "./types.js";

const fail = (e: Omit<PartialEvent, "kind" | "action" | "outcome" | "proto">): PartialEvent => ({
  kind: "auth",
  action: "auth_failure",
  outcome: "failure",
  proto: "ssh",
  ...e,
});
const ok = (e: Omit<PartialEvent, "kind" | "action" | "outcome" | "proto">): PartialEvent => ({
  kind: "auth",
  action: "login",
  outcome: "success",
  proto: "ssh",
  ...e,
});

const cases: Array<[name: string, line: string, expected: PartialEvent[] | null]> = [
  [
    "Failed password for invalid user",
    "Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2",
    [
      fail({
        reason: "unknown_user",
        user: "ROOT",
        src_ip: "194.117.26.69",
        src_port: 50273,
        attrs: { stage: "auth", session: "31602", method: "password", attempts: 1 },
      }),
    ],
  ],
  [
    "Failed password, IPv6, no port (old format)",
    "Feb 25 14:34:11 belka sshd[31603]: Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1",
    [
      fail({
        reason: "unknown_user",
        user: "ROOT",
        src_ip: "aaaa:bbbb:cccc:1234::1:1",
        attrs: { stage: "auth", session: "31603", method: "password", attempts: 1 },
      }),
    ],
  ],
  [
    "Failed password for an existing account",
    "Sep 29 16:28:02 spaceman sshd[16699]: Failed password for dan from 127.0.0.1 port 45416 ssh1",
    [
      fail({
        reason: "bad_password",
        user: "dan",
        src_ip: "127.0.0.1",
        src_port: 45416,
        attrs: { stage: "auth", session: "16699", method: "password", attempts: 1 },
      }),
    ],
  ],
  [
    "Failed keyboard-interactive/pam (Solaris/OSX prefix variants)",
    "Apr 30 01:42:12 Jamess-iMac.local sshd[2554]: Failed keyboard-interactive/pam for invalid user jamedds from 205.186.180.77 port 33723 ssh2",
    [
      fail({
        reason: "unknown_user",
        user: "jamedds",
        src_ip: "205.186.180.77",
        src_port: 33723,
        attrs: { stage: "auth", session: "2554", method: "keyboard-interactive/pam", attempts: 1 },
      }),
    ],
  ],
  [
    "Solaris [ID ...] prefix, <invalid username>",
    "Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2",
    [
      fail({
        reason: "bad_password",
        src_ip: "205.186.180.55",
        src_port: 42742,
        attrs: { stage: "auth", session: "20878", method: "keyboard-interactive", attempts: 1 },
      }),
    ],
  ],
  [
    "Failed publickey for invalid user with key fingerprint",
    "Jul 05 18:22:44 mercury sshd[4669]: Failed publickey for invalid user graysky from 127.0.0.1 port 37954 ssh2: RSA SHA256:v3dpapGleDaUKf$4V1vKyR9ZyUgjaJAmoCTcb2PLljI",
    [
      fail({
        reason: "unknown_user",
        user: "graysky",
        src_ip: "127.0.0.1",
        src_port: 37954,
        attrs: { stage: "auth", session: "4669", method: "publickey", attempts: 1 },
      }),
    ],
  ],
  [
    "Failed publickey for an existing account",
    "Nov 28 09:16:03 srv sshd[32307]: Failed publickey for git from 192.0.2.1 port 57904 ssh2: ECDSA 0e:ff:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx",
    [
      fail({
        reason: "bad_key",
        user: "git",
        src_ip: "192.0.2.1",
        src_port: 57904,
        attrs: { stage: "auth", session: "32307", method: "publickey", attempts: 1 },
      }),
    ],
  ],
  [
    "Failed none (method probe): not an attempt",
    "Jun 17 03:12:45 gw1 sshd[811]: Failed none for invalid user admin from 192.0.2.44 port 40022 ssh2",
    [
      fail({
        reason: "unknown_user",
        user: "admin",
        src_ip: "192.0.2.44",
        src_port: 40022,
        attrs: { stage: "probe", session: "811", method: "none" },
      }),
    ],
  ],
  [
    "Accepted password",
    "Mar  7 18:53:20 bar sshd[1556]: Accepted password for rda from 192.0.2.113 port 52100 ssh2",
    [
      ok({
        user: "rda",
        src_ip: "192.0.2.113",
        src_port: 52100,
        attrs: { stage: "auth", session: "1556", method: "password" },
      }),
    ],
  ],
  [
    "Accepted publickey (DSA fingerprint)",
    "Nov 28 09:16:03 srv sshd[32307]: Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx:xx",
    [
      ok({
        user: "git",
        src_ip: "192.0.2.1",
        src_port: 57904,
        attrs: { stage: "auth", session: "32307", method: "publickey" },
      }),
    ],
  ],
  [
    "Accepted keyboard-interactive/pam from sshd-session (OpenSSH 9.8+), ISO envelope",
    "2026-06-17T03:12:45.123456+00:00 gw1 sshd-session[4711]: Accepted keyboard-interactive/pam for alice from 2001:db8::7 port 50100 ssh2",
    [
      ok({
        user: "alice",
        src_ip: "2001:db8::7",
        src_port: 50100,
        attrs: { stage: "auth", session: "4711", method: "keyboard-interactive/pam" },
      }),
    ],
  ],
  [
    "Invalid user with port",
    "Jul 20 14:42:12 localhost sshd[22708]: Invalid user ftp from 192.0.2.2 port 37220",
    [
      fail({
        reason: "unknown_user",
        user: "ftp",
        src_ip: "192.0.2.2",
        src_port: 37220,
        attrs: { stage: "precheck", session: "22708" },
      }),
    ],
  ],
  [
    "Invalid user with an empty name",
    "Jun  6 04:17:04 host sshd[1189074]: Invalid user  from 192.0.2.68 port 34916",
    [
      fail({
        reason: "unknown_user",
        src_ip: "192.0.2.68",
        src_port: 34916,
        attrs: { stage: "precheck", session: "1189074" },
      }),
    ],
  ],
  [
    "error: PAM: Authentication failure (host name source)",
    "May 29 20:56:52 imago sshd[28732]: error: PAM: Authentication failure for stefanor from example.com",
    [
      fail({
        reason: "pam_failure",
        user: "stefanor",
        attrs: { stage: "pam", session: "28732", src_host: "example.com" },
      }),
    ],
  ],
  [
    "error: PAM: ... via (OSX)",
    "Apr 29 13:53:38 Jamess-iMac.local sshd[47831]: error: PAM: Authentication failure for james from 205.186.180.99 via 192.168.1.201",
    [
      fail({
        reason: "pam_failure",
        user: "james",
        src_ip: "205.186.180.99",
        attrs: { stage: "pam", session: "47831" },
      }),
    ],
  ],
  [
    "pam_unix(sshd:auth) authentication failure (ISO envelope)",
    "2015-04-16T18:02:50.321974+00:00 host sshd[2716]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112  user=root",
    [fail({ reason: "pam_failure", user: "root", src_ip: "192.0.2.112", attrs: { stage: "pam", session: "2716" } })],
  ],
  [
    "maximum authentication attempts exceeded",
    "Nov 23 21:50:37 myhost sshd[21810]: error: maximum authentication attempts exceeded for root from 61.0.0.1 port 49940 ssh2 [preauth]",
    [
      fail({
        reason: "too_many_failures",
        user: "root",
        src_ip: "61.0.0.1",
        src_port: 49940,
        attrs: { stage: "summary", session: "21810" },
      }),
    ],
  ],
  [
    "Disconnecting: Too many authentication failures (old, no address)",
    "Feb 12 04:09:21 localhost sshd[26713]: Disconnecting: Too many authentication failures for root [preauth]",
    [fail({ reason: "too_many_failures", user: "root", attrs: { stage: "summary", session: "26713" } })],
  ],
  [
    "Disconnecting authenticating user ...: Too many authentication failures",
    "Jun 17 03:12:45 gw1 sshd[9312]: Disconnecting authenticating user root 192.0.2.60 port 5022: Too many authentication failures [preauth]",
    [
      fail({
        reason: "too_many_failures",
        user: "root",
        src_ip: "192.0.2.60",
        src_port: 5022,
        attrs: { stage: "summary", session: "9312" },
      }),
    ],
  ],
  [
    "Connection closed by authenticating user (preauth disconnect)",
    "Jul 17 23:03:05 srv sshd[1296]: Connection closed by authenticating user root 192.0.2.10 port 46038 [preauth]",
    [
      fail({
        reason: "preauth_disconnect",
        user: "root",
        src_ip: "192.0.2.10",
        src_port: 46038,
        attrs: { stage: "disconnect", session: "1296" },
      }),
    ],
  ],
  [
    "Connection closed by invalid user with empty name",
    "Jun  6 04:17:09 host sshd[1189074]: Connection closed by invalid user  192.0.2.68 port 34916 [preauth]",
    [
      fail({
        reason: "preauth_disconnect",
        src_ip: "192.0.2.68",
        src_port: 34916,
        attrs: { stage: "disconnect", session: "1189074", invalid_user: true },
      }),
    ],
  ],
  [
    "Disconnected from authenticating user",
    "Mar 19 16:47:50 srv sshd[5672]: Disconnected from authenticating user admin 192.0.2.6 port 33553 [preauth]",
    [
      fail({
        reason: "preauth_disconnect",
        user: "admin",
        src_ip: "192.0.2.6",
        src_port: 33553,
        attrs: { stage: "disconnect", session: "5672" },
      }),
    ],
  ],
  [
    "User not allowed because not listed in AllowUsers",
    "Feb 25 14:34:11 belka sshd[31607]: User root from example.com not allowed because not listed in AllowUsers",
    [
      fail({
        reason: "not_allowed",
        user: "root",
        attrs: { stage: "precheck", session: "31607", detail: "not listed in AllowUsers", src_host: "example.com" },
      }),
    ],
  ],
  // --- hostile input (fail2ban's injection cases and rhost= injection) ------------------------------------
  [
    "injection: 'from 10.10.1.1' as the user name",
    "Nov 11 08:04:51 redbamboo sshd[2737]: Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2",
    [
      fail({
        reason: "unknown_user",
        user: "from 10.10.1.1",
        src_ip: "127.0.0.1",
        src_port: 58946,
        attrs: { stage: "auth", session: "2737", method: "password", attempts: 1 },
      }),
    ],
  ],
  [
    "injection: 'test from 10.10.1.2 port 55555 ssh2' as the user name",
    "Nov 11 08:04:52 redbamboo sshd[2737]: Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2",
    [
      fail({
        reason: "unknown_user",
        user: "test from 10.10.1.2 port 55555 ssh2",
        src_ip: "127.0.0.1",
        src_port: 58946,
        attrs: { stage: "auth", session: "2737", method: "password", attempts: 1 },
      }),
    ],
  ],
  [
    "injection: text after 'ssh1:' on an existing account",
    "Sep 29 17:15:02 spaceman sshd[12946]: Failed password for user from 127.0.0.1 port 20000 ssh1: ruser from 1.2.3.4",
    [
      fail({
        reason: "bad_password",
        user: "user",
        src_ip: "127.0.0.1",
        src_port: 20000,
        attrs: { stage: "auth", session: "12946", method: "password", attempts: 1 },
      }),
    ],
  ],
  [
    "injection: user name with address and port before the real ones (preauth)",
    "Jul 17 23:04:01 srv sshd[1300]: Connection closed by authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]",
    [
      fail({
        reason: "preauth_disconnect",
        user: "test 127.0.0.1 port 12345",
        src_ip: "192.0.2.11",
        src_port: 46039,
        attrs: { stage: "disconnect", session: "1300" },
      }),
    ],
  ],
  [
    "injection: 'x from 6.6.6.6 port 1' in Invalid user",
    "Jun 17 03:12:45 gw1 sshd[700]: Invalid user x from 6.6.6.6 port 1 from 192.0.2.50 port 40000",
    [
      fail({
        reason: "unknown_user",
        user: "x from 6.6.6.6 port 1",
        src_ip: "192.0.2.50",
        src_port: 40000,
        attrs: { stage: "precheck", session: "700" },
      }),
    ],
  ],
  [
    "injection: rhost=6.6.6.6 in the user name of a pam_unix line",
    "Jun 17 03:12:45 gw1 sshd[701]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.51  user=x rhost=6.6.6.6",
    [
      fail({
        reason: "pam_failure",
        user: "x rhost=6.6.6.6",
        src_ip: "192.0.2.51",
        attrs: { stage: "pam", session: "701" },
      }),
    ],
  ],
  // --- not auth events ------------------------------------------------------------------------------------
  [
    "connection from (no auth yet)",
    "Feb 12 04:09:18 localhost sshd[26713]: Connection from 115.249.163.77 port 51353",
    null,
  ],
  [
    "session opened",
    "Mar  7 18:53:20 bar sshd[1556]: pam_unix(sshd:session): session opened for user rda by (uid=0)",
    null,
  ],
];

for (const [name, line, expected] of cases) {
  test(`sshd: ${name}`, () => {
    const got = parseWith(sshdParser, line);
    assert.deepEqual(got === null ? null : [...got], expected);
  });
}
