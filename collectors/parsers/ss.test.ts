// The ss socket-table parser against REAL `ss` output captured on Debian 12
// (iproute2 6.1, Linux 6.x): node clients and listeners on 192.0.2.2 (TEST-NET-1,
// outside the default internal networks), fd00::2 (ULA: internal by default)
// and 127.0.0.2 (a loopback alias the tests may treat as external), a socket
// shared by bash and two sleeps, an orphaned socket draining in FIN-WAIT-1,
// `ss` run as an unprivileged user (no users field), and processes with
// hostile names. Lines a test marks "Derived" or "Forged" are edited copies of
// these (for cases a live capture cannot produce on demand); every other line
// is verbatim, minus the padding `ss` adds at line ends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventId, validateEvent } from "../../events/event.js";
import {
  createSsState,
  DEFAULT_INTERNAL_NETWORKS,
  NetworkSet,
  parseSsLine,
  type SsState,
  ssClosedHeader,
  ssParser,
  ssSampleHeader,
} from "./ss.js";
import { ParserOptionError, type PartialEvent } from "./types.js";

/** Three samples 5 s apart, `ss -tinpeHnO` with the poller's state filter (the header lines added). */
const SAMPLES_ONE_LINE = `# ss sample ts=2026-06-17T03:12:45.000Z
LISTEN 0      511             192.0.2.2:41400            0.0.0.0:*     users:(("node",pid=32493,fd=19)) ino:98360 sk:a2 cgroup:/ <-> bbr cwnd:10
ESTAB  0      0               192.0.2.2:41400          192.0.2.2:33076 users:(("node",pid=32493,fd=29)) ino:97612 sk:a3 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:308 lastrcv:308 lastack:308 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB  0      0               192.0.2.2:41400          192.0.2.2:33064 users:(("node",pid=32493,fd=28)) ino:97610 sk:a4 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:320 lastrcv:320 lastack:320 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB  0      0               192.0.2.2:41400          192.0.2.2:33056 users:(("node",pid=32493,fd=27)) ino:97608 sk:a5 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.02/0.01 ato:40 mss:32768 pmtu:65535 rcvmss:1000 advmss:65483 cwnd:10 bytes_received:1000 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.02) send 131072000000bps lastsnd:328 lastrcv:324 lastack:324 pacing_rate 374584320000bps delivered:1 app_limited rcv_rtt:5 rcv_space:65483 rcv_ssthresh:70173 minrtt:0.02 snd_wnd:65536
ESTAB  0      0               192.0.2.2:41400          192.0.2.2:33050 users:(("node",pid=32493,fd=24)) ino:98373 sk:a6 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.032/0.016 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:15 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.032) send 81920000000bps lastsnd:832 lastrcv:832 lastack:832 pacing_rate 234115200000bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.032 snd_wnd:65536
ESTAB  0      0               192.0.2.2:33050          192.0.2.2:41400 users:(("sleep",pid=32508,fd=3),("sleep",pid=32507,fd=3),("bash",pid=32505,fd=3)) ino:97571 sk:a7 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.011 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:15 bytes_acked:16 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:832 lastrcv:832 lastack:832 pacing_rate 325457073128bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB  0      0               192.0.2.2:33056          192.0.2.2:41400 users:(("exfil-test",pid=32504,fd=18)) ino:97607 sk:a8 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.022/0.009 mss:35328 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:1000 bytes_acked:1001 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:10870144768bps,mrtt:0.022,pacing_gain:2.88672,cwnd_gain:2.88672) send 141312000000bps lastsnd:324 lastrcv:328 lastack:324 pacing_rate 340250598768bps delivery_rate 10870153840bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.022 snd_wnd:70656
ESTAB  0      0               192.0.2.2:33064          192.0.2.2:41400 users:(("x",pid=1,fd=3",pid=32506,fd=18)) ino:97609 sk:a9 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.019/0.007 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:12483046872bps,mrtt:0.019,pacing_gain:2.88672,cwnd_gain:2.88672) send 151767578947bps lastsnd:320 lastrcv:320 lastack:320 pacing_rate 393974361080bps delivery_rate 12483047616bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.019 snd_wnd:65536
ESTAB  0      0               192.0.2.2:33076          192.0.2.2:41400 users:(("a
ESTAB b",pid=32509,fd=18)) ino:97611 sk:aa cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.008 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:11397562496bps,mrtt:0.021,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:308 lastrcv:308 lastack:308 pacing_rate 356452999728bps delivery_rate 11397565216bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.021 snd_wnd:65536
LISTEN 0      511                     *:41401                  *:*     users:(("node",pid=32493,fd=20)) ino:98361 sk:ab cgroup:/ v6only:0 <-> bbr cwnd:10
ESTAB  0      0      [::ffff:192.0.2.2]:55852 [::ffff:192.0.2.2]:41401 users:(("node",pid=32493,fd=22)) ino:98371 sk:ac cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.015/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:14 bytes_received:13 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 192238933333bps lastsnd:796 lastrcv:796 lastack:796 pacing_rate 440324293784bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB  0      0               [fd00::2]:41401          [fd00::2]:33276 users:(("node",pid=32493,fd=26)) ino:98375 sk:ad cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.031/0.017 ato:40 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:11 bytes_sent:13 bytes_acked:13 bytes_received:10 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 93018838710bps lastsnd:796 lastrcv:796 lastack:796 pacing_rate 214048170096bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.007 snd_wnd:65536
ESTAB  0      0      [::ffff:192.0.2.2]:41401 [::ffff:192.0.2.2]:55852 users:(("node",pid=32493,fd=25)) ino:98374 sk:ae cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.023/0.012 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:13 bytes_received:13 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 bbr:(bw:17476265624bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 125373217391bps lastsnd:796 lastrcv:796 lastack:796 pacing_rate 299667438136bps delivery_rate 17476266664bps delivered:2 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.015 snd_wnd:65536
ESTAB  0      0               [fd00::2]:33276          [fd00::2]:41401 users:(("node",pid=32493,fd=23)) ino:98372 sk:af cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.016/0.006 ato:40 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:11 bytes_sent:10 bytes_acked:11 bytes_received:13 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:16384000000bps,mrtt:0.016,pacing_gain:2.88672,cwnd_gain:2.88672) send 180224000000bps lastsnd:796 lastrcv:796 lastack:796 pacing_rate 440203255376bps delivery_rate 16384000000bps delivered:2 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.016 snd_wnd:65536
# ss sample ts=2026-06-17T03:12:50.000Z
LISTEN 0      511              192.0.2.2:41400            0.0.0.0:*     users:(("node",pid=32493,fd=19)) ino:98360 sk:a2 cgroup:/ <-> bbr cwnd:10
ESTAB  0      0                192.0.2.2:41400          192.0.2.2:33076 users:(("node",pid=32493,fd=29)) ino:97612 sk:a3 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:828 lastrcv:828 lastack:828 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB  130021 0                192.0.2.2:41400          192.0.2.2:33078 users:(("node",pid=32493,fd=31)) ino:97998 sk:1061 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.016/0.008 ato:80 mss:32768 pmtu:65535 rcvmss:47616 advmss:65483 cwnd:10 bytes_received:195557 segs_out:4 segs_in:10 data_segs_in:7 bbr:(bw:0bps,mrtt:0.016) send 163840000000bps lastsnd:508 lastrcv:304 lastack:296 pacing_rate 468230400000bps delivered:1 app_limited rcv_rtt:0.194 rcv_space:65483 rcv_ssthresh:95232 minrtt:0.016 snd_wnd:65536
ESTAB  0      0                192.0.2.2:41400          192.0.2.2:33064 users:(("node",pid=32493,fd=28)) ino:97610 sk:a4 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:840 lastrcv:840 lastack:840 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB  0      0                192.0.2.2:41400          192.0.2.2:33056 users:(("node",pid=32493,fd=27)) ino:97608 sk:a5 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.02/0.01 ato:40 mss:32768 pmtu:65535 rcvmss:46592 advmss:65483 cwnd:10 bytes_received:251000 segs_out:7 segs_in:10 data_segs_in:8 bbr:(bw:0bps,mrtt:0.02) send 131072000000bps lastsnd:848 lastrcv:508 lastack:508 pacing_rate 374584320000bps delivered:1 app_limited rcv_rtt:1 rcv_space:141824 rcv_ssthresh:224150 minrtt:0.02 snd_wnd:65536
ESTAB  0      0                192.0.2.2:41400          192.0.2.2:33050 users:(("node",pid=32493,fd=24)) ino:98373 sk:a6 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.032/0.016 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:15 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.032) send 81920000000bps lastsnd:1352 lastrcv:1352 lastack:1352 pacing_rate 234115200000bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.032 snd_wnd:65536
ESTAB  0      0                192.0.2.2:33050          192.0.2.2:41400 users:(("sleep",pid=32508,fd=3),("sleep",pid=32507,fd=3),("bash",pid=32505,fd=3)) ino:97571 sk:a7 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.011 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:15 bytes_acked:16 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:1352 lastrcv:1352 lastack:1352 pacing_rate 325457073128bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB  0      0                192.0.2.2:33056          192.0.2.2:41400 users:(("exfil-test",pid=32504,fd=18)) ino:97607 sk:a8 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.463/0.731 mss:65483 pmtu:65535 rcvmss:536 advmss:65483 cwnd:18 bytes_sent:251000 bytes_acked:251001 segs_out:10 segs_in:8 data_segs_out:8 bbr:(bw:74837709824bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 20366203024bps lastsnd:508 lastrcv:848 lastack:508 pacing_rate 340250598768bps delivery_rate 74837714280bps delivered:9 busy:4ms rwnd_limited:4ms(100.0%) rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:224256
ESTAB  0      0                192.0.2.2:33064          192.0.2.2:41400 users:(("x",pid=1,fd=3",pid=32506,fd=18)) ino:97609 sk:a9 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.019/0.007 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:12483046872bps,mrtt:0.019,pacing_gain:2.88672,cwnd_gain:2.88672) send 151767578947bps lastsnd:840 lastrcv:840 lastack:840 pacing_rate 393974361080bps delivery_rate 12483047616bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.019 snd_wnd:65536
ESTAB  0      0                192.0.2.2:33076          192.0.2.2:41400 users:(("a
ESTAB b",pid=32509,fd=18)) ino:97611 sk:aa cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.008 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:11397562496bps,mrtt:0.021,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:828 lastrcv:828 lastack:828 pacing_rate 356452999728bps delivery_rate 11397565216bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.021 snd_wnd:65536
ESTAB  0      3723910          192.0.2.2:33078          192.0.2.2:41400 users:(("node",pid=32493,fd=30)) timer:(persist,372ms,0) ino:97997 sk:1062 cgroup:/ <-> ts sack bbr wscale:10,10 rto:208 backoff:1 rtt:6.212/12.275 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:17 bytes_sent:215525 bytes_retrans:19968 bytes_acked:195558 segs_out:10 segs_in:5 data_segs_out:7 bbr:(bw:2004881096bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 1042462331bps lastsnd:296 lastrcv:508 lastack:44 pacing_rate 499034199624bps delivery_rate 23865672bps delivered:8 busy:308ms rwnd_limited:308ms(100.0%) retrans:0/1 dsack_dups:1 rcv_space:65495 rcv_ssthresh:65495 notsent:3723910 minrtt:0.015
LISTEN 0      511                      *:41401                  *:*     users:(("node",pid=32493,fd=20)) ino:98361 sk:ab cgroup:/ v6only:0 <-> bbr cwnd:10
ESTAB  0      0       [::ffff:192.0.2.2]:55852 [::ffff:192.0.2.2]:41401 users:(("node",pid=32493,fd=22)) ino:98371 sk:ac cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.015/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:14 bytes_received:13 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 192238933333bps lastsnd:1312 lastrcv:1312 lastack:1312 pacing_rate 440324293784bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB  0      0                [fd00::2]:41401          [fd00::2]:33276 users:(("node",pid=32493,fd=26)) ino:98375 sk:ad cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.031/0.017 ato:40 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:11 bytes_sent:13 bytes_acked:13 bytes_received:10 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 93018838710bps lastsnd:1312 lastrcv:1312 lastack:1312 pacing_rate 214048170096bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.007 snd_wnd:65536
ESTAB  0      0       [::ffff:192.0.2.2]:41401 [::ffff:192.0.2.2]:55852 users:(("node",pid=32493,fd=25)) ino:98374 sk:ae cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.023/0.012 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:13 bytes_received:13 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 bbr:(bw:17476265624bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 125373217391bps lastsnd:1312 lastrcv:1312 lastack:1312 pacing_rate 299667438136bps delivery_rate 17476266664bps delivered:2 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.015 snd_wnd:65536
ESTAB  0      0                [fd00::2]:33276          [fd00::2]:41401 users:(("node",pid=32493,fd=23)) ino:98372 sk:af cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.016/0.006 ato:40 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:11 bytes_sent:10 bytes_acked:11 bytes_received:13 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:16384000000bps,mrtt:0.016,pacing_gain:2.88672,cwnd_gain:2.88672) send 180224000000bps lastsnd:1312 lastrcv:1312 lastack:1312 pacing_rate 440203255376bps delivery_rate 16384000000bps delivered:2 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.016 snd_wnd:65536
# ss sample ts=2026-06-17T03:12:55.000Z
LISTEN     0      511              192.0.2.2:41400            0.0.0.0:*     users:(("node",pid=32493,fd=19)) ino:98360 sk:a2 cgroup:/ <-> bbr cwnd:10
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33076 users:(("node",pid=32493,fd=29)) ino:97612 sk:a3 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:1140 lastrcv:1140 lastack:1140 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB      130021 0                192.0.2.2:41400          192.0.2.2:33078 users:(("node",pid=32493,fd=31)) ino:97998 sk:1061 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.016/0.008 ato:80 mss:32768 pmtu:65535 rcvmss:47616 advmss:65483 cwnd:10 bytes_received:195557 segs_out:4 segs_in:10 data_segs_in:7 bbr:(bw:0bps,mrtt:0.016) send 163840000000bps lastsnd:820 lastrcv:616 lastack:608 pacing_rate 468230400000bps delivered:1 app_limited rcv_rtt:0.194 rcv_space:65483 rcv_ssthresh:95232 minrtt:0.016 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33064 users:(("node",pid=32493,fd=28)) ino:97610 sk:a4 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:1152 lastrcv:1152 lastack:1152 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33056 users:(("node",pid=32493,fd=27)) ino:97608 sk:a5 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.02/0.01 ato:40 mss:32768 pmtu:65535 rcvmss:46592 advmss:65483 cwnd:10 bytes_received:251000 segs_out:7 segs_in:10 data_segs_in:8 bbr:(bw:0bps,mrtt:0.02) send 131072000000bps lastsnd:1160 lastrcv:820 lastack:820 pacing_rate 374584320000bps delivered:1 app_limited rcv_rtt:1 rcv_space:141824 rcv_ssthresh:224150 minrtt:0.02 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33050 users:(("node",pid=32493,fd=24)) ino:98373 sk:a6 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.032/0.016 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:15 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.032) send 81920000000bps lastsnd:1664 lastrcv:1664 lastack:1664 pacing_rate 234115200000bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.032 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33050          192.0.2.2:41400 users:(("sleep",pid=32508,fd=3),("sleep",pid=32507,fd=3),("bash",pid=32505,fd=3)) ino:97571 sk:a7 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.011 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:15 bytes_acked:16 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:1664 lastrcv:1664 lastack:1664 pacing_rate 325457073128bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33056          192.0.2.2:41400 users:(("exfil-test",pid=32504,fd=18)) ino:97607 sk:a8 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.463/0.731 mss:65483 pmtu:65535 rcvmss:536 advmss:65483 cwnd:18 bytes_sent:251000 bytes_acked:251001 segs_out:10 segs_in:8 data_segs_out:8 bbr:(bw:74837709824bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 20366203024bps lastsnd:820 lastrcv:1160 lastack:820 pacing_rate 340250598768bps delivery_rate 74837714280bps delivered:9 busy:4ms rwnd_limited:4ms(100.0%) rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:224256
ESTAB      0      0                192.0.2.2:33064          192.0.2.2:41400 users:(("x",pid=1,fd=3",pid=32506,fd=18)) ino:97609 sk:a9 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.019/0.007 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:12483046872bps,mrtt:0.019,pacing_gain:2.88672,cwnd_gain:2.88672) send 151767578947bps lastsnd:1152 lastrcv:1152 lastack:1152 pacing_rate 393974361080bps delivery_rate 12483047616bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.019 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33076          192.0.2.2:41400 users:(("a
ESTAB b",pid=32509,fd=18)) ino:97611 sk:aa cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.008 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:11397562496bps,mrtt:0.021,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:1140 lastrcv:1140 lastack:1140 pacing_rate 356452999728bps delivery_rate 11397565216bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.021 snd_wnd:65536
FIN-WAIT-1 0      3723911          192.0.2.2:33078          192.0.2.2:41400 timer:(persist,060ms,0) ino:0 sk:1062 cgroup:/ --- ts sack bbr wscale:10,10 rto:208 backoff:1 rtt:6.212/12.275 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:17 bytes_sent:215525 bytes_retrans:19968 bytes_acked:195558 segs_out:10 segs_in:5 data_segs_out:7 bbr:(bw:2004881096bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 1042462331bps lastsnd:608 lastrcv:820 lastack:356 pacing_rate 499034199624bps delivery_rate 23865672bps delivered:8 busy:620ms rwnd_limited:620ms(100.0%) retrans:0/1 dsack_dups:1 rcv_space:65495 rcv_ssthresh:65495 notsent:3723911 minrtt:0.015
LISTEN     0      511                      *:41401                  *:*     users:(("node",pid=32493,fd=20)) ino:98361 sk:ab cgroup:/ v6only:0 <-> bbr cwnd:10
ESTAB      0      0       [::ffff:192.0.2.2]:55852 [::ffff:192.0.2.2]:41401 users:(("node",pid=32493,fd=22)) ino:98371 sk:ac cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.015/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:14 bytes_received:13 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 192238933333bps lastsnd:1624 lastrcv:1624 lastack:1624 pacing_rate 440324293784bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB      0      0       [::ffff:192.0.2.2]:41401 [::ffff:192.0.2.2]:55852 users:(("node",pid=32493,fd=25)) ino:98374 sk:ae cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.023/0.012 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:13 bytes_received:13 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 bbr:(bw:17476265624bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 125373217391bps lastsnd:1624 lastrcv:1624 lastack:1624 pacing_rate 299667438136bps delivery_rate 17476266664bps delivered:2 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.015 snd_wnd:65536`;
/** The third sample again as `ss -tinpHn` prints it: two lines per socket, no -e details. */
const SAMPLE_TWO_LINE = `LISTEN     0      511              192.0.2.2:41400            0.0.0.0:*     users:(("node",pid=32493,fd=19))
	 bbr cwnd:10
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33076 users:(("node",pid=32493,fd=29))
	 bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:1148 lastrcv:1148 lastack:1148 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB      130021 0                192.0.2.2:41400          192.0.2.2:33078 users:(("node",pid=32493,fd=31))
	 bbr wscale:10,10 rto:204 rtt:0.016/0.008 ato:80 mss:32768 pmtu:65535 rcvmss:47616 advmss:65483 cwnd:10 bytes_received:195557 segs_out:4 segs_in:10 data_segs_in:7 bbr:(bw:0bps,mrtt:0.016) send 163840000000bps lastsnd:828 lastrcv:624 lastack:616 pacing_rate 468230400000bps delivered:1 app_limited rcv_rtt:0.194 rcv_space:65483 rcv_ssthresh:95232 minrtt:0.016 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33064 users:(("node",pid=32493,fd=28))
	 bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:1160 lastrcv:1160 lastack:1160 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33056 users:(("node",pid=32493,fd=27))
	 bbr wscale:10,10 rto:204 rtt:0.02/0.01 ato:40 mss:32768 pmtu:65535 rcvmss:46592 advmss:65483 cwnd:10 bytes_received:251000 segs_out:7 segs_in:10 data_segs_in:8 bbr:(bw:0bps,mrtt:0.02) send 131072000000bps lastsnd:1168 lastrcv:828 lastack:828 pacing_rate 374584320000bps delivered:1 app_limited rcv_rtt:1 rcv_space:141824 rcv_ssthresh:224150 minrtt:0.02 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33050 users:(("node",pid=32493,fd=24))
	 bbr wscale:10,10 rto:204 rtt:0.032/0.016 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:15 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.032) send 81920000000bps lastsnd:1672 lastrcv:1672 lastack:1672 pacing_rate 234115200000bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.032 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33050          192.0.2.2:41400 users:(("sleep",pid=32508,fd=3),("sleep",pid=32507,fd=3),("bash",pid=32505,fd=3))
	 bbr wscale:10,10 rto:204 rtt:0.021/0.011 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:15 bytes_acked:16 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:1672 lastrcv:1672 lastack:1672 pacing_rate 325457073128bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33056          192.0.2.2:41400 users:(("exfil-test",pid=32504,fd=18))
	 bbr wscale:10,10 rto:204 rtt:0.463/0.731 mss:65483 pmtu:65535 rcvmss:536 advmss:65483 cwnd:18 bytes_sent:251000 bytes_acked:251001 segs_out:10 segs_in:8 data_segs_out:8 bbr:(bw:74837709824bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 20366203024bps lastsnd:828 lastrcv:1168 lastack:828 pacing_rate 340250598768bps delivery_rate 74837714280bps delivered:9 busy:4ms rwnd_limited:4ms(100.0%) rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:224256
ESTAB      0      0                192.0.2.2:33064          192.0.2.2:41400 users:(("x",pid=1,fd=3",pid=32506,fd=18))
	 bbr wscale:10,10 rto:204 rtt:0.019/0.007 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:12483046872bps,mrtt:0.019,pacing_gain:2.88672,cwnd_gain:2.88672) send 151767578947bps lastsnd:1160 lastrcv:1160 lastack:1160 pacing_rate 393974361080bps delivery_rate 12483047616bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.019 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33076          192.0.2.2:41400 users:(("a
ESTAB b",pid=32509,fd=18))
	 bbr wscale:10,10 rto:204 rtt:0.021/0.008 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:11397562496bps,mrtt:0.021,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:1148 lastrcv:1148 lastack:1148 pacing_rate 356452999728bps delivery_rate 11397565216bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.021 snd_wnd:65536
FIN-WAIT-1 0      3723911          192.0.2.2:33078          192.0.2.2:41400
	 bbr wscale:10,10 rto:208 backoff:1 rtt:6.212/12.275 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:17 bytes_sent:215525 bytes_retrans:19968 bytes_acked:195558 segs_out:10 segs_in:5 data_segs_out:7 bbr:(bw:2004881096bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 1042462331bps lastsnd:616 lastrcv:828 lastack:364 pacing_rate 499034199624bps delivery_rate 23865672bps delivered:8 busy:628ms rwnd_limited:628ms(100.0%) retrans:0/1 dsack_dups:1 rcv_space:65495 rcv_ssthresh:65495 notsent:3723911 minrtt:0.015
LISTEN     0      511                      *:41401                  *:*     users:(("node",pid=32493,fd=20))
	 bbr cwnd:10
ESTAB      0      0       [::ffff:192.0.2.2]:55852 [::ffff:192.0.2.2]:41401 users:(("node",pid=32493,fd=22))
	 bbr wscale:10,10 rto:204 rtt:0.015/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:14 bytes_received:13 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 192238933333bps lastsnd:1632 lastrcv:1632 lastack:1632 pacing_rate 440324293784bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB      0      0       [::ffff:192.0.2.2]:41401 [::ffff:192.0.2.2]:55852 users:(("node",pid=32493,fd=25))
	 bbr wscale:10,10 rto:204 rtt:0.023/0.012 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:13 bytes_received:13 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 bbr:(bw:17476265624bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 125373217391bps lastsnd:1632 lastrcv:1632 lastack:1632 pacing_rate 299667438136bps delivery_rate 17476266664bps delivered:2 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.015 snd_wnd:65536`;
