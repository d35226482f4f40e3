// Real OpenLDAP slapd sequences (user reports in vaultwarden_ldap#78,
// NIPAP#926, bitnami/containers#63744), fed line by line through one stream
// state; every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CONNECTIONS, slapdParser } from "./slapd.js";
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

test("slapd: searches and other operations are not auth lines", () => {
  assert.equal(
    parseWith(
      slapdParser,
      'Jun 17 03:12:45 ldap1 slapd[900]: conn=8 op=1 SRCH base="dc=example,dc=com" scope=2 deref=0 filter="(uid=alice)"',
    ),
    null,
  );
});
