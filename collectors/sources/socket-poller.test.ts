// The socket poller: sample framing with an injected `ss` and clock, failure
// handling, and a live run against the real `ss` in which a process named
// exfil-test uploads 50 MB to 127.0.0.2 (a loopback alias the test declares
// external) and the parsed events must account for it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createSsState, parseSsLine } from "../parsers/ss.js";
import type { PartialEvent } from "../parsers/types.js";
import { probeSs, SocketPoller, SsUnavailableError, ssArgs } from "./socket-poller.js";
import type { SourceBatch } from "./types.js";

const SS_OUTPUT =
  'LISTEN 0      511             192.0.2.2:41400            0.0.0.0:*     users:(("node",pid=32493,fd=19)) ino:98360 sk:a2 cgroup:/ <-> bbr cwnd:10          \n' +
  'ESTAB  0      0               192.0.2.2:33056          192.0.2.2:41400 users:(("exfil-test",pid=32504,fd=18)) ino:97607 sk:a8 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.022/0.009 mss:35328 cwnd:11 bytes_sent:1000 bytes_acked:1001 segs_out:3 segs_in:2 data_segs_out:1   \n';

async function take(poller: SocketPoller, n: number): Promise<SourceBatch[]> {
  const ac = new AbortController();
  const out: SourceBatch[] = [];
  for await (const b of poller.batches(ac.signal)) {
    out.push(b);
    if (out.length === n) ac.abort();
  }
  return out;
}

test("socket poller: one batch per sample, header first, positions sample:<ts>:<n>", async () => {
  let t = Date.parse("2026-06-17T03:12:45.000Z");
  const waits: number[] = [];
  const poller = new SocketPoller({
    intervalMs: 5000,
    now: () => new Date(t),
    run: async () => SS_OUTPUT,
    wait: async (ms) => {
      waits.push(ms);
      t += 5000;
    },
  });
  assert.equal(poller.ssVersion, "injected");
  const [b1, b2] = await take(poller, 2);
  assert.deepEqual(b1?.lines, [
    { text: "# ss sample ts=2026-06-17T03:12:45.000Z", position: "sample:2026-06-17T03:12:45.000Z:0" },
    {
      text: 'LISTEN 0      511             192.0.2.2:41400            0.0.0.0:*     users:(("node",pid=32493,fd=19)) ino:98360 sk:a2 cgroup:/ <-> bbr cwnd:10',
      position: "sample:2026-06-17T03:12:45.000Z:1",
    },
    {
      text: 'ESTAB  0      0               192.0.2.2:33056          192.0.2.2:41400 users:(("exfil-test",pid=32504,fd=18)) ino:97607 sk:a8 cgroup:/ <-> ts sack bbr wscale:10,10 rto:204 rtt:0.022/0.009 mss:35328 cwnd:11 bytes_sent:1000 bytes_acked:1001 segs_out:3 segs_in:2 data_segs_out:1',
      position: "sample:2026-06-17T03:12:45.000Z:2",
    },
  ]);
  assert.equal(b2?.lines[0]?.text, "# ss sample ts=2026-06-17T03:12:50.000Z");
  assert.ok(waits.length >= 1 && waits.every((ms) => ms > 4000 && ms <= 5000), `waits ${waits}`);
  assert.equal(poller.lag(), 0);
  b1?.commit(); // nothing to persist; must not throw
});

test("socket poller: sample times always increase, even when the clock does not", async () => {
  const poller = new SocketPoller({ now: () => new Date(0), run: async () => "", wait: async () => undefined });
  const ac = new AbortController();
  const a = await poller.sample(ac.signal);
  const b = await poller.sample(ac.signal);
  assert.equal(a?.lines[0]?.position, "sample:1970-01-01T00:00:00.000Z:0");
  assert.equal(b?.lines[0]?.position, "sample:1970-01-01T00:00:00.001Z:0");
  assert.equal(b?.lines.length, 1, "an empty socket table is still a sample");
});

test("socket poller: a failed ss run is reported and skipped, never emitted as an empty sample", async () => {
  const errors: string[] = [];
  let calls = 0;
  const poller = new SocketPoller({
    intervalMs: 10,
    run: async () => {
      calls++;
      if (calls === 1) throw new Error("ss: no answer within 10 ms (killed)");
      return SS_OUTPUT;
    },
    wait: async () => undefined,
    onError: (m) => errors.push(m),
  });
  const [b] = await take(poller, 1);
  assert.deepEqual(errors, ["ss: no answer within 10 ms (killed)"]);
  assert.equal(calls, 2);
  assert.equal(b?.lines.length, 3);
});