/** The third sample from `ss -tinpeHnO` run as an unprivileged user: no users field (the processes are root's). */
const SAMPLE_AS_NOBODY = `LISTEN     0      511              192.0.2.2:41400            0.0.0.0:*     ino:98360 sk:a2 cgroup:/ <-> bbr cwnd:10
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33076 ino:97612 sk:a3 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:1156 lastrcv:1156 lastack:1156 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB      130021 0                192.0.2.2:41400          192.0.2.2:33078 ino:97998 sk:1061 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.016/0.008 ato:80 mss:32768 pmtu:65535 rcvmss:47616 advmss:65483 cwnd:10 bytes_received:195557 segs_out:4 segs_in:10 data_segs_in:7 bbr:(bw:0bps,mrtt:0.016) send 163840000000bps lastsnd:836 lastrcv:632 lastack:624 pacing_rate 468230400000bps delivered:1 app_limited rcv_rtt:0.194 rcv_space:65483 rcv_ssthresh:95232 minrtt:0.016 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33064 ino:97610 sk:a4 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:2 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:1168 lastrcv:1168 lastack:1168 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33056 ino:97608 sk:a5 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.02/0.01 ato:40 mss:32768 pmtu:65535 rcvmss:46592 advmss:65483 cwnd:10 bytes_received:251000 segs_out:7 segs_in:10 data_segs_in:8 bbr:(bw:0bps,mrtt:0.02) send 131072000000bps lastsnd:1176 lastrcv:836 lastack:836 pacing_rate 374584320000bps delivered:1 app_limited rcv_rtt:1 rcv_space:141824 rcv_ssthresh:224150 minrtt:0.02 snd_wnd:65536
ESTAB      0      0                192.0.2.2:41400          192.0.2.2:33050 ino:98373 sk:a6 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.032/0.016 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:15 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.032) send 81920000000bps lastsnd:1680 lastrcv:1680 lastack:1680 pacing_rate 234115200000bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.032 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33050          192.0.2.2:41400 ino:97571 sk:a7 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.011 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:15 bytes_acked:16 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:1680 lastrcv:1680 lastack:1680 pacing_rate 325457073128bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33056          192.0.2.2:41400 ino:97607 sk:a8 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.463/0.731 mss:65483 pmtu:65535 rcvmss:536 advmss:65483 cwnd:18 bytes_sent:251000 bytes_acked:251001 segs_out:10 segs_in:8 data_segs_out:8 bbr:(bw:74837709824bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 20366203024bps lastsnd:836 lastrcv:1176 lastack:836 pacing_rate 340250598768bps delivery_rate 74837714280bps delivered:9 busy:4ms rwnd_limited:4ms(100.0%) rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:224256
ESTAB      0      0                192.0.2.2:33064          192.0.2.2:41400 ino:97609 sk:a9 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.019/0.007 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:12483046872bps,mrtt:0.019,pacing_gain:2.88672,cwnd_gain:2.88672) send 151767578947bps lastsnd:1168 lastrcv:1168 lastack:1168 pacing_rate 393974361080bps delivery_rate 12483047616bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.019 snd_wnd:65536
ESTAB      0      0                192.0.2.2:33076          192.0.2.2:41400 ino:97611 sk:aa cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.021/0.008 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:2 bytes_acked:3 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:11397562496bps,mrtt:0.021,pacing_gain:2.88672,cwnd_gain:2.88672) send 137313523810bps lastsnd:1156 lastrcv:1156 lastack:1156 pacing_rate 356452999728bps delivery_rate 11397565216bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.021 snd_wnd:65536
FIN-WAIT-1 0      3723911          192.0.2.2:33078          192.0.2.2:41400 timer:(persist,044ms,0) ino:0 sk:1062 cgroup:/ --- ts sack bbr wscale:10,10 rto:208 backoff:1 rtt:6.212/12.275 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:17 bytes_sent:215525 bytes_retrans:19968 bytes_acked:195558 segs_out:10 segs_in:5 data_segs_out:7 bbr:(bw:2004881096bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 1042462331bps lastsnd:624 lastrcv:836 lastack:372 pacing_rate 499034199624bps delivery_rate 23865672bps delivered:8 busy:636ms rwnd_limited:636ms(100.0%) retrans:0/1 dsack_dups:1 rcv_space:65495 rcv_ssthresh:65495 notsent:3723911 minrtt:0.015
LISTEN     0      511                      *:41401                  *:*     ino:98361 sk:ab cgroup:/ v6only:0 <-> bbr cwnd:10
ESTAB      0      0       [::ffff:192.0.2.2]:55852 [::ffff:192.0.2.2]:41401 ino:98371 sk:ac cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.015/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:14 bytes_received:13 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:37449140624bps,mrtt:0.007,pacing_gain:2.88672,cwnd_gain:2.88672) send 192238933333bps lastsnd:1640 lastrcv:1640 lastack:1640 pacing_rate 440324293784bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65536
ESTAB      0      0       [::ffff:192.0.2.2]:41401 [::ffff:192.0.2.2]:55852 ino:98374 sk:ae cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.023/0.012 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:13 bytes_acked:13 bytes_received:13 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 bbr:(bw:17476265624bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 125373217391bps lastsnd:1640 lastrcv:1640 lastack:1640 pacing_rate 299667438136bps delivery_rate 17476266664bps delivered:2 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.015 snd_wnd:65536`;
/** Processes named " bytes_acked:99", "mailer" (as nobody: uid:65534) and "a\\n\\t bytes_sent:", `ss -tinpeHO`. */
const HOSTILE_ONE_LINE = `ESTAB 0      0      192.0.2.2:41694 192.0.2.2:41410 users:((" bytes_acked:99",pid=3909,fd=18)) ino:104664 sk:b0 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.037/0.016 ato:40 mss:53760 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:5000 bytes_acked:5001 bytes_received:300 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:13873535152bps,mrtt:0.031,pacing_gain:2.88672,cwnd_gain:2.88672) send 127861621622bps lastsnd:564 lastrcv:564 lastack:564 pacing_rate 196987158232bps delivery_rate 13873548384bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.031 snd_wnd:107520
ESTAB 0      0      192.0.2.2:41698 192.0.2.2:41410 users:(("mailer",pid=3912,fd=18)) uid:65534 ino:103742 sk:b1 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.022/0.012 ato:40 mss:55296 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:7000 bytes_acked:7001 bytes_received:300 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:40215260736bps,mrtt:0.011,pacing_gain:2.88672,cwnd_gain:2.88672) send 221184000000bps lastsnd:560 lastrcv:560 lastack:560 pacing_rate 311896363608bps delivery_rate 40215272720bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.011 snd_wnd:110592
ESTAB 0      0      192.0.2.2:41714 192.0.2.2:41410 users:(("a
	 bytes_sent:",pid=3910,fd=18)) ino:103743 sk:b2 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.032/0.016 ato:40 mss:53760 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:5000 bytes_acked:5001 bytes_received:300 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:22635780024bps,mrtt:0.019,pacing_gain:2.88672,cwnd_gain:2.88672) send 147840000000bps lastsnd:552 lastrcv:552 lastack:552 pacing_rate 220162146888bps delivery_rate 22635789472bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.019 snd_wnd:107520`;
