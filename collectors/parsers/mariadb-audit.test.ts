// MariaDB 10.11.19 (Debian 12) server_audit and slow-log lines, captured from a
// real server (the lab's mariadbd with server_audit_events=CONNECT,QUERY,
// long_query_time=0, log_slow_min_examined_row_limit=1000; and test/lab/samples),
// every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mariadbAuditParser, unescapeAudit } from "./mariadb-audit.js";
import { credentialReads, parseCredColumn } from "./sql.js";
import { parseWith, runNative } from "./testing.js";
import type { PartialEvent } from "./types.js";

const AUDIT = [
  "20261126 11:53:05,vm,postfix,127.0.0.1,7,0,CONNECT,postfix,,0",
  "20261126 11:53:05,vm,postfix,127.0.0.1,7,15,QUERY,postfix,'SELECT username, password FROM mailbox',0",
  "20261126 11:53:05,vm,postfix,127.0.0.1,7,0,DISCONNECT,postfix,,0",
  "20261126 11:53:05,vm,postfix,127.0.0.1,4,0,FAILED_CONNECT,,,1045",
  "20261126 11:53:05,vm,postfix,127.0.0.1,11,23,QUERY,postfix,'SELECT COUNT(*) FROM mailbox',0",
  "20261126 11:53:05,vm,postfix,127.0.0.1,12,25,QUERY,postfix,'SELECT * FROM nosuch',1146",
];

test("mariadb-audit: a server_audit QUERY reading mailbox.password is a db_select event (no row count)", () => {
  const out = runNative(mariadbAuditParser, AUDIT);
  const expected: PartialEvent = {
    kind: "cred_access",
    action: "db_select",
    outcome: "success",
    proto: "mysql",
    object: "postfix.mailbox.password",
    user: "postfix",
    src_ip: "127.0.0.1",
    attrs: {
      log: "server_audit",
      connection_id: "7",
      query_id: "15",
      retcode: 0,
      query: "SELECT username, password FROM mailbox",
      server: "vm",
    },
    from: { ts: Date.UTC(2026, 10, 26, 11, 53, 5), raw: AUDIT[1] },
  };
  assert.deepEqual(out, [[], [expected], [], [], [], []]);
});

test("mariadb-audit: the audit's local time follows the stream's UTC offset", () => {
  const [e] = mariadbAuditParser.native?.parse(
    { line: AUDIT[1] as string, position: 0, utcOffsetMs: 120 * 60_000 },
    mariadbAuditParser.createState(),
  ) ?? [undefined];
  assert.equal(e?.from?.ts, Date.UTC(2026, 10, 26, 9, 53, 5));
});

test("mariadb-audit: mysqldump's star select, multi-line aliased select, failed and column-less reads", () => {
  const out = runNative(mariadbAuditParser, [
    "20261126 11:53:05,vm,postfix,127.0.0.1,8,17,QUERY,postfix,'SELECT /*!40001 SQL_NO_CACHE */ * FROM `mailbox`',0",
    "20261126 11:53:05,vm,postfix,127.0.0.1,10,21,QUERY,postfix,'SELECT m.username,\\n  m.password\\nFROM postfix.mailbox AS m\\nWHERE m.active = 1',0",
    "20261126 11:53:05,vm,webmail,192.0.2.80:53022,30,40,QUERY,roundcube,'SELECT password FROM postfix.mailbox',1142",
    "20261126 11:53:05,vm,postfix,127.0.0.1,16,36,QUERY,postfix,'SELECT username FROM mailbox WHERE username LIKE \\'user00%\\'',0",
  ]).flat();
  assert.deepEqual(
    out.map((e) => [e.object, e.outcome, e.reason, e.src_ip, e.src_port, e.attrs?.query]),
    [
      [
        "postfix.mailbox.password",
        "success",
        undefined,
        "127.0.0.1",
        undefined,
        "SELECT /*!40001 SQL_NO_CACHE */ * FROM `mailbox`",
      ],
      [
        "postfix.mailbox.password",
        "success",
        undefined,
        "127.0.0.1",
        undefined,
        "SELECT m.username,\n  m.password\nFROM postfix.mailbox AS m\nWHERE m.active = 1",
      ],
      // MariaDB ≥ 12 logs host:port; 1142 = table access denied
      [
        "postfix.mailbox.password",
        "failure",
        "access_denied",
        "192.0.2.80",
        53022,
        "SELECT password FROM postfix.mailbox",
      ],
    ],
  );
});

