// Real Dovecot lines (fail2ban's and CrowdSec's test corpora, the Dovecot 2.4
// format report in fail2ban#4196, users' bug reports), with the account and
// site names some of them were published with. Every field is asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dovecotParser } from "./dovecot.js";
import { parseWith } from "./testing.js";
import type { PartialEvent } from "./types.js";

const fail = (e: Omit<PartialEvent, "kind" | "action" | "outcome">): PartialEvent => ({
  kind: "auth",
  action: "auth_failure",
  outcome: "failure",
  ...e,
});

const cases: Array<[name: string, line: string, expected: PartialEvent[] | null]> = [
  // --- login processes: success -------------------------------------------------------------
  [
    "2.3 Login (default login_log_format_elements)",
    "Jun 17 03:12:45 imap3 dovecot: imap-login: Login: user=<alice@example.com>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, mpid=4242, TLS, session=<CvN+E95Uf4e7eEnj>",
    [
      {
        kind: "auth",
        action: "login",
        outcome: "success",
        proto: "imap",
        user: "alice@example.com",
        src_ip: "192.0.2.7",
        dst_ip: "198.51.100.1",
        attrs: { stage: "login", tls: true, session: "CvN+E95Uf4e7eEnj", method: "PLAIN", mpid: 4242 },
      },
    ],
  ],
  [
    "2.4 file log Login, secured (local), IPv6, ports",
    "Jun 17 03:12:45 submission-login: Info: Login: user=<bob>, method=LOGIN, rip=::1, lip=::1, rport=50022, lport=587, mpid=12347, secured, session=<gh1+/i>",
    [
      {
        kind: "auth",
        action: "login",
        outcome: "success",
        proto: "submission",
        user: "bob",
        src_ip: "::1",
        src_port: 50022,
        dst_ip: "::1",
        dst_port: 587,
        attrs: { stage: "login", tls: false, secured: true, session: "gh1+/i", method: "LOGIN", mpid: 12347 },
      },
    ],
  ],
  // --- login processes: failure summaries (the counted events) ----------------------------------
  [
    "2.3 Aborted login (auth failed, N attempts in S secs)",
    "Jul 02 13:49:31 hostname dovecot[442]: pop3-login: Aborted login (auth failed, 1 attempts in 17 secs): user=<test>, method=PLAIN, rip=192.51.100.13, lip=203.0.113.17, session=<YADINsQCDs5BH8Pg>",
    [
      fail({
        proto: "pop3",
        reason: "auth_failed",
        user: "test",
        src_ip: "192.51.100.13",
        dst_ip: "203.0.113.17",
        attrs: { stage: "login", tls: false, session: "YADINsQCDs5BH8Pg", method: "PLAIN", attempts: 1 },
      }),
    ],
  ],
  [
    "2.2 Disconnected (auth failed, 2 attempts), no session",
    "Jun 13 16:30:54 platypus dovecot: imap-login: Disconnected (auth failed, 2 attempts): user=<username.bob>, method=PLAIN, rip=49.176.98.87, lip=113.212.99.194, TLS",
    [
      fail({
        proto: "imap",
        reason: "auth_failed",
        user: "username.bob",
        src_ip: "49.176.98.87",
        dst_ip: "113.212.99.194",
        attrs: { stage: "login", tls: true, method: "PLAIN", attempts: 2 },
      }),
    ],
  ],
  [
    "Disconnected: Inactivity (auth failed)",
    "Jun 23 00:52:43 vhost1-ua dovecot: pop3-login: Disconnected: Inactivity (auth failed, 1 attempts): user=<info>, method=PLAIN, rip=193.95.245.163, lip=176.214.13.210",
    [
      fail({
        proto: "pop3",
        reason: "inactivity",
        user: "info",
        src_ip: "193.95.245.163",
        dst_ip: "176.214.13.210",
        attrs: { stage: "login", tls: false, method: "PLAIN", attempts: 1 },
      }),
    ],
  ],
  [
    "tried to use disabled plaintext auth (no user)",
    "Dec 12 11:19:11 dunnart dovecot: pop3-login: Aborted login (tried to use disabled plaintext auth): rip=190.210.136.21, lip=113.212.99.193",
    [
      fail({
        proto: "pop3",
        reason: "disabled_plaintext",
        src_ip: "190.210.136.21",
        dst_ip: "113.212.99.193",
        attrs: { stage: "login", tls: false, attempts: 1 },
      }),
    ],
  ],
  [
    "TLS: Disconnected then session",
    "Jan 14 15:54:30 valhalla dovecot: pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<ivo>, method=PLAIN, rip=1.2.3.4, lip=1.1.2.2, TLS: Disconnected, session=<q454Xu/vMwBZApgg>",
    [
      fail({
        proto: "pop3",
        reason: "auth_failed",
        user: "ivo",
        src_ip: "1.2.3.4",
        dst_ip: "1.1.2.2",
        attrs: { stage: "login", tls: true, session: "q454Xu/vMwBZApgg", method: "PLAIN", attempts: 1 },
      }),
    ],
  ],
  [
    "2.3 file log, disconnect reason with parentheses before the summary",
    "Nov 14 03:51:22 pop3-login: Info: Disconnected: Connection closed: read(size=988) failed: Connection reset by peer (auth failed, 1 attempts in 2 secs): user=<shop@example.com>, method=PLAIN, rip=87.120.113.189, lip=1.2.3.4, session=<ZfpthtYmgKpXeHG9>",
    [
      fail({
        proto: "pop3",
        reason: "auth_failed",
        user: "shop@example.com",
        src_ip: "87.120.113.189",
        dst_ip: "1.2.3.4",
        attrs: { stage: "login", tls: false, session: "ZfpthtYmgKpXeHG9", method: "PLAIN", attempts: 1 },
      }),
    ],
  ],
  [
    "2.4 Login aborted (file log, fail2ban#4196)",
    "Jun 23 00:11:05 imap-login: Info: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<info@example.com>, method=PLAIN, rip=1.2.3.4, lip=2.3.4.5, TLS, session=<CvN+E95Uf4e7eEnj>",
    [
      fail({
        proto: "imap",
        reason: "auth_failed",
        user: "info@example.com",
        src_ip: "1.2.3.4",
        dst_ip: "2.3.4.5",
        attrs: { stage: "login", tls: true, session: "CvN+E95Uf4e7eEnj", method: "PLAIN", attempts: 3 },
      }),
    ],
  ],
  [
    "2.4 Login aborted via syslog",
    "Jun 12 20:02:23 kvm456 dovecot[996]: imap-login: Login aborted: Connection closed (auth failed, 2 attempts in 14 secs) (auth_failed): user=<jose.basanta>, method=PLAIN, rip=138.255.206.154, lip=5.135.93.75, TLS, session=<8oNSumM3A8mK/86a>",
    [
      fail({
        proto: "imap",
        reason: "auth_failed",
        user: "jose.basanta",
        src_ip: "138.255.206.154",
        dst_ip: "5.135.93.75",
        attrs: { stage: "login", tls: true, session: "8oNSumM3A8mK/86a", method: "PLAIN", attempts: 2 },
      }),
    ],
  ],
  [
    "no auth attempts: recognized, no event",
    "Jul 02 13:49:32 hostname dovecot[442]: pop3-login: Disconnected (no auth attempts in 58 secs): user=<>, rip=192.51.100.13, lip=203.0.113.17, session=<LgDINsQCkttVIMPg>",
    [],
  ],
  [
    "2.4 no auth attempts with a TLS error: recognized, no event",
    "Jun 12 20:26:11 kvm456 dovecot[996]: imap-login: Login aborted: Connection closed: SSL_read failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42 (no auth attempts in 0 secs) (no_auth_attempts): user=<>, rip=52.97.188.37, lip=5.135.93.75, TLS: SSL_read failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42, session=<NjJkEGQ3dIo0Ybwl>",
    [],
  ],
  // --- auth processes: evidence, not counted -------------------------------------------------------
  [
    "2.2 auth passwd-file unknown user",
    "Jan 29 05:13:50 mail dovecot: auth: passwd-file(username,1.2.3.4): unknown user",
    [
      fail({
        reason: "unknown_user",
        user: "username",
        src_ip: "1.2.3.4",
        attrs: { stage: "auth", driver: "passwd-file" },
      }),
    ],
  ],
  [
    "2.2 auth-worker pam password mismatch",
    "Jan 29 05:32:50 mail dovecot: auth-worker(304): pam(username,1.2.3.4): pam_authenticate() failed: Authentication failure (password mismatch?)",
    [
      fail({
        reason: "pam_failure",
        user: "username",
        src_ip: "1.2.3.4",
        attrs: { stage: "auth-worker", driver: "pam", detail: "Authentication failure (password mismatch?)" },
      }),
    ],
  ],
  [
    "2.2 auth-worker pam with session",
    "Sep 22 11:39:13 EMAIL_SERVER_FQDN dovecot[24941]: auth-worker(30165): pam(user@DOMAIN,127.0.0.1,<PNHQq8pZhqIKAQGd>): pam_authenticate() failed: Permission denied",
    [
      fail({
        reason: "pam_failure",
        user: "user@DOMAIN",
        src_ip: "127.0.0.1",
        attrs: { stage: "auth-worker", driver: "pam", session: "PNHQq8pZhqIKAQGd", detail: "Permission denied" },
      }),
    ],
  ],
  [
    "1.x auth(default) pam user not known",
    "Jul 02 13:49:32 hostname dovecot[442]: dovecot: auth(default): pam(account@MYSERVERNAME.com,200.76.17.206): pam_authenticate() failed: User not known to the underlying authentication module: 2 Time(s)",
    [
      fail({
        reason: "unknown_user",
        user: "account@MYSERVERNAME.com",
        src_ip: "200.76.17.206",
        attrs: {
          stage: "auth",
          driver: "pam",
          detail: "User not known to the underlying authentication module: 2 Time(s)",
        },
      }),
    ],
  ],
  [
    "2.3 auth-worker sql unknown user with given password (fail2ban#1059)",
    "May 31 03:49:45 mailhost dovecot: auth-worker(1668): sql(user@domain.com,192.0.2.5): unknown user (given password: XXX)",
    [
      fail({
        reason: "unknown_user",
        user: "user@domain.com",
        src_ip: "192.0.2.5",
        attrs: { stage: "auth-worker", driver: "sql" },
      }),
    ],
  ],
  [
    "2.3 auth passwd-file Password mismatch with session, Info level",
    "Jun 17 03:12:40 imap3 dovecot: auth: Info: passwd-file(alice@example.com,192.0.2.7,<CvN+E95Uf4e7eEnj>): Password mismatch",
    [
      fail({
        reason: "bad_password",
        user: "alice@example.com",
        src_ip: "192.0.2.7",
        attrs: { stage: "auth", driver: "passwd-file", session: "CvN+E95Uf4e7eEnj" },
      }),
    ],
  ],
  [
    "2.4 auth-worker sql Password mismatch (fail2ban#4196)",
    "Jun 23 00:10:49 auth-worker(info@example.com,1.2.3.4)<4001084><CvN+E95Uf4e7eEnj>: request [12]: Info: sql: Password mismatch (given password: XxxxXXxx123)",
    [
      fail({
        reason: "bad_password",
        user: "info@example.com",
        src_ip: "1.2.3.4",
        attrs: { stage: "auth-worker", driver: "sql", session: "CvN+E95Uf4e7eEnj" },
      }),
    ],
  ],
  [
    "2.4 auth sasl:login Password mismatch (fail2ban#4196)",
    "Jun 23 00:10:57 auth(info@example.com,1.2.3.4,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: XxxxXXxx123)",
    [
      fail({
        reason: "bad_password",
        user: "info@example.com",
        src_ip: "1.2.3.4",
        attrs: { stage: "auth", driver: "sql", session: "CvN+E95Uf4e7eEnj", method: "LOGIN" },
      }),
    ],
  ],
  [
    "2.4 auth-worker pam via syslog, passdb named unix_user",
    "Jun 12 20:02:12 kvm456 dovecot[996]: auth-worker(jose.basanta,138.255.206.154)<1489164><8oNSumM3A8mK/86a>: request [393]: unix_user: pam_authenticate() failed: Authentication failure (Password mismatch?)",
    [
      fail({
        reason: "pam_failure",
        user: "jose.basanta",
        src_ip: "138.255.206.154",
        attrs: {
          stage: "auth-worker",
          driver: "unix_user",
          session: "8oNSumM3A8mK/86a",
          detail: "Authentication failure (Password mismatch?)",
        },
      }),
    ],
  ],
  [
    "2.4 auth-worker without session (pid only)",
    "Dec 02 09:22:22 auth-worker(testuser@zeroxzed.ru,213.209.157.207)<230299>: request [1]: Info: sql: unknown user",
    [
      fail({
        reason: "unknown_user",
        user: "testuser@zeroxzed.ru",
        src_ip: "213.209.157.207",
        attrs: { stage: "auth-worker", driver: "sql" },
      }),
    ],
  ],
  [
    "2.3 ldap passdb (auth_bind) invalid credentials",
    "Jun 17 03:12:40 imap3 dovecot: auth: ldap(carol@example.com,192.0.2.8,<Q9HTgk0UuwAly9Zo>): invalid credentials",
    [
      fail({
        reason: "bad_password",
        user: "carol@example.com",
        src_ip: "192.0.2.8",
        attrs: { stage: "auth", driver: "ldap", session: "Q9HTgk0UuwAly9Zo" },
      }),
    ],
  ],
  [
    "2.3 auth-worker with the conn unix:auth-worker prefix",
    "Jun 17 03:12:40 imap3 dovecot: auth-worker(12345): Info: conn unix:auth-worker (pid=1234,uid=97): auth-worker<1>: sql(dave@example.com,192.0.2.9,<t6b1gk0UggAly9Zo>): unknown user",
    [
      fail({
        reason: "unknown_user",
        user: "dave@example.com",
        src_ip: "192.0.2.9",
        attrs: { stage: "auth-worker", driver: "sql", session: "t6b1gk0UggAly9Zo" },
      }),
    ],
  ],
  [
    "PAM module line from the auth process",
    "Apr 19 05:22:20 vm5 dovecot-auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=informix rhost=80.255.3.104",
    [fail({ reason: "pam_failure", user: "informix", src_ip: "80.255.3.104", attrs: { stage: "pam" } })],
  ],
  // --- hostile input ----------------------------------------------------------------------------------
  [
    "injection: user name 'x rip=1.2.3.4'",
    "Jun 17 03:12:45 imap3 dovecot: imap-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<x rip=1.2.3.4>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, TLS, session=<q454Xu/vMwBZApgg>",
    [
      fail({
        proto: "imap",
        reason: "auth_failed",
        user: "x rip=1.2.3.4",
        src_ip: "192.0.2.9",
        dst_ip: "198.51.100.1",
        attrs: { stage: "login", tls: true, session: "q454Xu/vMwBZApgg", method: "PLAIN", attempts: 1 },
      }),
    ],
  ],
  [
    "injection: user name carrying a whole fake field list",
    "Jun 17 03:12:45 imap3 dovecot: imap-login: Login: user=<x>, method=PLAIN, rip=6.6.6.6, lip=10.0.0.1, mpid=1, TLS, session=<abc>>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, mpid=77, session=<q454Xu/vMwBZApgg>",
    [
      {
        kind: "auth",
        action: "login",
        outcome: "success",
        proto: "imap",
        user: "x>, method=PLAIN, rip=6.6.6.6, lip=10.0.0.1, mpid=1, TLS, session=<abc>",
        src_ip: "192.0.2.9",
        dst_ip: "198.51.100.1",
        attrs: { stage: "login", tls: false, session: "q454Xu/vMwBZApgg", method: "PLAIN", mpid: 77 },
      },
    ],
  ],
  [
    "injection: 2.3 auth prefix with a fake user,ip,session inside the user name",
    "Jun 17 03:12:45 imap3 dovecot: auth: passwd-file(x,6.6.6.6,<s>): unknown user,192.0.2.9,<q454Xu/vMwBZApgg>): Password mismatch",
    [
      fail({
        reason: "bad_password",
        user: "x,6.6.6.6,<s>): unknown user",
        src_ip: "192.0.2.9",
        attrs: { stage: "auth", driver: "passwd-file", session: "q454Xu/vMwBZApgg" },
      }),
    ],
  ],
  [
    "injection: 2.4 auth prefix inside the user name",
    "Jun 17 03:12:45 auth(x,6.6.6.6,sasl:plain)<s>: Info: sql: unknown user,192.0.2.9,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch",
    [
      fail({
        reason: "bad_password",
        user: "x,6.6.6.6,sasl:plain)<s>: Info: sql: unknown user",
        src_ip: "192.0.2.9",
        attrs: { stage: "auth", driver: "sql", session: "CvN+E95Uf4e7eEnj", method: "LOGIN" },
      }),
    ],
  ],
  [
    "injection: a given password shaped like the rest of the line",
    "Jun 17 03:12:45 auth(bob,192.0.2.9,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: x,6.6.6.6,sasl:login)<s>: Info: sql: unknown user)",
    [
      fail({
        reason: "bad_password",
        user: "bob",
        src_ip: "192.0.2.9",
        attrs: { stage: "auth", driver: "sql", session: "CvN+E95Uf4e7eEnj", method: "LOGIN" },
      }),
    ],
  ],
  [
    "injection: two 'given password' texts make the address ambiguous: none taken",
    "Jun 17 03:12:45 auth(bob,192.0.2.9,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: x,6.6.6.6,sasl:login)<s>: Info: sql: unknown user (given password: y)",
    [
      fail({
        reason: "bad_password",
        user: "bob",
        attrs: { stage: "auth", driver: "sql", session: "CvN+E95Uf4e7eEnj", src_ambiguous: true, method: "LOGIN" },
      }),
    ],
  ],
  [
    "injection: rhost= inside PAM ruser (fail2ban corpus)",
    "Apr 19 05:22:20 vm5 dovecot-auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=rhost=1.2.3.4 rhost=192.0.43.10",
    [fail({ reason: "pam_failure", user: "rhost=1.2.3.4", src_ip: "192.0.43.10", attrs: { stage: "pam" } })],
  ],
  [
    "injection: ' rhost=6.6.6.6' in the PAM user name (ruser and user both carry it)",
    "Apr 19 05:22:20 vm5 dovecot-auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=x rhost=6.6.6.6 rhost=192.0.2.9  user=x rhost=6.6.6.6",
    [fail({ reason: "pam_failure", user: "x rhost=6.6.6.6", src_ip: "192.0.2.9", attrs: { stage: "pam" } })],
  ],
  // --- not ours ----------------------------------------------------------------------------------------
  [
    "mail process logout is not an auth line",
    "Dec 21 22:05:14 mail dovecot: imap(me@example.com)<373>: Logged out in=146 out=2974 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0",
    null,
  ],
];

for (const [name, line, expected] of cases) {
  test(`dovecot: ${name}`, () => {
    const got = parseWith(dovecotParser, line);
    assert.deepEqual(got === null ? null : [...got], expected);
  });
}