/** The same sockets as `ss -tinpeH` prints them (two lines each). */
const HOSTILE_TWO_LINE = `ESTAB 0      0      192.0.2.2:41694 192.0.2.2:41410 users:((" bytes_acked:99",pid=3909,fd=18)) ino:104664 sk:b0 cgroup:/ <->
	 ts sack bbr wscale:10,10 rto:204 rtt:0.037/0.016 ato:40 mss:53760 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:5000 bytes_acked:5001 bytes_received:300 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:13873535152bps,mrtt:0.031,pacing_gain:2.88672,cwnd_gain:2.88672) send 127861621622bps lastsnd:576 lastrcv:576 lastack:576 pacing_rate 196987158232bps delivery_rate 13873548384bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.031 snd_wnd:107520
ESTAB 0      0      192.0.2.2:41698 192.0.2.2:41410 users:(("mailer",pid=3912,fd=18)) uid:65534 ino:103742 sk:b1 cgroup:/ <->
	 ts sack bbr wscale:10,10 rto:204 rtt:0.022/0.012 ato:40 mss:55296 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:7000 bytes_acked:7001 bytes_received:300 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:40215260736bps,mrtt:0.011,pacing_gain:2.88672,cwnd_gain:2.88672) send 221184000000bps lastsnd:572 lastrcv:572 lastack:572 pacing_rate 311896363608bps delivery_rate 40215272720bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.011 snd_wnd:110592
ESTAB 0      0      192.0.2.2:41714 192.0.2.2:41410 users:(("a
	 bytes_sent:",pid=3910,fd=18)) ino:103743 sk:b2 cgroup:/ <->
	 ts sack bbr wscale:10,10 rto:204 rtt:0.032/0.016 ato:40 mss:53760 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:5000 bytes_acked:5001 bytes_received:300 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:22635780024bps,mrtt:0.019,pacing_gain:2.88672,cwnd_gain:2.88672) send 147840000000bps lastsnd:564 lastrcv:564 lastack:564 pacing_rate 220162146888bps delivery_rate 22635789472bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.019 snd_wnd:107520`;