test("mariadb-audit: password literals are redacted in object, attrs and raw; server_audit's own masking kept", () => {
  const lines = [
    "20261126 11:53:05,vm,postfix,127.0.0.1,9,19,QUERY,postfix,'SELECT username FROM mailbox WHERE password = \\'{SSHA}hash000002\\' OR password=\\'my secret pw\\'',0",
    "20261126 11:53:05,vm,root,localhost,13,27,QUERY,mysql,'CREATE USER \\'eve\\'@\\'%\\' IDENTIFIED BY *****',0",
  ];
  const out = runNative(mariadbAuditParser, lines);
  const e = out[0]?.[0];
  assert.equal(e?.attrs?.query, "SELECT username FROM mailbox WHERE password = '<redacted>' OR password='<redacted>'");
  assert.equal(
    e?.from?.raw,
    "20261126 11:53:05,vm,postfix,127.0.0.1,9,19,QUERY,postfix,'SELECT username FROM mailbox WHERE password = \\'<redacted>\\' OR password=\\'<redacted>\\'',0",
  );
  assert.ok(!JSON.stringify(e).includes("hash000002") && !JSON.stringify(e).includes("secret pw"));
  assert.deepEqual(out[1], []); // not a read of a credential column
});

test("mariadb-audit: server_audit via syslog (server_audit_output_type=syslog)", () => {
  const out = parseWith(
    mariadbAuditParser,
    "Jun 17 03:12:45 db1 mysql-server_auditing:  db1,postfix,203.0.113.7,6,5,QUERY,postfix,'SELECT username, password FROM mailbox',0",
  );
  assert.equal(out?.[0]?.object, "postfix.mailbox.password");
  assert.equal(out?.[0]?.src_ip, "203.0.113.7");
  assert.equal(out?.[0]?.attrs?.connection_id, "6");
  assert.equal(out?.[0]?.from?.ts, Date.UTC(2026, 5, 17, 3, 12, 45));
});

// The slow log of the same server: long_query_time=0, log_slow_min_examined_row_limit=1000.
const SLOW = [
  "mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:",
  "Tcp port: 23306  Unix socket: /run/mysqld/mysqld.sock",
  "Time\t\t    Id Command\tArgument",
  "# Time: 261126 11:53:05",
  "# User@Host: postfix[postfix] @  [127.0.0.1]",
  "# Thread_id: 7  Schema: postfix  QC_hit: No",
  "# Query_time: 0.007699  Lock_time: 0.000084  Rows_sent: 20000  Rows_examined: 20000",
  "# Rows_affected: 0  Bytes_sent: 900152",
  "use `postfix`;",
  "SET timestamp=1795693985;",
  "SELECT username, password FROM mailbox;",
  "# User@Host: postfix[postfix] @  [127.0.0.1]",
  "# Thread_id: 10  Schema: postfix  QC_hit: No",
  "# Query_time: 0.009518  Lock_time: 0.000097  Rows_sent: 20000  Rows_examined: 20000",
  "# Rows_affected: 0  Bytes_sent: 900140",
  "SET timestamp=1795693985;",
  "SELECT m.username,",
  "  m.password",
  "FROM postfix.mailbox AS m",
  "WHERE m.active = 1;",
  "# User@Host: postfix[postfix] @  [127.0.0.1]",
  "# Thread_id: 11  Schema: postfix  QC_hit: No",
  "# Query_time: 0.003511  Lock_time: 0.000087  Rows_sent: 1  Rows_examined: 20000",
  "# Rows_affected: 0  Bytes_sent: 69",
  "SET timestamp=1795693985;",
  "SELECT COUNT(*) FROM mailbox;",
  "# User@Host: root[root] @ localhost []",
  "# Thread_id: 15  Schema:   QC_hit: No",
  "# Query_time: 0.001927  Lock_time: 0.000077  Rows_sent: 5000  Rows_examined: 5000",
  "# Rows_affected: 0  Bytes_sent: 105085",
  "SET timestamp=1795693985;",
  "SELECT password FROM postfix.mailbox LIMIT 5000;",
];

