// Real OpenLDAP slapd sequences (user reports in vaultwarden_ldap#78,
// NIPAP#926, bitnami/containers#63744), fed line by line through one stream
// state; every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CONNECTIONS, MAX_SEARCHES_PER_CONNECTION, slapdParser } from "./slapd.js";
import { parseWith } from "./testing.js";
import type { PartialEvent } from "./types.js";

function run(lines: string[]): Array<readonly PartialEvent[] | null> {
  const state = slapdParser.createState();
  return lines.map((l) => parseWith(slapdParser, l, state));
}

test("slapd: failed simple bind (err=49) from the ACCEPTed peer", () => {
  const out = run([
    "Jun 14 20:56:07 vinhedo5 slapd[31387]: conn=923847 fd=723 ACCEPT from IP=10.112.80.224:54370 (IP=0.0.0.0:389)",
    'Jun 14 20:56:07 vinhedo5 slapd[31387]: conn=923847 op=0 BIND dn="uid=tiago.cruz,ou=users,dc=datac,dc=com" method=128',
    "Jun 14 20:56:07 vinhedo5 slapd[31387]: conn=923847 op=0 RESULT tag=97 err=49 text=",
    "Jun 14 20:56:07 vinhedo5 slapd[31387]: conn=923847 op=1 UNBIND",
    "Jun 14 20:56:07 vinhedo5 slapd[31387]: conn=923847 fd=723 closed",
  ]);
  assert.deepEqual(out, [
    [],
    [],
    [
      {
        kind: "auth",
        action: "bind",
        outcome: "failure",
        proto: "ldap",
        reason: "bad_password",
        user: "uid=tiago.cruz,ou=users,dc=datac,dc=com",
        src_ip: "10.112.80.224",
        src_port: 54370,
        dst_ip: "0.0.0.0",
        dst_port: 389,
        attrs: {
          stage: "bind",
          session: "923847",
          op: 0,
          err: 49,
          tls: false,
          method: "simple",
          attempts: 1,
          account: "tiago.cruz",
        },
      },
    ],
    null,
    [],
  ]);
});

test("slapd: successful bind (2.5+ mech line, qtime/etime), TLS, then state dropped on close", () => {
  const state = slapdParser.createState();
  const lines = [
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1002 fd=12 ACCEPT from IP=[2001:db8::7]:50412 (IP=[::]:636)",
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1002 fd=12 TLS established tls_ssf=256 ssf=256 tls_proto=TLSv1.3 tls_cipher=TLS_AES_256_GCM_SHA384",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=1002 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=com" method=128',
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=1002 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=com" mech=SIMPLE bind_ssf=0 ssf=256',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1002 op=0 RESULT tag=97 err=0 qtime=0.000022 etime=0.000203 text=",
  ];
  const out = lines.map((l) => parseWith(slapdParser, l, state));
  assert.deepEqual(out.slice(0, 4), [[], [], [], []]);
  assert.deepEqual(out[4], [
    {
      kind: "auth",
      action: "bind",
      outcome: "success",
      proto: "ldap",
      user: "uid=alice,ou=people,dc=example,dc=com",
      src_ip: "2001:db8::7",
      src_port: 50412,
      dst_ip: "::",
      dst_port: 636,
      attrs: { stage: "bind", session: "1002", op: 0, err: 0, tls: true, method: "simple", account: "alice" },
    },
  ]);
  assert.equal(state.connections.size, 1);
  parseWith(slapdParser, "Jun 17 03:12:46 ldap1 slapd[900]: conn=1002 fd=12 closed (connection lost)", state);
  assert.equal(state.connections.size, 0);
});

test("slapd: anonymous bind and SASL in-progress results emit nothing", () => {
  const out = run([
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 fd=12 ACCEPT from IP=192.0.2.1:40000 (IP=0.0.0.0:389)",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=0 BIND dn="" method=128',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=0 RESULT tag=97 err=0 text=",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=1 BIND dn="" method=163',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=1 RESULT tag=97 err=14 text=SASL(0): successful result: ",
  ]);
  assert.deepEqual(out, [[], [], [], [], []]);
});

