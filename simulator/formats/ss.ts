// Socket-table samples as the agent's socket poller records them
// (collectors/sources/socket-poller.ts): a header line `# ss sample ts=<ISO>`
// and then the output of `ss -tinpeHO state listening state established ...`
// (iproute2 6.1): one line per TCP socket with its process, uid, inode and
// TCP_INFO. `bytes_sent`/`bytes_received` are the socket's lifetime totals;
// the parser turns them into per-sample deltas.
import { iso } from "./time.js";

export interface SocketRow {
  local: string;
  localPort: number;
  peer: string;
  peerPort: number;
  process: string;
  pid: number;
  fd: number;
  uid: number;
  /** Socket inode: the same connection keeps it across samples. */
  ino: number;
  cgroup: string;
  bytesSent: number;
  bytesReceived: number;
  /** Milliseconds since the last send (TCP_INFO lastsnd). */
  lastSend: number;
}

export interface ListenRow {
  port: number;
  process: string;
  pid: number;
  ino: number;
  cgroup: string;
}

export function ssHeader(ts: number): string {
  return `# ss sample ts=${iso(ts)}`;
}

function col(s: string, width: number): string {
  return s.length >= width ? `${s} ` : s.padEnd(width);
}

function head(state: string, local: string, peer: string): string {
  return `${col(state, 6)}${col("0", 7)}${col(state === "LISTEN" ? "4096" : "0", 7)}${col(local, 22)}${col(peer, 22)}`;
}

export function ssListen(r: ListenRow): string {
  return (
    `${head("LISTEN", `0.0.0.0:${r.port}`, "0.0.0.0:*")}users:(("${r.process}",pid=${r.pid},fd=${6 + (r.port % 20)})) ` +
    `ino:${r.ino} sk:${(r.ino * 7).toString(16)} cgroup:${r.cgroup} <-> cubic cwnd:10`
  );
}

export function ssSocket(r: SocketRow): string {
  const segsOut = Math.max(1, Math.ceil(r.bytesSent / 1448)) + 2;
  const segsIn = Math.max(1, Math.ceil(r.bytesReceived / 1448)) + 2;
  const uid = r.uid === 0 ? "" : ` uid:${r.uid}`;
  return (
    `${head("ESTAB", `${r.local}:${r.localPort}`, `${r.peer}:${r.peerPort}`)}` +
    `users:(("${r.process}",pid=${r.pid},fd=${r.fd}))${uid} ino:${r.ino} sk:${(r.ino * 13).toString(16)} cgroup:${r.cgroup} <->` +
    ` ts sack cubic wscale:7,7 rto:204 rtt:1.25/0.5 ato:40 mss:1448 pmtu:1500 rcvmss:1448 advmss:1448 cwnd:10` +
    ` bytes_sent:${r.bytesSent} bytes_acked:${r.bytesSent + 1} bytes_received:${r.bytesReceived}` +
    ` segs_out:${segsOut} segs_in:${segsIn} data_segs_out:${segsOut - 2} data_segs_in:${segsIn - 2}` +
    ` send 92.7Mbps lastsnd:${r.lastSend} lastrcv:${r.lastSend + 12} lastack:${r.lastSend}` +
    ` pacing_rate 185Mbps delivery_rate 80.1Mbps delivered:${segsOut - 1} app_limited` +
    ` busy:${Math.max(1, Math.floor(segsOut / 10))}ms rcv_space:14480 rcv_ssthresh:64088 minrtt:0.9 snd_wnd:64128`
  );
}
