// Cost of the socket poller per sample, at 1k and 10k TCP sockets:
//  - parse+diff: CPU time (process.cpuUsage) of the `ss` parser over one
//    sample of N sockets, on a synthetic but realistic `ss -tinpeHnO` table
//    (listeners; inbound IMAP/SMTP clients from the Internet; connections to
//    internal LDAP/SQL/LMTP back ends; outbound SMTP to MX hosts), samples 5 s
//    apart with growing counters and some churn. Timed after two warm-up
//    samples, so it is the steady state (diffs, not first sightings).
//  - the real `ss` call: N real loopback connections (two helper processes:
//    a listener on 127.0.0.2 and N clients from 127.0.0.1), then the poller's
//    own `ss` invocation, timed as the CPU of the child (`cutime`+`cstime` of
//    /proc/self/stat) and wall time; and the parser over that real output.
//    A helper gets a higher `ulimit -n` only when N needs it.
//   node --expose-gc dist/bench/socket-poller.js [--sizes 1000,10000] [--rounds 10] [--no-real]
// Prints one JSON document on stdout (the machine's load average with it:
// CPU times on a busy machine are inflated).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createSsState, parseSsLine, ssSampleHeader } from "../collectors/parsers/ss.js";
import { SocketPoller } from "../collectors/sources/socket-poller.js";

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sock {
  state: string;
  local: string;
  peer: string;
  users: string;
  ino: number;
  sent: number;
  received: number;
  /** Bytes per sample while active. */
  rateOut: number;
  rateIn: number;
}

const INFO_HEAD =
  "ts sack cubic wscale:7,7 rto:204 rtt:1.25/0.5 ato:40 mss:1448 pmtu:1500 rcvmss:1448 advmss:1448 cwnd:10";
const INFO_TAIL =
  "bbr:(bw:10870144768bps,mrtt:0.024,pacing_gain:2.88672,cwnd_gain:2.88672) send 92.7Mbps lastsnd:212 lastrcv:224 lastack:212 pacing_rate 185Mbps delivery_rate 80.1Mbps delivered:11 app_limited busy:4ms rcv_space:14480 rcv_ssthresh:64088 minrtt:0.9 snd_wnd:64128";

function line(s: Sock): string {
  const head = `${s.state.padEnd(6)} 0      0      ${s.local.padStart(22)} ${s.peer.padEnd(22)} `;
  if (s.state === "LISTEN")
    return `${head}${s.users} ino:${s.ino} sk:${s.ino.toString(16)} cgroup:/system.slice <-> cwnd:10`;
  const acked = s.sent > 0 ? s.sent + 1 : 0;
  const counters = [
    s.sent > 0 ? ` bytes_sent:${s.sent}` : "",
    acked > 0 ? ` bytes_acked:${acked}` : "",
    s.received > 0 ? ` bytes_received:${s.received}` : "",
  ].join("");
  const segs = Math.ceil(s.sent / 1448) + 2;
  return `${head}${s.users} ino:${s.ino} sk:${s.ino.toString(16)} cgroup:/system.slice/dovecot.service <-> ${INFO_HEAD}${counters} segs_out:${segs} segs_in:${segs} data_segs_out:${segs - 2} ${INFO_TAIL}`;
}