test("socket poller: a missing ss is a one-line error at construction", () => {
  assert.throws(
    () => new SocketPoller({ ssPath: "/nonexistent/bin/ss" }),
    (e: unknown) =>
      e instanceof SsUnavailableError &&
      e.message === "socket poller: '/nonexistent/bin/ss' not found (install iproute2)" &&
      e.exitCode === 2,
  );
  assert.throws(() => new SocketPoller({ intervalMs: 0, run: async () => "" }), RangeError);
});

// The uploader: named exfil-test (process.title sets the kernel's comm, which
// `ss -p` shows), connects, waits for "go", sends SIZE bytes, then keeps the
// connection open for a while so that a sample sees the final counters.
const UPLOADER = `
process.title = "exfil-test";
const [port, size] = process.argv.slice(1).map(Number);
const s = require("node:net").connect(port, "127.0.0.2", () => process.stdout.write("ready\\n"));
process.stdin.once("data", async () => {
  const chunk = Buffer.alloc(1 << 20, 120);
  for (let sent = 0; sent < size; sent += chunk.length) {
    if (!s.write(chunk.subarray(0, Math.min(chunk.length, size - sent)))) await new Promise((r) => s.once("drain", r));
  }
  setTimeout(() => s.end(() => process.exit(0)), 600);
});
`;

test("socket poller (live ss): a 50 MB upload to an external address is counted within 5% and attributed", async (t) => {
  let oneLine: boolean;
  try {
    oneLine = probeSs().oneLine;
  } catch (e) {
    t.skip(`ss unavailable: ${(e as Error).message}`);
    return;
  }
  const SIZE = 50 * 1024 * 1024;
  const server = createServer((sock) => sock.resume());
  server.listen(0, "127.0.0.2");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const child = spawn(process.execPath, ["-e", UPLOADER, String(port), String(SIZE)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const events: PartialEvent[] = [];
  const positions: string[] = [];
  const state = createSsState({ internalNetworks: ["127.0.0.1/32", "::1/128"] });
  const poller = new SocketPoller({ intervalMs: 100 });
  const ac = new AbortController();
  const pump = (async () => {
    for await (const batch of poller.batches(ac.signal)) {
      for (const line of batch.lines) {
        positions.push(line.position);
        const r = parseSsLine(line.text, state, line.position);
        if (r !== null) events.push(...r);
      }
    }
  })();
  try {
    await once(child.stdout, "data"); // connected
    await sleep(250);
    child.stdin.write("go\n");
    await exited;
    await sleep(350); // a few more samples: the socket is gone
  } finally {
    ac.abort();
    await pump;
    server.close();
    child.kill();
  }
  assert.equal(child.exitCode, 0);
  const mine = events.filter((e) => e.dst_ip === "127.0.0.2" && e.dst_port === port);
  assert.ok(mine.length >= 2, `events: ${mine.length}`);
  assert.equal(mine[0]?.action, "conn");
  for (const e of mine) {
    assert.equal(e.src_ip, "127.0.0.1");
    assert.equal(e.kind, "net");
    // `ss -p` maps owners before it lists sockets: a socket opened in between
    // is listed once without one, and the next sample names it (late_attribution).
    if (e.process === undefined && e.action === "conn") continue;
    assert.deepEqual(e.process, { name: "exfil-test", pid: child.pid, uid: 0 });
  }
  if (mine[0]?.process === undefined) assert.equal(mine[1]?.attrs?.late_attribution, true);
  const sent = mine.reduce((sum, e) => sum + (e.bytes_out ?? 0), 0);
  t.diagnostic(`counted ${sent} of ${SIZE} bytes in ${mine.length} events`);
  assert.ok(Math.abs(sent - SIZE) <= SIZE * 0.05, `counted ${sent} of ${SIZE} bytes`);
  // The server end (peer 127.0.0.1: internal) emits nothing.
  assert.equal(events.filter((e) => e.src_port === port).length, 0, "the listener's end of the connection is internal");
  assert.ok(positions.every((p) => /^sample:\d{4}-\d\d-\d\dT[\d:.]+Z:\d+$/.test(p)));
  assert.deepEqual(ssArgs(oneLine).slice(0, 1), [oneLine ? "-tinpeHO" : "-tinpeH"]);
});