test("slapd: slapd's own log file (OpenLDAP 2.6 logfile), no host", () => {
  const state = slapdParser.createState();
  parseWith(
    slapdParser,
    "6266716e.003c8fe8 0x7f5c077fe6c0 conn=1009 fd=12 ACCEPT from IP=192.168.144.1:46050 (IP=0.0.0.0:389)",
    state,
  );
  parseWith(
    slapdParser,
    '6266716e.003c8fe8 0x7f5c077fe6c0 conn=1009 op=0 BIND dn="cn=readonly,dc=mydomain,dc=com" method=128',
    state,
  );
  const out = parseWith(
    slapdParser,
    "6266716e.003c8fe8 0x7f5c077fe6c0 conn=1009 op=0 RESULT tag=97 err=49 text=",
    state,
  );
  assert.deepEqual(out, [
    {
      kind: "auth",
      action: "bind",
      outcome: "failure",
      proto: "ldap",
      reason: "bad_password",
      user: "cn=readonly,dc=mydomain,dc=com",
      src_ip: "192.168.144.1",
      src_port: 46050,
      dst_ip: "0.0.0.0",
      dst_port: 389,
      attrs: {
        stage: "bind",
        session: "1009",
        op: 0,
        err: 49,
        tls: false,
        method: "simple",
        attempts: 1,
        account: "readonly",
      },
    },
  ]);
});

test("slapd: a hostile dn with a fake method and quotes stays the dn; the peer is from ACCEPT only", () => {
  const out = run([
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=8 fd=12 ACCEPT from IP=192.0.2.9:40001 (IP=0.0.0.0:389)",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=8 op=0 BIND dn="uid=x" method=128 IP=6.6.6.6:1" method=128',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=8 op=0 RESULT tag=97 err=49 text=",
  ]);
  const e = out[2]?.[0];
  assert.equal(e?.user, 'uid=x" method=128 IP=6.6.6.6:1');
  assert.equal(e?.src_ip, "192.0.2.9");
  assert.equal(e?.src_port, 40001);
});

test("slapd: a RESULT without its BIND (state lost) still reports the failure, without a user", () => {
  const out = run(["Jun 17 03:12:45 ldap1 slapd[900]: conn=9 op=3 RESULT tag=97 err=49 text="]);
  assert.deepEqual(out, [
    [
      {
        kind: "auth",
        action: "bind",
        outcome: "failure",
        proto: "ldap",
        reason: "bad_password",
        attrs: { stage: "bind", session: "9", op: 3, err: 49, tls: false, attempts: 1 },
      },
    ],
  ]);
});

test("slapd: per-stream state is capped at MAX_CONNECTIONS (oldest dropped)", () => {
  const state = slapdParser.createState();
  for (let i = 0; i < MAX_CONNECTIONS + 10; i++) {
    parseWith(
      slapdParser,
      `Jun 17 03:12:45 ldap1 slapd[900]: conn=${i} fd=12 ACCEPT from IP=192.0.2.1:40000 (IP=0.0.0.0:389)`,
      state,
    );
  }
  assert.equal(state.connections.size, MAX_CONNECTIONS);
  assert.equal(state.connections.has(0), false);
  assert.equal(state.connections.has(MAX_CONNECTIONS + 9), true);
});

test("slapd: other operations are not recognized; a SRCH alone feeds state only", () => {
  assert.deepEqual(
    parseWith(
      slapdParser,
      'Jun 17 03:12:45 ldap1 slapd[900]: conn=8 op=1 SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(uid=alice)"',
    ),
    [],
  );
  assert.equal(parseWith(slapdParser, "Jun 17 03:12:45 ldap1 slapd[900]: conn=8 op=2 UNBIND"), null);
});

// --- searches: real lines from the lab's OpenLDAP 2.5.13 (test/lab, `loglevel stats`) ---

const L = (rest: string, t = "04.586833") => `2026-11-26T11:43:${t}+00:00 lab slapd[8123]: ${rest}`;
const SERVICE_LOOKUP = [
  L("conn=1003 fd=11 ACCEPT from IP=127.0.0.1:58300 (IP=127.0.0.1:10389)", "04.563806"),
  L('conn=1003 op=0 BIND dn="cn=mailservice,ou=services,dc=example,dc=test" method=128', "04.563892"),
  L('conn=1003 op=0 BIND dn="cn=mailservice,ou=services,dc=example,dc=test" mech=SIMPLE bind_ssf=0 ssf=0', "04.563919"),
  L("conn=1003 op=0 RESULT tag=97 err=0 qtime=0.000013 etime=0.000162 text=", "04.564038"),
  L(
    'conn=1003 op=1 SRCH base="ou=people,dc=example,dc=test" scope=2 deref=0 filter="(&(objectClass=inetOrgPerson)(uid=bob))"',
    "04.564200",
  ),
  L("conn=1003 op=1 SRCH attr=uid mail userPassword", "04.564462"),
  L("conn=1003 op=1 SEARCH RESULT tag=101 err=0 qtime=0.000010 etime=0.000305 nentries=1 text=", "04.564506"),
  L("conn=1003 op=2 UNBIND", "04.565355"),
  L("conn=1003 fd=11 closed", "04.565413"),
];
const DUMP = [
  L("conn=1004 fd=11 ACCEPT from IP=203.0.113.7:42745 (IP=127.0.0.1:10390)", "04.586657"),
  L('conn=1004 op=0 BIND dn="cn=mailservice,ou=services,dc=example,dc=test" method=128', "04.586676"),
  L('conn=1004 op=0 BIND dn="cn=mailservice,ou=services,dc=example,dc=test" mech=SIMPLE bind_ssf=0 ssf=0', "04.586689"),
  L("conn=1004 op=0 RESULT tag=97 err=0 qtime=0.000007 etime=0.000067 text=", "04.586702"),
  L('conn=1004 op=1 SRCH base="dc=example,dc=test" scope=2 deref=0 filter="(objectClass=*)"', "04.586833"),
  L("conn=1004 op=1 SRCH attr=uid mail userPassword", "04.586847"),
  L("conn=1004 op=1 SEARCH RESULT tag=101 err=0 qtime=0.000014 etime=0.012165 nentries=2507 text=", "04.599050"),
  L("conn=1004 op=2 UNBIND", "04.601564"),
  L("conn=1004 fd=11 closed", "04.601638"),
];