/** `samples` consecutive socket tables of about `n` sockets each. */
export function syntheticSamples(n: number, samples: number, seed = 7): string[][] {
  const rnd = prng(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const publicV4 = () => `${[203, 198, 185, 91, 45][int(5)]}.${int(256)}.${int(256)}.${1 + int(254)}`;
  const publicV6 = () => `[2001:db8:${int(65536).toString(16)}::${int(65536).toString(16)}]`;
  let ino = 100_000;
  let port = 32768;
  const listeners: Sock[] = [25, 587, 465, 143, 993, 110, 995, 4190].map((p) => ({
    state: "LISTEN",
    local: `0.0.0.0:${p}`,
    peer: "0.0.0.0:*",
    users: 'users:(("master",pid=1201,fd=13))',
    ino: ino++,
    sent: 0,
    received: 0,
    rateOut: 0,
    rateIn: 0,
  }));
  const make = (): Sock => {
    const r = rnd();
    const eph = () => (port = port >= 60999 ? 32768 : port + 1);
    const pid = 2000 + int(4000);
    if (r < 0.35) {
      // An IMAP/POP client from the Internet (inbound, mostly downloads).
      const svc = [993, 143, 995][int(3)] ?? 993;
      const v6 = rnd() < 0.15;
      return {
        state: "ESTAB",
        local: v6 ? `[2001:db8:ffff::10]:${svc}` : `192.0.2.10:${svc}`,
        peer: `${v6 ? publicV6() : publicV4()}:${1024 + int(64000)}`,
        users: `users:(("imap",pid=${pid},fd=${10 + int(20)}))`,
        ino: ino++,
        sent: int(200_000),
        received: int(5_000),
        rateOut: rnd() < 0.3 ? int(400_000) : 0,
        rateIn: int(800),
      };
    }
    if (r < 0.45) {
      // SMTP in from the Internet.
      return {
        state: "ESTAB",
        local: "192.0.2.10:25",
        peer: `${publicV4()}:${1024 + int(64000)}`,
        users: `users:(("smtpd",pid=${pid},fd=${10 + int(8)}),("master",pid=1201,fd=${40 + int(200)}))`,
        ino: ino++,
        sent: int(2_000),
        received: int(100_000),
        rateOut: int(300),
        rateIn: rnd() < 0.3 ? int(200_000) : 0,
      };
    }
    if (r < 0.5) {
      // SMTP out to MX hosts.
      return {
        state: "ESTAB",
        local: `192.0.2.10:${eph()}`,
        peer: `${publicV4()}:25`,
        users: `users:(("smtp",pid=${pid},fd=${10 + int(8)}))`,
        ino: ino++,
        sent: int(300_000),
        received: int(2_000),
        rateOut: rnd() < 0.4 ? int(500_000) : 0,
        rateIn: int(200),
      };
    }
    // Internal back ends: LDAP, SQL, LMTP, IMAP proxying.
    const [name, svc] = [
      ["auth", 389],
      ["auth", 3306],
      ["lmtp", 24],
      ["imap-login", 993],
    ][int(4)] as [string, number];
    return {
      state: "ESTAB",
      local: `10.1.0.10:${eph()}`,
      peer: `10.1.${int(4)}.${1 + int(200)}:${svc}`,
      users: `users:(("${name}",pid=${pid},fd=${10 + int(30)}))`,
      ino: ino++,
      sent: int(50_000),
      received: int(500_000),
      rateOut: int(2_000),
      rateIn: int(20_000),
    };
  };
  let socks: Sock[] = Array.from({ length: n - listeners.length }, make);
  const out: string[][] = [];
  const t0 = Date.UTC(2026, 5, 17, 3, 0, 0);
  for (let i = 0; i < samples; i++) {
    // As the poller has them: slices of one `ss` output, not freshly concatenated strings.
    const text = [ssSampleHeader(new Date(t0 + i * 5000)), ...listeners.map(line), ...socks.map(line)].join("\n");
    out.push(text.split("\n"));
    // Next sample: ~3% of the connections close and as many open; about a
    // third of the others move data (the rest idle: IMAP IDLE, pooled back-end links).
    socks = socks.map((s) => {
      if (rnd() < 0.03) return make();
      if (rnd() >= 0.35) return s;
      return { ...s, sent: s.sent + s.rateOut, received: s.received + s.rateIn };
    });
  }
  return out;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Parse+diff CPU per sample, steady state. */
function benchParse(n: number, rounds: number) {
  const samples = syntheticSamples(n, rounds + 2);
  const state = createSsState();
  let events = 0;
  let lines = 0;
  const cpu: number[] = [];
  samples.forEach((sample, i) => {
    const before = cpuMicros();
    let ev = 0;
    for (let k = 0; k < sample.length; k++) ev += parseSsLine(sample[k] as string, state, k)?.length ?? 0;
    const spent = cpuMicros() - before;
    if (i >= 2) {
      cpu.push(spent);
      events += ev;
      lines += sample.length;
    }
  });
  // Heap the tracked sockets hold: with them, then without them (needs --expose-gc).
  const tracked = state.cur.size;
  let bytesPerSocket: number | null = null;
  if (globalThis.gc !== undefined) {
    globalThis.gc();
    const withState = process.memoryUsage().heapUsed;
    state.cur = new Map();
    state.prev = new Map();
    state.internalPeers.clear();
    state.names.clear();
    globalThis.gc();
    bytesPerSocket = Math.round((withState - process.memoryUsage().heapUsed) / tracked);
  }
  return {
    sockets: n,
    lines_per_sample: Math.round(lines / rounds),
    tracked_sockets: tracked,
    events_per_sample: Math.round(events / rounds),
    parse_cpu_ms_per_sample: round(median(cpu) / 1000),
    parse_cpu_us_per_line: round(median(cpu) / (lines / rounds)),
    heap_bytes_per_tracked_socket: bytesPerSocket,
  };
}

function clockTicks(): number {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** CPU seconds of waited-for children (cutime + cstime). */
function childCpuSeconds(ticks: number): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / ticks;
}

function nofileLimit(): number {
  const r = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) ? n : 1024;
}

/** A node helper running `code`, with `ulimit -n` raised to `fds` only when the current limit is lower. */
function helper(code: string, args: string[], fds: number): ChildProcess {
  const node = process.execPath;
  if (nofileLimit() >= fds) return spawn(node, ["-e", code, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return spawn("sh", ["-c", `ulimit -n ${fds} && exec "$0" -e "$1" "$2" "$3"`, node, code, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

const LISTENER = `
const net = require("node:net");
const held = [];
const srv = net.createServer((s) => { held.push(s); s.resume(); });
srv.listen(0, "127.0.0.2", () => process.stdout.write(srv.address().port + "\\n"));
`;
const CLIENTS = `
const net = require("node:net");
const [port, n] = process.argv.slice(1).map(Number);
const held = [];
let open = 0;
function one() {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.2", () => { s.write(Buffer.alloc(1000 + (held.length % 7) * 1000)); resolve(); });
    s.on("error", reject);
    held.push(s);
  });
}
(async () => {
  for (let i = 0; i < n; i += 500) await Promise.all(Array.from({ length: Math.min(500, n - i) }, one));
  setTimeout(() => process.stdout.write("ready\\n"), 300);
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

async function firstLine(child: ChildProcess): Promise<string> {
  const [chunk] = (await once(child.stdout as NonNullable<ChildProcess["stdout"]>, "data")) as [Buffer];
  return chunk.toString().trim();
}

/** The real `ss` call (and the parser over its real output) with n loopback connections open. */
async function benchReal(n: number, rounds: number) {
  const fds = n + 256;
  const server = helper(LISTENER, [], fds);
  const port = await firstLine(server);
  const clients = helper(CLIENTS, [port, String(n)], fds);
  try {
    const ready = await firstLine(clients);
    if (ready !== "ready") throw new Error(`clients: ${ready}`);
    const lines: string[][] = [];
    const poller = new SocketPoller({ intervalMs: 5000, onError: (m) => process.stderr.write(`${m}\n`) });
    const ticks = clockTicks();
    const ac = new AbortController();
    const ssCpu: number[] = [];
    const ssWall: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const c0 = childCpuSeconds(ticks);
      const w0 = performance.now();
      const batch = await poller.sample(ac.signal);
      ssWall.push(performance.now() - w0);
      ssCpu.push(childCpuSeconds(ticks) - c0);
      if (batch !== undefined) lines.push(batch.lines.map((l) => l.text));
    }
    // The test's view: 127.0.0.2 is external, so the N client ends are egress
    // and the N server ends (peer 127.0.0.1) are internal.
    const state = createSsState({ internalNetworks: ["127.0.0.1/32", "::1/128"] });
    const parseCpu: number[] = [];
    let events = 0;
    for (const sample of lines) {
      const before = cpuMicros();
      let ev = 0;
      for (let k = 0; k < sample.length; k++) ev += parseSsLine(sample[k] as string, state, k)?.length ?? 0;
      parseCpu.push(cpuMicros() - before);
      events = ev;
    }
    const sumCpu = ssCpu.reduce((a, b) => a + b, 0);
    return {
      connections: n,
      ss_version: poller.ssVersion,
      ss_lines_per_sample: (lines[0]?.length ?? 1) - 1,
      ss_cpu_ms_per_call: round((sumCpu / rounds) * 1000),
      ss_cpu_resolution_ms: round(1000 / ticks),
      ss_wall_ms_per_call: round(median(ssWall)),
      parse_cpu_ms_per_sample: round(median(parseCpu.slice(1)) / 1000),
      parse_cpu_ms_first_sample: round((parseCpu[0] ?? 0) / 1000),
      events_last_sample: events,
      tracked_sockets: state.cur.size,
    };
  } finally {
    clients.kill();
    server.kill();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function main(argv: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (opt("--sizes") ?? "1000,10000").split(",").map(Number);
  const rounds = Number(opt("--rounds") ?? 10);
  const real = !argv.includes("--no-real");
  benchParse(5000, 4); // JIT warm-up, not reported
  const os = await import("node:os");
  const result: Record<string, unknown> = {
    node: process.version,
    cpus: os.cpus().length,
    load_average_1m: round(os.loadavg()[0] ?? 0),
    parse: sizes.map((n) => benchParse(n, rounds)),
  };
  if (real) {
    const out = [];
    for (const n of sizes) out.push(await benchReal(n, rounds));
    result.ss = out;
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`socket-poller bench: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
