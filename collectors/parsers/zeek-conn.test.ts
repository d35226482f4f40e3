// Zeek conn.log lines as Zeek writes them: TSV with its header (from the
// conn.log examples of the zeek/spicy-analyzers packages: WireGuard, IPSec) and
// JSON (the Zeek manual's log-formats chapter; ISO time stamps as in Tenzir's
// read_zeek_json example). Every field asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runNative } from "./testing.js";
import type { PartialEvent } from "./types.js";
import { zeekConnParser } from "./zeek-conn.js";

const HEADER = [
  "#separator \\x09",
  "#set_separator\t,",
  "#empty_field\t(empty)",
  "#unset_field\t-",
  "#path\tconn",
  "#open\t2021-11-23-13-52-52",
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
  "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
];
const ROWS = [
  "1421270042.835161\tCHhAvVGS1DHFjwGM9\t192.168.0.10\t500\t144.76.154.114\t500\tudp\tspicy_ipsec_ike_udp\t0.032969\t880\t308\tSF\t-\t-\t0\tDd\t1\t908\t1\t336\t-",
  "1421270042.910124\tClEkJM2Vm5giqnMf4h\t192.168.0.10\t4500\t144.76.154.114\t4500\tudp\tspicy_ipsec_udp\t2.000258\t10416\t0\tS0\t-\t-\t0\tD\t3\t10500\t0\t0\t-",
];

test("zeek-conn: TSV rows after their header → net/conn events", () => {
  const out = runNative(zeekConnParser, [...HEADER, ...ROWS, "#close\t2021-11-23-13-52-52"]);
  assert.deepEqual(
    out.slice(0, HEADER.length),
    HEADER.map(() => []),
  );
  const expected: PartialEvent[][] = [
    [
      {
        kind: "net",
        action: "conn",
        outcome: "success",
        src_ip: "192.168.0.10",
        src_port: 500,
        dst_ip: "144.76.154.114",
        dst_port: 500,
        proto: "spicy_ipsec_ike_udp",
        bytes_out: 880,
        bytes_in: 308,
        attrs: { uid: "CHhAvVGS1DHFjwGM9", conn_state: "SF", duration: 0.032969, transport: "udp", history: "Dd" },
        from: { ts: 1421270042835 },
      },
    ],
    [
      {
        kind: "net",
        action: "conn",
        outcome: "failure",
        src_ip: "192.168.0.10",
        src_port: 4500,
        dst_ip: "144.76.154.114",
        dst_port: 4500,
        proto: "spicy_ipsec_udp",
        bytes_out: 10416,
        bytes_in: 0,
        attrs: { uid: "ClEkJM2Vm5giqnMf4h", conn_state: "S0", duration: 2.000258, transport: "udp", history: "D" },
        from: { ts: 1421270042910 },
      },
    ],
    [],
  ];
  assert.deepEqual(out.slice(HEADER.length), expected);
});

test("zeek-conn: unset fields, transport as proto, local_orig, a reordered header", () => {
  const out = runNative(zeekConnParser, [
    "#separator \\x09",
    "#path\tconn",
    "#fields\tuid\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig",
    "CLsSsA3HLB2N6uJwW\t1488571038.380901\t192.168.121.10\t50080\t192.168.120.10\t514\ttcp\t-\t-\t-\t-\tREJ\tT",
  ]);
  assert.deepEqual(out[3], [
    {
      kind: "net",
      action: "conn",
      outcome: "failure",
      src_ip: "192.168.121.10",
      src_port: 50080,
      dst_ip: "192.168.120.10",
      dst_port: 514,
      proto: "tcp",
      attrs: { uid: "CLsSsA3HLB2N6uJwW", conn_state: "REJ", transport: "tcp", local_orig: true },
      from: { ts: 1488571038380 },
    },
  ]);
});