/** Loopback: a client of 127.0.0.2 (an alias tests treat as external), its server end, and ::1 / 127.0.0.1 pairs (`ss -tinpeHO`). */
const LOOPBACK_ALIAS = `ESTAB  0      0               127.0.0.1:45288          127.0.0.2:41300 users:(("node",pid=29094,fd=21)) ino:92515 sk:1058 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.025/0.011 mss:35328 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:1000 bytes_acked:1001 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:8074970944bps,mrtt:0.024,pacing_gain:2.88672,cwnd_gain:2.88672) send 124354560000bps lastsnd:808 lastrcv:808 lastack:808 pacing_rate 311896363608bps delivery_rate 8074971424bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.024 snd_wnd:70656
ESTAB  0      0               127.0.0.2:41300          127.0.0.1:45288 users:(("node",pid=29094,fd=26)) ino:92520 sk:1052 cgroup:/ <-> ts sack bbr wscale:10,10 rto:200 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:1000 advmss:65483 cwnd:10 bytes_received:1000 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:808 lastrcv:808 lastack:808 pacing_rate 440687409024bps delivered:1 app_limited rcv_rtt:2 rcv_space:65483 rcv_ssthresh:70173 minrtt:0.017 snd_wnd:65536
ESTAB  0      0                   [::1]:32906              [::1]:41301 users:(("node",pid=29094,fd=22)) ino:92516 sk:105c cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.016/0.007 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:11 bytes_sent:6 bytes_acked:7 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:17476265624bps,mrtt:0.015,pacing_gain:2.88672,cwnd_gain:2.88672) send 180224000000bps lastsnd:808 lastrcv:808 lastack:808 pacing_rate 440203255376bps delivery_rate 17476266664bps delivered:2 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.015 snd_wnd:65536
ESTAB  0      0               127.0.0.1:55078          127.0.0.1:41301 users:(("node",pid=29094,fd=23)) ino:92517 sk:1056 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.005/0.002 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:11 bytes_sent:6 bytes_acked:7 segs_out:3 segs_in:2 data_segs_out:1 bbr:(bw:37449140624bps,mrtt:0.005,pacing_gain:2.88672,cwnd_gain:2.88672) send 576716800000bps lastsnd:808 lastrcv:808 lastack:808 pacing_rate 1497102688120bps delivery_rate 37449142856bps delivered:2 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.005 snd_wnd:65536`;

