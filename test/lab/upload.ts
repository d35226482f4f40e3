// A real upload for egress tests: a listener on a loopback alias that reads at
// a fixed rate (so the upload lasts several poller intervals), and an uploader
// child process with its own name (process.title sets the kernel's comm, which
// `ss -p` shows) that connects, waits for `go`, sends, and exits as soon as
// its bytes are in the kernel: the rest drains from an orphaned socket.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";

export interface SlowListener {
  server: Server;
  port: number;
  /** Bytes read so far. */
  received: () => number;
  close: () => void;
}

/** Listens on `host` and reads every connection at about `bytesPerSecond`. */
export async function slowListener(host: string, bytesPerSecond: number): Promise<SlowListener> {
  let received = 0;
  const throttle = (sock: Socket) => {
    const started = Date.now();
    let got = 0;
    sock.on("data", (b: Buffer) => {
      got += b.length;
      received += b.length;
      const early = started + (got / bytesPerSecond) * 1000 - Date.now();
      if (early > 0) {
        sock.pause();
        setTimeout(() => sock.resume(), early);
      }
    });
    sock.on("end", () => sock.end());
    sock.on("error", () => sock.destroy());
  };
  const server = createServer(throttle);
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("listener has no port");
  return { server, port: address.port, received: () => received, close: () => server.close() };
}

const UPLOADER = `
process.title = process.argv[1];
const [, , host, port, size] = process.argv;
const s = require("node:net").connect(Number(port), host, () => process.stdout.write("ready\\n"));
process.stdin.once("data", async () => {
  const chunk = Buffer.alloc(1 << 20, 120);
  for (let sent = 0; sent < Number(size); sent += chunk.length) {
    if (!s.write(chunk.subarray(0, Math.min(chunk.length, Number(size) - sent)))) {
      await new Promise((r) => s.once("drain", r));
    }
  }
  s.end(() => process.exit(0));
});
`;

/** The uploader, connected (resolves once it is); `go()` starts the upload. */
export async function startUploader(
  name: string,
  host: string,
  port: number,
  size: number,
): Promise<{ child: ChildProcessWithoutNullStreams; go: () => void }> {
  const child = spawn(process.execPath, ["-e", UPLOADER, name, host, String(port), String(size)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  await once(child.stdout, "data");
  return { child, go: () => child.stdin.write("go\n") };
}