test("zeek-conn: JSON lines, epoch and ISO-8601 ts, large byte counts", () => {
  const out = runNative(zeekConnParser, [
    '{"ts":1591367999.430166,"uid":"C5bLoe2Mvxqhawzqqd","id.orig_h":"192.168.4.76","id.orig_p":46378,"id.resp_h":"31.3.245.133","id.resp_p":80,"proto":"tcp","service":"http","duration":0.25411510467529297,"orig_bytes":77,"resp_bytes":295,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":397,"resp_pkts":4,"resp_ip_bytes":511}',
    '{"_path":"conn","_write_ts":"2020-02-26T04:00:03.734769Z","ts":"2020-02-26T03:40:03.724911Z","uid":"Cx3bf12iVwo5m7Gkd1","id.orig_h":"193.10.255.99","id.orig_p":6667,"id.resp_h":"141.9.40.50","id.resp_p":21,"proto":"tcp","duration":1196.975041,"orig_bytes":4831838208,"resp_bytes":0,"conn_state":"S1","local_orig":false,"local_resp":true,"missed_bytes":0,"history":"Sh","orig_pkts":194,"orig_ip_bytes":7760,"resp_pkts":191,"resp_ip_bytes":8404}',
  ]);
  assert.deepEqual(out[0], [
    {
      kind: "net",
      action: "conn",
      outcome: "success",
      src_ip: "192.168.4.76",
      src_port: 46378,
      dst_ip: "31.3.245.133",
      dst_port: 80,
      proto: "http",
      bytes_out: 77,
      bytes_in: 295,
      attrs: {
        uid: "C5bLoe2Mvxqhawzqqd",
        conn_state: "SF",
        duration: 0.25411510467529297,
        transport: "tcp",
        history: "ShADadFf",
      },
      from: { ts: 1591367999430 },
    },
  ]);
  const e = out[1]?.[0];
  assert.equal(e?.from?.ts, Date.UTC(2020, 1, 26, 3, 40, 3, 724));
  assert.equal(e?.bytes_out, 4831838208);
  assert.equal(e?.proto, "tcp");
  assert.equal(e?.attrs?.local_resp, true);
  assert.equal(e?.attrs?.local_orig, false);
});

test("zeek-conn: other logs are not ours (#path dns, JSON without conn_state), garbage rows unrecognized", () => {
  const state = zeekConnParser.createState();
  const p = (l: string) => zeekConnParser.native?.parse({ line: l, position: 0 }, state);
  assert.deepEqual(p("#separator \\x09"), []);
  assert.deepEqual(p("#path\tdns"), []);
  assert.equal(p("1488571051.943250\tCTMFXm1AcIsSnq2Ric\t192.168.121.2\t51153\t192.168.120.22\t53\tudp\t12345"), null);
  assert.equal(
    p(
      '{"ts":1591367999.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76","id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","trans_id":19671,"query":"testmyids.com"}',
    ),
    null,
  );
  assert.equal(p("{not json"), null);
  const fresh = zeekConnParser.createState();
  // Without any header: Zeek's default layout, for rows with its shape only.
  const [row] = runNative(zeekConnParser, [ROWS[0] as string], fresh);
  assert.equal(row?.[0]?.bytes_out, 880);
  assert.equal(zeekConnParser.native?.parse({ line: "1421270042.835161\tshort\trow", position: 0 }, fresh), null);
  // A hostile address field is no address.
  const bad = ROWS[0]?.replace("192.168.0.10", "192.168.0.10 rhost=6.6.6.6") as string;
  assert.equal(zeekConnParser.native?.parse({ line: bad, position: 0 }, fresh), null);
});

test("zeek-conn: auto detection of native lines (prefix checks only)", () => {
  const state = zeekConnParser.createState();
  const d = (l: string) => zeekConnParser.native?.detect(l, state);
  assert.equal(d("#separator \\x09"), true);
  assert.equal(d(ROWS[0] as string), true);
  assert.equal(d('{"ts":1591367999.430166,"uid":"x"}'), true);
  assert.equal(d('{"_path":"conn","ts":1}'), true);
  assert.equal(d('{"__CURSOR":"s=1","MESSAGE":"x"}'), false);
  assert.equal(d("2026-06-17T03:12:45.123456+00:00 mx1 postfix/smtpd[1]: connect from x"), false);
  assert.equal(d("65f2c40b.003c8fe8 0x7f5c077fe6c0 conn=1009 fd=12 closed"), false);
  assert.equal(d("20261126 11:53:05,vm,postfix,127.0.0.1,7,0,CONNECT,postfix,,0"), false);
});