const T1 = Date.parse("2026-06-17T03:12:45.000Z");
const T2 = Date.parse("2026-06-17T03:12:50.000Z");
const HEADER = ssSampleHeader(new Date(T1));

function lineOf(text: string, n: number): string {
  const l = text.split("\n")[n - 1];
  if (l === undefined) throw new Error(`no line ${n}`);
  return l;
}

/** Feeds `lines` (positions 1..n) and returns [position, events] for the lines that emitted. */
function feed(lines: readonly string[], state: SsState = createSsState()): Array<[number, readonly PartialEvent[]]> {
  const out: Array<[number, readonly PartialEvent[]]> = [];
  lines.forEach((l, i) => {
    const r = parseSsLine(l, state, i + 1);
    assert.notEqual(r, null, `line ${i + 1} not recognized: ${l.slice(0, 80)}`);
    if (r !== null && r.length > 0) out.push([i + 1, r]);
  });
  return out;
}

/** One line per event: what the tables below assert. */
function brief(e: PartialEvent): string {
  const who = e.process === undefined ? "-" : `${e.process.name}/${e.process.pid}`;
  return `${e.action} ${e.src_ip}:${e.src_port}>${e.dst_ip}:${e.dst_port} out=${e.bytes_out} in=${e.bytes_in} ${who} ${e.attrs?.direction ?? "?"}`;
}

function briefs(fed: Array<[number, readonly PartialEvent[]]>): string[] {
  return fed.flatMap(([n, es]) => es.map((e) => `${n} ${brief(e)}`));
}

test("ss: new, growing, unchanged and orphaned sockets over three real samples", () => {
  const fed = feed(SAMPLES_ONE_LINE.split("\n"));
  assert.deepEqual(briefs(fed), [
    // Sample 1: everything is new. Server ends are inbound (their port listens);
    // the fd00::2 pair is internal (ULA) and ignored; listeners emit nothing.
    "3 conn 192.0.2.2:41400>192.0.2.2:33076 out=0 in=2 node/32493 in",
    "4 conn 192.0.2.2:41400>192.0.2.2:33064 out=0 in=2 node/32493 in",
    "5 conn 192.0.2.2:41400>192.0.2.2:33056 out=0 in=1000 node/32493 in",
    "6 conn 192.0.2.2:41400>192.0.2.2:33050 out=0 in=15 node/32493 in",
    "7 conn 192.0.2.2:33050>192.0.2.2:41400 out=15 in=0 bash/32505 out",
    "8 conn 192.0.2.2:33056>192.0.2.2:41400 out=1000 in=0 exfil-test/32504 out",
    '9 conn 192.0.2.2:33064>192.0.2.2:41400 out=2 in=0 x",pid=1,fd=3/32506 out',
    "11 conn 192.0.2.2:33076>192.0.2.2:41400 out=2 in=0 a\\nESTAB b/32509 out",
    "13 conn 192.0.2.2:55852>192.0.2.2:41401 out=13 in=13 node/32493 out",
    "15 conn 192.0.2.2:41401>192.0.2.2:55852 out=13 in=13 node/32493 in",
    // Sample 2: exfil-test sent 250000 more (both ends see it); a new
    // connection whose peer stopped reading (retransmissions, data queued).
    "20 conn 192.0.2.2:41400>192.0.2.2:33078 out=0 in=195557 node/32493 in",
    "22 conn_sample 192.0.2.2:41400>192.0.2.2:33056 out=0 in=250000 node/32493 in",
    "25 conn_sample 192.0.2.2:33056>192.0.2.2:41400 out=250000 in=0 exfil-test/32504 out",
    "29 conn 192.0.2.2:33078>192.0.2.2:41400 out=195557 in=0 node/32493 out",
    // Sample 3: nothing moved (the orphaned FIN-WAIT-1 socket's counters stand still).
  ]);
  const at = new Map(fed);
  assert.deepEqual(at.get(8), [
    {
      kind: "net",
      action: "conn",
      outcome: "success",
      src_ip: "192.0.2.2",
      src_port: 33056,
      dst_ip: "192.0.2.2",
      dst_port: 41400,
      process: { name: "exfil-test", pid: 32504, uid: 0 },
      bytes_out: 1000,
      bytes_in: 0,
      attrs: { state: "ESTAB", direction: "out", ino: 97607, first_sample: true },
      from: { ts: T1 },
    },
  ]);
  assert.deepEqual(at.get(25), [
    {
      kind: "net",
      action: "conn_sample",
      outcome: "success",
      src_ip: "192.0.2.2",
      src_port: 33056,
      dst_ip: "192.0.2.2",
      dst_port: 41400,
      process: { name: "exfil-test", pid: 32504, uid: 0 },
      bytes_out: 250000,
      bytes_in: 0,
      attrs: { state: "ESTAB", direction: "out", interval_ms: 5000 },
      from: { ts: T2 },
    },
  ]);
  // bytes_sent:215525 bytes_retrans:19968 bytes_acked:195558: the peer has
  // 195557 bytes (its bytes_received, line 20); sent counts the resent
  // 19968 twice, acked counts the SYN.
  assert.deepEqual(at.get(29), [
    {
      kind: "net",
      action: "conn",
      outcome: "success",
      src_ip: "192.0.2.2",
      src_port: 33078,
      dst_ip: "192.0.2.2",
      dst_port: 41400,
      process: { name: "node", pid: 32493, uid: 0 },
      bytes_out: 195557,
      bytes_in: 0,
      attrs: { state: "ESTAB", direction: "out", ino: 97997 },
      from: { ts: T2 },
    },
  ]);
  // A socket shared by three processes goes to the last (bash: ss writes its pid after the name).
  assert.deepEqual(at.get(7)?.[0]?.attrs, {
    state: "ESTAB",
    direction: "out",
    users: 3,
    pids: "32508,32507,32505",
    ino: 97571,
    first_sample: true,
  });
});