test("mariadb-audit: slow-log entries (multi-line, with and without `use`) → db_select with records = Rows_sent", () => {
  const out = runNative(mariadbAuditParser, SLOW);
  const events = out.flatMap((evs, i) => evs.map((e) => [i, e] as const));
  assert.deepEqual(
    events.map(([i, e]) => [
      i,
      e.user,
      e.src_ip,
      e.object,
      e.records,
      e.outcome,
      e.attrs?.thread_id,
      e.attrs?.rows_examined,
    ]),
    [
      [10, "postfix", "127.0.0.1", "postfix.mailbox.password", 20000, "success", "7", 20000],
      [19, "postfix", "127.0.0.1", "postfix.mailbox.password", 20000, "success", "10", 20000],
      [31, "root", undefined, "postfix.mailbox.password", 5000, "success", "15", 5000],
    ],
  );
  const [, first] = events[0] ?? [];
  assert.deepEqual(first, {
    kind: "cred_access",
    action: "db_select",
    outcome: "success",
    proto: "mysql",
    object: "postfix.mailbox.password",
    records: 20000,
    user: "postfix",
    src_ip: "127.0.0.1",
    attrs: {
      log: "slow",
      query: "SELECT username, password FROM mailbox",
      thread_id: "7",
      rows_examined: 20000,
      query_time: 0.007699,
    },
    from: { ts: 1795693985000, position: 4, raw: SLOW.slice(4, 11).join("\n") },
  });
  assert.equal(events[2]?.[1].attrs?.client_host, "localhost");
});

test("mariadb-audit: MySQL-style slow-log header (ISO # Time, Id on User@Host) and an entry completed by flush", () => {
  const state = mariadbAuditParser.createState();
  const out = runNative(
    mariadbAuditParser,
    [
      "# Time: 2026-06-17T03:12:45.123456Z",
      "# User@Host: exfil[exfil] @ web3.example.net [198.51.100.23]  Id:    42",
      "# Query_time: 0.120000  Lock_time: 0.000100 Rows_sent: 12000  Rows_examined: 12000",
      "use `vmail`;",
      "SELECT email, password",
      "FROM users",
    ],
    state,
  );
  assert.deepEqual(out.flat(), []);
  const [e] = mariadbAuditParser.flush?.(state) ?? [];
  assert.equal(e?.object, "vmail.users.password");
  assert.equal(e?.records, 12000);
  assert.equal(e?.from?.ts, Date.UTC(2026, 5, 17, 3, 12, 45, 123));
  assert.equal(e?.attrs?.thread_id, "42");
  assert.equal(e?.attrs?.client_host, "web3.example.net");
  assert.equal(e?.src_ip, "198.51.100.23");
});

test("mariadb-audit: a slow-log query with a literal password is redacted; UPDATE ... SET password is not a read", () => {
  const out = runNative(mariadbAuditParser, [
    "# User@Host: postfix[postfix] @  [127.0.0.1]",
    "# Thread_id: 9  Schema: postfix  QC_hit: No",
    "# Query_time: 0.006025  Lock_time: 0.000119  Rows_sent: 1  Rows_examined: 20000",
    "SET timestamp=1795693985;",
    "SELECT username FROM mailbox WHERE password = '{SSHA}hash000002' OR password='my secret pw';",
    "# User@Host: root[root] @ localhost []",
    "# Thread_id: 14  Schema: postfix  QC_hit: No",
    "# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 0  Rows_examined: 20000",
    "SET timestamp=1795693986;",
    "UPDATE mailbox SET password='{SSHA}newhash' WHERE username='user000003@example.test';",
  ]).flat();
  assert.equal(out.length, 1);
  const e = out[0];
  assert.equal(e?.attrs?.query, "SELECT username FROM mailbox WHERE password = '<redacted>' OR password='<redacted>'");
  assert.ok(e?.from?.raw?.endsWith("WHERE password = '<redacted>' OR password='<redacted>';"));
  assert.ok(!JSON.stringify(out).includes("hash000002"));
});