test("slapd: a search joins SRCH, SRCH attr and SEARCH RESULT into one ldap_search event (bound DN, peer)", () => {
  const state = slapdParser.createState();
  const out = DUMP.map((l, i) => parseWith(slapdParser, l, state, i));
  const bind = out[3]?.[0];
  assert.equal(bind?.action, "bind");
  assert.deepEqual(out[6], [
    {
      kind: "cred_access",
      action: "ldap_search",
      outcome: "success",
      user: "cn=mailservice,ou=services,dc=example,dc=test",
      proto: "ldap",
      object: "dc=example,dc=test?sub?(objectClass=*)",
      src_ip: "203.0.113.7",
      src_port: 42745,
      dst_ip: "127.0.0.1",
      dst_port: 10390,
      records: 2507,
      attrs: { session: "1004", op: 1, password_attrs: true, tls: false, attrs: "uid mail userPassword", err: 0 },
      from: { raw: [DUMP[4], DUMP[5], DUMP[6]].join("\n"), position: 4 },
    },
  ]);
  assert.deepEqual(out[8], []);
  assert.equal(state.connections.size, 0);
});

test("slapd: interleaved connections keep their own searches, binds and peers", () => {
  const state = slapdParser.createState();
  const lines: string[] = [];
  for (let i = 0; i < Math.max(SERVICE_LOOKUP.length, DUMP.length); i++) {
    if (DUMP[i] !== undefined) lines.push(DUMP[i] as string);
    if (SERVICE_LOOKUP[i] !== undefined) lines.push(SERVICE_LOOKUP[i] as string);
  }
  const searches = lines
    .flatMap((l, i) => parseWith(slapdParser, l, state, i) ?? [])
    .filter((e) => e.action === "ldap_search");
  assert.deepEqual(
    searches.map((e) => [e.object, e.records, e.src_ip, e.user, e.attrs?.password_attrs]),
    [
      [
        "dc=example,dc=test?sub?(objectClass=*)",
        2507,
        "203.0.113.7",
        "cn=mailservice,ou=services,dc=example,dc=test",
        true,
      ],
      [
        "ou=people,dc=example,dc=test?sub?(&(objectClass=inetOrgPerson)(uid=bob))",
        1,
        "127.0.0.1",
        "cn=mailservice,ou=services,dc=example,dc=test",
        true,
      ],
    ],
  );
});

test("slapd: anonymous root DSE search, operational attributes only, no attribute list (= all)", () => {
  const state = slapdParser.createState();
  const run = (lines: string[]) => lines.map((l) => parseWith(slapdParser, l, state)).flatMap((r) => r ?? []);
  const rootDse = run([
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 fd=13 ACCEPT from IP=192.0.2.50:40112 (IP=0.0.0.0:389)",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=0 SRCH base="" scope=0 deref=0 filter="(objectClass=*)"',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=0 SRCH attr=namingContexts subschemaSubentry",
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=0 SEARCH RESULT tag=101 err=0 nentries=1 text=",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=1 SRCH base="dc=example,dc=com" scope=1 deref=0 filter="(uid=*)"',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=1 SRCH attr=+",
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=1 SEARCH RESULT tag=101 err=0 nentries=40 text=",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=2 SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(uid=*)"',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=1001 op=2 SEARCH RESULT tag=101 err=0 nentries=40 text=",
  ]);
  assert.deepEqual(
    rootDse.map((e) => [e.user, e.object, e.records, e.attrs?.password_attrs, e.attrs?.attrs]),
    [
      ["anonymous", "?base?(objectClass=*)", 1, false, "namingContexts subschemaSubentry"],
      ["anonymous", "dc=example,dc=com?one?(uid=*)", 40, false, "+"],
      ["anonymous", "dc=example,dc=com?sub?(uid=*)", 40, true, undefined],
    ],
  );
});