test("ss: every event, with an id and a time, is a valid MailEvent", () => {
  const fed = feed([...SAMPLES_ONE_LINE.split("\n"), ...HOSTILE_ONE_LINE.split("\n")]);
  assert.ok(fed.length > 10);
  for (const [n, es] of fed) {
    es.forEach((p, i) => {
      const { from, ...fields } = p;
      const raw = from?.raw ?? "line";
      const ev = {
        ...fields,
        id: eventId("mx1", "ss", from?.position ?? n, raw, i),
        ts: new Date(from?.ts ?? Number.NaN).toISOString(),
        host: "mx1",
        source: "ss",
        raw,
      };
      const v = validateEvent(ev);
      assert.ok(v.ok, `line ${n}: ${v.ok ? "" : v.reason}`);
    });
  }
});

test("ss: closed sockets are forgotten at the next sample header", () => {
  const state = createSsState({ internalNetworks: ["127.0.0.0/8"] }); // fd00::2 is external here
  const s1 = SAMPLES_ONE_LINE.split("\n");
  const fed = feed(s1, state);
  // The fd00::2 connection was closed between samples 2 and 3.
  assert.ok(briefs(fed).includes("16 conn fd00::2:33276>fd00::2:41401 out=10 in=13 node/32493 out"));
  const key = "[fd00::2]:33276 [fd00::2]:41401";
  assert.ok(state.prev.has(key), "seen in sample 2");
  assert.ok(!state.cur.has(key), "not in sample 3");
  parseSsLine(ssSampleHeader(new Date(T2 + 10_000)), state, 99);
  assert.ok(!state.prev.has(key) && !state.cur.has(key), "dropped at the header after it vanished");
  assert.equal(state.prev.size, 12, "exactly the external sockets of sample 3 are tracked");
  // Should the same socket line come back, it is a new connection with all its bytes.
  const again = parseSsLine(lineOf(SAMPLES_ONE_LINE, 34), state, 100);
  assert.equal(again?.[0]?.action, "conn");
  assert.equal(again?.[0]?.bytes_out, 10);
});

test("ss: the two-line form (ss without -O) gives the same events at the socket's first line", () => {
  const two = feed([HEADER, ...SAMPLE_TWO_LINE.split("\n")]);
  const third = SAMPLES_ONE_LINE.split("\n").slice(34);
  const one = feed([HEADER, ...third.slice(1)]);
  const strip = (fed: Array<[number, readonly PartialEvent[]]>) => fed.flatMap(([, es]) => es.map(brief));
  assert.deepEqual(strip(two), strip(one));
  assert.equal(strip(two).length, 12);
  // Reported at the socket line (position and raw span both lines), with the TCP info.
  const [pos, es] = two[0] ?? [0, []];
  assert.equal(pos, 5);
  assert.deepEqual(es[0]?.from, {
    ts: T1,
    position: 4,
    raw: `${lineOf(SAMPLE_TWO_LINE, 3)} ${lineOf(SAMPLE_TWO_LINE, 4).trim()}`,
  });
  assert.equal(es[0]?.process?.uid, undefined, "no -e: no uid");
});

test("ss: internal vs external peers, IPv4-mapped and IPv6", () => {
  const lines = [HEADER, ...LOOPBACK_ALIAS.split("\n")];
  // Default networks: all of it is loopback.
  assert.deepEqual(feed(lines), []);
  // 127.0.0.2 left out of the internal list: only the client of 127.0.0.2 is egress
  // (its server end's peer is 127.0.0.1; the ::1 and 127.0.0.1 pairs stay internal).
  const alias = feed(lines, createSsState({ internalNetworks: ["127.0.0.1/32", "::1/128"] }));
  assert.deepEqual(briefs(alias), ["2 conn 127.0.0.1:45288>127.0.0.2:41300 out=1000 in=0 node/29094 ?"]);
  // [::ffff:192.0.2.2] is reported as plain IPv4 and matched against IPv4 networks.
  const mapped = feed([HEADER, lineOf(SAMPLES_ONE_LINE, 13)], createSsState({ internalNetworks: ["192.0.2.0/24"] }));
  assert.deepEqual(mapped, []);
  const external = feed([HEADER, lineOf(SAMPLES_ONE_LINE, 13), lineOf(SAMPLES_ONE_LINE, 16)]);
  assert.deepEqual(briefs(external), ["2 conn 192.0.2.2:55852>192.0.2.2:41401 out=13 in=13 node/32493 ?"]);
  const ula = feed([HEADER, lineOf(SAMPLES_ONE_LINE, 16)], createSsState({ internalNetworks: ["10.0.0.0/8"] }));
  assert.deepEqual(briefs(ula), ["2 conn fd00::2:33276>fd00::2:41401 out=10 in=13 node/32493 ?"]);
});

test("ss: socket and pid reuse on the same 4-tuple start a new connection", () => {
  const exfil = lineOf(SAMPLES_ONE_LINE, 25); // sample 2: bytes_sent:251000 bytes_acked:251001, ino:97607
  const h2 = ssSampleHeader(new Date(T2));
  // Derived: another socket (inode) on the same 4-tuple, fewer bytes so far.
  const reusedIno = exfil
    .replace("ino:97607", "ino:99001")
    .replace("bytes_sent:251000 bytes_acked:251001", "bytes_sent:500 bytes_acked:501");
  let fed = feed([HEADER, exfil, h2, reusedIno]);
  assert.deepEqual(briefs(fed), [
    "2 conn 192.0.2.2:33056>192.0.2.2:41400 out=251000 in=0 exfil-test/32504 ?",
    "4 conn 192.0.2.2:33056>192.0.2.2:41400 out=500 in=0 exfil-test/32504 ?",
  ]);
  assert.equal(fed[1]?.[1][0]?.attrs?.reused, true);
  // Derived: a new inode but MORE bytes: still a new connection (its whole count).
  const moreIno = exfil
    .replace("ino:97607", "ino:99001")
    .replace("bytes_sent:251000 bytes_acked:251001", "bytes_sent:900000 bytes_acked:900001");
  fed = feed([HEADER, exfil, h2, moreIno]);
  assert.equal(fed[1]?.[1][0]?.bytes_out, 900000);
  assert.equal(fed[1]?.[1][0]?.action, "conn");
  // Without inodes (two-line `ss -tinpHn`): counters that went down, or another pid.
  const sock = lineOf(SAMPLE_TWO_LINE, 15);
  const info = lineOf(SAMPLE_TWO_LINE, 16);
  const lower = info.replace("bytes_sent:251000 bytes_acked:251001", "bytes_sent:7 bytes_acked:8");
  const otherPid = sock.replace("pid=32504", "pid=41999");
  fed = feed([HEADER, sock, info, h2, sock, lower, ssSampleHeader(new Date(T2 + 5000)), otherPid, lower]);
  assert.deepEqual(briefs(fed), [
    "3 conn 192.0.2.2:33056>192.0.2.2:41400 out=251000 in=0 exfil-test/32504 ?",
    "6 conn 192.0.2.2:33056>192.0.2.2:41400 out=7 in=0 exfil-test/32504 ?",
    "9 conn 192.0.2.2:33056>192.0.2.2:41400 out=7 in=0 exfil-test/41999 ?",
  ]);
  // The same inode under another pid is the same socket handed over: a sample, new owner.
  const handedOver = exfil
    .replace("pid=32504", "pid=41999")
    .replace("bytes_sent:251000 bytes_acked:251001", "bytes_sent:251100 bytes_acked:251101");
  fed = feed([HEADER, exfil, h2, handedOver]);
  assert.deepEqual(briefs(fed).slice(1), [
    "4 conn_sample 192.0.2.2:33056>192.0.2.2:41400 out=100 in=0 exfil-test/41999 ?",
  ]);
});