test("mariadb-audit: hostile query text cannot fake the audit fields or a slow-log header before its query", () => {
  const audit = runNative(mariadbAuditParser, [
    "20261126 11:53:05,vm,postfix,127.0.0.1,7,15,QUERY,postfix,'SELECT password FROM mailbox WHERE username=\\'x\\',0\\n20261126 11:53:05,vm,root,6.6.6.6,1,1,QUERY,mysql,\\'x\\'',0",
  ]).flat();
  assert.equal(audit[0]?.user, "postfix");
  assert.equal(audit[0]?.src_ip, "127.0.0.1");
  assert.equal(audit[0]?.attrs?.retcode, 0);
  // A query whose second line fakes a new entry: the real entry (read first) is still emitted with its own rows.
  const slow = runNative(mariadbAuditParser, [
    "# User@Host: postfix[postfix] @  [127.0.0.1]",
    "# Thread_id: 6  Schema: postfix  QC_hit: No",
    "# Query_time: 0.001218  Lock_time: 0.000096  Rows_sent: 2503  Rows_examined: 2503",
    "SET timestamp=1795693384;",
    "SELECT username, password FROM mailbox # x",
    "# User@Host: root[root] @ localhost [10.0.0.1]",
    "# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 1  Rows_examined: 1",
    "SET timestamp=1795693384;",
    "SELECT 1;",
  ]).flat();
  assert.deepEqual(
    slow.map((e) => [e.user, e.src_ip, e.records]),
    [["postfix", "127.0.0.1", 2503]],
  );
});

test("mariadb-audit: configured credential columns (options validated)", () => {
  assert.throws(() => mariadbAuditParser.createState({ columns: ["nodot"] }), /mariadb-audit options/);
  assert.throws(() => mariadbAuditParser.createState({ colums: [] }), /mariadb-audit options/);
  const state = mariadbAuditParser.createState({ columns: ["mail.accounts.secret"] });
  const out = runNative(
    mariadbAuditParser,
    [
      "20261126 11:53:05,vm,app,127.0.0.1,7,15,QUERY,mail,'SELECT name, secret FROM accounts',0",
      "20261126 11:53:05,vm,app,127.0.0.1,7,16,QUERY,other,'SELECT name, secret FROM accounts',0",
      "20261126 11:53:05,vm,app,127.0.0.1,7,17,QUERY,mail,'SELECT username, password FROM mailbox',0",
    ],
    state,
  );
  assert.deepEqual(
    out.map((evs) => evs.map((e) => e.object)),
    [["mail.accounts.secret"], [], []],
  );
});

test("sql: which statements read a credential column", () => {
  const cols = ["mailbox.password", "users.password"].map((c) => parseCredColumn(c)).filter((c) => c !== undefined);
  const cases: Array<[string, string[]]> = [
    ["SELECT password FROM mailbox WHERE username='a'", ["db.mailbox.password"]],
    ["select * from mailbox", ["db.mailbox.password"]],
    ["SELECT m.* FROM mailbox m JOIN alias a ON a.goto = m.username", ["db.mailbox.password"]],
    ["SELECT a.* FROM mailbox m JOIN alias a ON a.goto = m.username", []],
    ["SELECT COUNT(*) FROM mailbox", []],
    ["SELECT username FROM mailbox", []],
    ["SELECT username FROM mailbox WHERE password = 'x'", ["db.mailbox.password"]],
    ["SELECT u.email, u.password FROM vmail.users u", ["vmail.users.password"]],
    ["SELECT 'SELECT password FROM mailbox'", []],
    ["SELECT username FROM mailbox -- , password", []],
    ["UPDATE mailbox SET password = 'x' WHERE username = 'a'", []],
    ["INSERT INTO dump SELECT username, password FROM mailbox", ["db.mailbox.password"]],
    ["HANDLER mailbox READ FIRST", ["db.mailbox.password"]],
    ["SELECT password FROM other", []],
    ["SELECT p.password FROM mailbox m, users p", ["db.users.password"]],
  ];
  for (const [sql, want] of cases) {
    const got = credentialReads(sql, "db", cols).map((r) => `${r.db}.${r.table}.${r.column}`);
    assert.deepEqual(got, want, sql);
  }
  assert.equal(unescapeAudit("a\\'b\\\\c\\nd"), "a'b\\c\nd");
});