test("slapd: a failed bind makes the connection anonymous again; SEARCH RESULT with err≠0 is a failure", () => {
  const state = slapdParser.createState();
  const out = [
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 fd=12 ACCEPT from IP=192.0.2.1:40000 (IP=0.0.0.0:389)",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=com" method=128',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=0 RESULT tag=97 err=0 text=",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=1 BIND dn="uid=bob,ou=people,dc=example,dc=com" method=128',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=1 RESULT tag=97 err=49 text=",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=2 SRCH base="ou=nowhere,dc=example,dc=com" scope=2 deref=0 filter="(userPassword=*)"',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=2 SRCH attr=userPassword;binary",
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=7 op=2 SEARCH RESULT tag=101 err=32 qtime=0.000010 etime=0.000072 nentries=0 text=",
  ].flatMap((l) => parseWith(slapdParser, l, state) ?? []);
  const search = out.find((e) => e.action === "ldap_search");
  assert.equal(search?.user, "anonymous");
  assert.equal(search?.outcome, "failure");
  assert.equal(search?.reason, "no_such_object");
  assert.equal(search?.records, 0);
  assert.equal(search?.attrs?.password_attrs, true);
  assert.equal(search?.attrs?.err, 32);
});

test("slapd: searches without a result are emitted on close / abandon / flush: outcome unknown, no records", () => {
  const state = slapdParser.createState();
  const lines = [
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=9 fd=12 ACCEPT from IP=203.0.113.7:50000 (IP=0.0.0.0:389)",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=9 op=0 SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(objectClass=*)"',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=9 op=0 SRCH attr=*",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=9 op=1 SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(mail=*)"',
    "Jun 17 03:12:46 ldap1 slapd[900]: conn=9 op=2 ABANDON msg=1",
    "Jun 17 03:12:47 ldap1 slapd[900]: conn=9 fd=12 closed (connection lost)",
  ];
  const out = lines.map((l, i) => parseWith(slapdParser, l, state, i));
  assert.deepEqual(out.slice(0, 4), [[], [], [], []]);
  assert.deepEqual(
    [...(out[4] ?? []), ...(out[5] ?? [])].map((e) => [
      e.object,
      e.outcome,
      e.records,
      e.attrs?.result,
      e.from?.position,
    ]),
    [
      ["dc=example,dc=com?sub?(mail=*)", "unknown", undefined, "abandoned", 3],
      ["dc=example,dc=com?sub?(objectClass=*)", "unknown", undefined, "none", 1],
    ],
  );
  assert.equal(out[5]?.[0]?.from?.ts, Date.UTC(2026, 5, 17, 3, 12, 45));
  // flush: the same for connections still open at the end of the stream
  const open = slapdParser.createState();
  parseWith(slapdParser, lines[1] as string, open);
  assert.equal(slapdParser.flush?.(open)[0]?.attrs?.result, "none");
  assert.deepEqual(slapdParser.flush?.(open), []);
});

test("slapd: a hostile filter with quotes and fake fields stays the filter; the base ends at its closing quote", () => {
  const state = slapdParser.createState();
  const out = [
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=10 fd=12 ACCEPT from IP=192.0.2.9:40001 (IP=0.0.0.0:389)",
    'Jun 17 03:12:45 ldap1 slapd[900]: conn=10 op=0 SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(cn=x" scope=0 deref=0 filter="(uid=y)"',
    "Jun 17 03:12:45 ldap1 slapd[900]: conn=10 op=0 SEARCH RESULT tag=101 err=0 nentries=3 text=",
  ].flatMap((l) => parseWith(slapdParser, l, state) ?? []);
  assert.equal(out[0]?.object, 'dc=example,dc=com?sub?(cn=x" scope=0 deref=0 filter="(uid=y)');
  assert.equal(out[0]?.src_ip, "192.0.2.9");
});

test("slapd: pending searches per connection are capped", () => {
  const state = slapdParser.createState();
  for (let op = 0; op < MAX_SEARCHES_PER_CONNECTION + 5; op++) {
    parseWith(
      slapdParser,
      `Jun 17 03:12:45 ldap1 slapd[900]: conn=11 op=${op} SRCH base="dc=x" scope=2 deref=0 filter="(uid=*)"`,
      state,
    );
  }
  assert.equal(state.connections.get(11)?.searches?.size, MAX_SEARCHES_PER_CONNECTION);
});