test("ss: hostile process names do not break attribution or counters", () => {
  // Real: comm `x",pid=1,fd=3),` — ss cuts it at the `)` and prints `("x",pid=1,fd=3",pid=32506,fd=18)`.
  const [real] = feed([HEADER, lineOf(SAMPLES_ONE_LINE, 9)]);
  assert.deepEqual(real?.[1][0]?.process, { name: 'x",pid=1,fd=3', pid: 32506, uid: 0 });
  // Real: a name holding a newline splits the line; one-line and two-line forms.
  const one = feed([HEADER, ...HOSTILE_ONE_LINE.split("\n")]);
  const two = feed([HEADER, ...HOSTILE_TWO_LINE.split("\n")]);
  const expected = [
    "conn 192.0.2.2:41694>192.0.2.2:41410 out=5000 in=300  bytes_acked:99/3909 ?",
    "conn 192.0.2.2:41698>192.0.2.2:41410 out=7000 in=300 mailer/3912 ?",
    "conn 192.0.2.2:41714>192.0.2.2:41410 out=5000 in=300 a\\n\t bytes_sent:/3910 ?",
  ];
  assert.deepEqual(
    one.flatMap(([, es]) => es.map(brief)),
    expected,
  );
  assert.deepEqual(
    two.flatMap(([, es]) => es.map(brief)),
    expected,
  );
  assert.deepEqual(one[1]?.[1][0]?.process, { name: "mailer", pid: 3912, uid: 65534 });
  assert.equal(one[2]?.[1][0]?.from?.position, 4, "reported at the socket's first line");
  const [split] = feed([HEADER, lineOf(SAMPLES_ONE_LINE, 10), lineOf(SAMPLES_ONE_LINE, 11)]);
  assert.deepEqual(split?.[1][0]?.process, { name: "a\\nESTAB b", pid: 32509, uid: 0 });
  // Derived: the part after the newline starts like a comment; it is still the name.
  const comment = lineOf(SAMPLES_ONE_LINE, 11).replace('ESTAB b",', '#",');
  const [hidden] = feed([HEADER, lineOf(SAMPLES_ONE_LINE, 10), comment]);
  assert.deepEqual(hidden?.[1][0]?.process, { name: "a\\n#", pid: 32509, uid: 0 });
  assert.equal(hidden?.[1][0]?.bytes_out, 2);
  // Forged (no real `ss` prints a `)` in a name): `x",pid=1,fd=3),("evil` reads
  // as two users; the event still goes to the pid ss wrote last, not pid 1.
  const forged = lineOf(SAMPLES_ONE_LINE, 9).replace(
    '("x",pid=1,fd=3",pid=32506',
    '("x",pid=1,fd=3),("evil",pid=32506',
  );
  const [f] = feed([HEADER, forged]);
  assert.deepEqual(f?.[1][0]?.process, { name: "evil", pid: 32506, uid: 0 });
  assert.equal(f?.[1][0]?.attrs?.users, 2);
  // Forged: a `)` inside a quoted name: no attribution, but the bytes still count.
  const broken = lineOf(SAMPLES_ONE_LINE, 9).replace('("x",pid=1,fd=3"', '("x)y"');
  const [b] = feed([HEADER, broken]);
  assert.equal(b?.[1][0]?.process, undefined);
  assert.equal(b?.[1][0]?.attrs?.users_malformed, true);
  assert.equal(b?.[1][0]?.bytes_out, 2);
});

test("ss: without a users field (ss unprivileged, orphaned sockets) events carry no process, or the last owner", () => {
  const fed = feed([HEADER, ...SAMPLE_AS_NOBODY.split("\n")]);
  assert.equal(fed.length, 12);
  for (const [, es] of fed) assert.equal(es[0]?.process, undefined);
  const fin = fed.find(([, es]) => es[0]?.attrs?.state === "FIN-WAIT-1")?.[1][0];
  assert.deepEqual(fin?.attrs, { state: "FIN-WAIT-1", direction: "out", orphan: true, first_sample: true });
  assert.equal(fin?.bytes_out, 195557);
  // Derived: the orphan of sample 3 drains after its process closed it (bytes
  // edited so that 4 MiB were delivered): attributed to its last owner.
  const drained = lineOf(SAMPLES_ONE_LINE, 47).replace(
    "bytes_sent:215525 bytes_retrans:19968 bytes_acked:195558",
    "bytes_sent:4214272 bytes_retrans:19968 bytes_acked:4194305",
  );
  const s = feed([HEADER, lineOf(SAMPLES_ONE_LINE, 29), ssSampleHeader(new Date(T2)), drained]);
  assert.deepEqual(s[1]?.[1], [
    {
      kind: "net",
      action: "conn_sample",
      outcome: "success",
      src_ip: "192.0.2.2",
      src_port: 33078,
      dst_ip: "192.0.2.2",
      dst_port: 41400,
      process: { name: "node", pid: 32493, uid: 0 },
      bytes_out: 4194304 - 195557,
      bytes_in: 0,
      attrs: { state: "FIN-WAIT-1", orphan: true, interval_ms: 5000 },
      from: { ts: T2 },
    },
  ]);
});

test("ss: past maxSockets new sockets are counted, not tracked, and reported once per sample", () => {
  const state = createSsState({ maxSockets: 3 });
  const fed = feed([...SAMPLES_ONE_LINE.split("\n").slice(0, 16), ssSampleHeader(new Date(T2))], state);
  assert.equal(fed.length, 4);
  assert.deepEqual(fed[3], [
    17,
    [
      {
        kind: "net",
        action: "conn_untracked",
        outcome: "failure",
        reason: "tracking_cap",
        attrs: { untracked: 7, max_sockets: 3 },
        from: { ts: T1 },
      },
    ],
  ]);
  assert.equal(state.prev.size, 3);
});

test("ss: headers, comments, column titles and foreign lines", () => {
  const state = createSsState();
  const sock = lineOf(SAMPLES_ONE_LINE, 8);
  assert.equal(parseSsLine(sock, state), null, "a socket line before any header has no time");
  assert.equal(parseSsLine("\t bbr cwnd:10", state), null);
  assert.deepEqual(parseSsLine("# recorded by mailwarden", state), []);
  assert.equal(parseSsLine("# ss sample ts=yesterday", state), null);
  assert.deepEqual(parseSsLine("# ss sample ts=2026-06-17T03:12:45.123Z host=mx1", state), []);
  assert.equal(state.ts, Date.parse("2026-06-17T03:12:45.123Z"));
  assert.deepEqual(parseSsLine("State      Recv-Q Send-Q Local Address:Port   Peer Address:Port Process", state), []);
  assert.equal(parseSsLine("Jun 17 03:12:45 mx1 postfix/smtpd[123]: connect from x[192.0.2.1]", state), null);
  assert.equal(parseSsLine("ESTAB 0 0 not-an-address:1 192.0.2.1:2", state), null);
  assert.equal(parseSsLine("x".repeat(20_000), state), null);
  // Still works afterwards.
  assert.equal(parseSsLine(sock, state)?.[0]?.bytes_out, 1000);
});

test("ss: parser object, options and native-format detection", () => {
  assert.equal(ssParser.id, "ss");
  assert.equal(ssParser.parse, undefined, "ss never logs through syslog");
  const native = ssParser.native;
  assert.ok(native !== undefined);
  const state = ssParser.createState({ internalNetworks: ["10.0.0.0/8"], maxSockets: 10 });
  assert.equal(state.opts.maxSockets, 10);
  assert.equal(native.detect(lineOf(SAMPLES_ONE_LINE, 8), state), false, "no header yet");
  assert.equal(native.detect(HEADER, state), true);
  assert.deepEqual(native.parse({ line: HEADER, position: "0:0" }, state), []);
  for (const l of [lineOf(SAMPLES_ONE_LINE, 8), lineOf(SAMPLES_ONE_LINE, 47), lineOf(SAMPLE_TWO_LINE, 2)]) {
    assert.equal(native.detect(l, state), true, l.slice(0, 40));
    assert.ok(native.firstChars.includes(l.charAt(0)));
  }
  for (const l of ["Sep 17 03:12:45 mx1 sshd[1]: x", "SERVICE_START pid=1", "type=SYSCALL msg=audit(1.2:3):"]) {
    assert.equal(native.detect(l, state), false, l);
  }
  assert.equal(native.continues?.(state), false);
  native.parse({ line: lineOf(SAMPLES_ONE_LINE, 10), position: 7 }, state);
  assert.equal(native.continues?.(state), true, "inside a name that holds a newline");
  native.parse({ line: lineOf(SAMPLES_ONE_LINE, 11), position: 8 }, state);
  assert.equal(native.continues?.(state), false);

  for (const bad of [
    { internalNetworks: ["10.0.0.0/33"] },
    { internalNetworks: ["mail.example"] },
    { maxSockets: 0 },
    { nets: [] },
  ]) {
    assert.throws(
      () => ssParser.createState(bad),
      (e: unknown) => e instanceof ParserOptionError && !e.message.includes("\n"),
      JSON.stringify(bad),
    );
  }
});

test("ss: internal network matching (IPv4, IPv6, prefixes)", () => {
  const defaults = NetworkSet.parse(DEFAULT_INTERNAL_NETWORKS);
  const table: Array<[string, boolean]> = [
    ["10.1.2.3", true],
    ["172.31.255.255", true],
    ["172.32.0.1", false],
    ["192.168.0.1", true],
    ["127.0.0.2", true],
    ["169.254.1.1", true],
    ["192.0.2.2", false],
    ["8.8.8.8", false],
    ["::1", true],
    ["::2", false],
    ["fe80::fc:ff:fe00:1", true],
    ["febf::1", true],
    ["fec0::1", false],
    ["fd00::2", true],
    ["fc00::1", true],
    ["2001:db8::1", false],
    ["::ffff:10.0.0.1", false], // callers normalize mapped addresses to IPv4 first
    ["999.1.1.1", false],
  ];
  for (const [ip, internal] of table) assert.equal(defaults.has(ip), internal, ip);
  const custom = NetworkSet.parse(["192.0.2.128/25", "2001:db8:0:1::/64", "198.51.100.7", "0.0.0.0/0"]);
  assert.equal(custom.has("203.0.113.9"), true, "0.0.0.0/0 matches every IPv4 address");
  assert.equal(custom.has("2001:db8:0:1:ffff::1"), true);
  assert.equal(custom.has("2001:db8:0:2::1"), false);
  const v6only = NetworkSet.parse(["2001:db8::/32", "::ffff:0:0/96"]);
  assert.equal(v6only.has("2001:db8:ffff::"), true);
  assert.equal(v6only.has("192.0.2.1"), false);
});

test("ss: a socket listed before ss found its owner is attributed at the next sample", () => {
  // Derived: the exfil-test socket of sample 1 without its users field (ss's
  // /proc scan ran before the socket existed), then as captured in sample 2.
  const first = lineOf(SAMPLES_ONE_LINE, 8).replace(' users:(("exfil-test",pid=32504,fd=18))', "");
  const unchanged = lineOf(SAMPLES_ONE_LINE, 8);
  const fed = feed([HEADER, first, ssSampleHeader(new Date(T2)), unchanged]);
  assert.deepEqual(briefs(fed), [
    "2 conn 192.0.2.2:33056>192.0.2.2:41400 out=1000 in=0 - ?",
    "4 conn_sample 192.0.2.2:33056>192.0.2.2:41400 out=0 in=0 exfil-test/32504 ?",
  ]);
  assert.deepEqual(fed[1]?.[1][0]?.attrs, { state: "ESTAB", late_attribution: true, interval_ms: 5000 });
});

// Real `ss -tinHEeO` (destroy notifications) lines of a 3 MB upload from
// 127.0.0.1 to a listener on 127.0.0.2, captured here; the ESTAB line before
// them is derived (the same socket as a sample saw it mid-upload).
const CLOSED_SERVER =
  "UNCONN 0      0      127.0.0.2:45355 127.0.0.1:46100 ino:0 sk:15d3a ts sack wscale:10,10 rto:204 rtt:0.023/0.011 ato:40 mss:32768 pmtu:65535 rcvmss:65483 advmss:65483 cwnd:11 bytes_acked:1 bytes_received:3000001 segs_out:33 segs_in:61 data_segs_in:58 send 125373217391bps lastsnd:24 pacing_rate 312153570224bps delivery_rate 16384000000bps delivered:2 app_limited rcv_rtt:0.024 rcv_space:95232";
const CLOSED_CLIENT =
  "UNCONN 0      0      127.0.0.1:46100 127.0.0.2:45355 ino:0 sk:15d3b ts sack wscale:10,10 rto:204 rtt:0.256/0.278 mss:65483 pmtu:65535 rcvmss:536 advmss:65483 cwnd:14 ssthresh:8 bytes_sent:3000000 bytes_acked:3000002 bytes_received:1 segs_out:61 segs_in:34 data_segs_out:58 send 28648812500bps lastsnd:8 lastrcv:32 lastack:8 pacing_rate 22947995712bps delivery_rate 13785894736bps delivered:59 busy:24ms";
const CLOSED_LISTENER =
  "UNCONN 0      0      127.0.0.2:45355   0.0.0.0:*     ino:0 sk:15d3c rto:1000 mss:536 cwnd:10 lastsnd:9504972 lastrcv:9504972 lastack:9504972 app_limited";
const LIVE_CLIENT =
  'ESTAB  0      0      127.0.0.1:46100 127.0.0.2:45355 users:(("exfil-test",pid=4242,fd=18)) ino:97607 sk:15d3b cgroup:/ <-> ts sack wscale:10,10 rto:204 rtt:0.256/0.278 mss:65483 cwnd:14 bytes_sent:1000000 bytes_acked:1000001 segs_out:20 segs_in:10 data_segs_out:18';

test("ss: a closed section gives a tracked socket's last bytes once, and counts short connections", () => {
  const state = createSsState({ internalNetworks: ["127.0.0.1/32"] }); // 127.0.0.2 is external
  const closedAt = ssClosedHeader(new Date(T1 + 2000));
  const fed = feed([HEADER, LIVE_CLIENT, closedAt, CLOSED_SERVER, CLOSED_CLIENT, CLOSED_LISTENER], state);
  assert.deepEqual(briefs(fed), [
    "2 conn 127.0.0.1:46100>127.0.0.2:45355 out=1000000 in=0 exfil-test/4242 ?",
    "5 conn_sample 127.0.0.1:46100>127.0.0.2:45355 out=2000000 in=1 exfil-test/4242 ?",
  ]);
  const last = fed[1]?.[1][0];
  assert.equal(last?.attrs?.closed, true);
  assert.equal(last?.from?.ts, T1 + 2000);
  assert.equal(state.cur.size + state.prev.size, 0, "a destroyed socket is forgotten");
  // The same notification again (or a connection no sample saw): a conn with all its bytes, no process.
  const short = feed([closedAt, CLOSED_CLIENT], state);
  assert.deepEqual(briefs(short), ["2 conn 127.0.0.1:46100>127.0.0.2:45355 out=3000000 in=1 - ?"]);
  assert.equal(short[0]?.[1][0]?.attrs?.closed, true);
  // The next sample header ends the section: UNCONN lines are ignored again.
  feed([ssSampleHeader(new Date(T2)), CLOSED_CLIENT], state);
  assert.equal(state.cur.size, 0);
  assert.ok(ssParser.native?.detect(closedAt, createSsState()), "auto recognizes a closed section");
});
