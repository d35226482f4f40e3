// Parse rate of the line pipeline (envelope → parser → redaction → schema), one
// core, no I/O in the timed loop. Input: a deterministic mixed corpus of
// Dovecot / Postfix / sshd lines (RFC 3164 and rsyslog ISO envelopes, auth and
// ordinary traffic), or the lines of a file.
//   node dist/bench/parse-rate.js [--lines N] [--rounds R] [FILE]
//   node dist/bench/parse-rate.js --lines N --print > corpus.log   (the corpus itself,
//     e.g. to feed the same lines to fail2ban-regex or CrowdSec for comparison)
// Prints one JSON line on stdout: lines/s, events/s and the pipeline's stats.

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createLineParser } from "../collectors/pipeline/line-parser.js";

/** Deterministic PRNG (mulberry32): the same seed gives the same corpus. */
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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function mixedCorpus(n: number, seed = 42): string[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const ip = () =>
    `${Math.floor(rnd() * 223) + 1}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 254) + 1}`;
  const user = () =>
    `${pick(["alice", "bob", "carol", "dave", "info", "admin", "sales", "test"])}${Math.floor(rnd() * 5000)}@example.net`;
  const session = () => Buffer.from(Array.from({ length: 12 }, () => Math.floor(rnd() * 256))).toString("base64");
  const pad = (x: number) => String(x).padStart(2, "0");
  const lines: string[] = [];
  let t = Date.UTC(2026, 5, 17, 3, 0, 0);
  for (let i = 0; i < n; i++) {
    t += Math.floor(rnd() * 200);
    const d = new Date(t);
    const iso = rnd() < 0.5;
    const env = (host: string, tag: string) =>
      iso
        ? `${d.toISOString().replace("Z", "123+00:00")} ${host} ${tag}: `
        : `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${host} ${tag}: `;
    const r = rnd();
    const pid = Math.floor(rnd() * 60000) + 100;
    if (r < 0.12) {
      lines.push(
        `${env("imap3", "dovecot")}imap-login: Login: user=<${user()}>, method=PLAIN, rip=${ip()}, lip=198.51.100.3, mpid=${pid}, TLS, session=<${session()}>`,
      );
    } else if (r < 0.22) {
      lines.push(
        `${env("imap3", "dovecot")}${pick(["imap", "pop3"])}-login: Aborted login (auth failed, ${1 + Math.floor(rnd() * 3)} attempts in 4 secs): user=<${user()}>, method=PLAIN, rip=${ip()}, lip=198.51.100.3, TLS, session=<${session()}>`,
      );
    } else if (r < 0.28) {
      lines.push(
        `${env("imap3", "dovecot")}imap-login: Login aborted: Connection closed (auth failed, 1 attempts in 2 secs) (auth_failed): user=<${user()}>, method=PLAIN, rip=${ip()}, lip=198.51.100.3, TLS, session=<${session()}>`,
      );
    } else if (r < 0.34) {
      lines.push(
        `${env("imap3", "dovecot")}auth: passwd-file(${user()},${ip()},<${session()}>): ${pick(["unknown user", "Password mismatch"])}`,
      );
    } else if (r < 0.4) {
      lines.push(
        `${env("imap3", "dovecot")}imap(${user()})<${pid}><${session()}>: Logged out in=${pid} out=${pid * 3} deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0`,
      );
    } else if (r < 0.48) {
      lines.push(
        `${env("mx1", `postfix/submission/smtpd[${pid}]`)}warning: unknown[${ip()}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`,
      );
    } else if (r < 0.54) {
      lines.push(
        `${env("mx1", `postfix/submission/smtpd[${pid}]`)}4Q${pid}Xyzab: client=unknown[${ip()}]:${pid}, sasl_method=PLAIN, sasl_username=${user()}`,
      );
    } else if (r < 0.62) {
      lines.push(`${env("mx1", `postfix/smtpd[${pid}]`)}${pick(["connect from", "disconnect from"])} unknown[${ip()}]`);
    } else if (r < 0.66) {
      lines.push(
        `${env("mx1", `postfix/qmgr[${pid}]`)}4Q${pid}Xyzab: from=<${user()}>, size=${pid}, nrcpt=1 (queue active)`,
      );
    } else if (r < 0.78) {
      lines.push(
        `${env("gw1", `sshd[${pid}]`)}Failed password for ${rnd() < 0.5 ? "invalid user " : ""}${pick(["root", "admin", "oracle", "ubuntu"])} from ${ip()} port ${pid} ssh2`,
      );
    } else if (r < 0.82) {
      lines.push(
        `${env("gw1", `sshd[${pid}]`)}Invalid user ${pick(["admin", "oracle", "ubuntu", "git"])} from ${ip()} port ${pid}`,
      );
    } else if (r < 0.86) {
      lines.push(
        `${env("gw1", `sshd[${pid}]`)}Accepted publickey for deploy from ${ip()} port ${pid} ssh2: ED25519 SHA256:${session()}`,
      );
    } else if (r < 0.9) {
      lines.push(
        `${env("gw1", `sshd[${pid}]`)}pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip()}  user=root`,
      );
    } else if (r < 0.94) {
      lines.push(
        `${env("gw1", `sshd[${pid}]`)}Connection closed by authenticating user root ${ip()} port ${pid} [preauth]`,
      );
    } else {
      lines.push(`${env("gw1", `CRON[${pid}]`)}pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`);
    }
  }
  // Concatenated strings are ropes; lines read from a file are flat. Flatten, to measure the real case.
  return lines.join("\n").split("\n");
}

function main(argv: string[]): void {
  let n = 500_000;
  let rounds = 3;
  let file: string | undefined;
  let print = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--print") print = true;
    else if (a === "--lines") n = Number(argv[++i]);
    else if (a === "--rounds") rounds = Number(argv[++i]);
    else if (a !== undefined) file = a;
  }
  const lines =
    file === undefined
      ? mixedCorpus(n)
      : readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l.length > 0);
  if (print) {
    process.stdout.write(`${lines.join("\n")}\n`);
    return;
  }
  const now = () => new Date(Date.UTC(2026, 5, 20));
  let best = 0;
  let last: ReturnType<ReturnType<typeof createLineParser>["stats"]> | undefined;
  for (let round = 0; round < rounds; round++) {
    const parser = createLineParser({ source: "auto", host: "bench", now });
    const start = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) parser.parseLine(lines[i] as string, i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, lines.length / seconds);
    last = parser.stats();
  }
  const events = last?.events ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      bench: "parse-rate",
      input: file ?? `mixed corpus (${lines.length} lines, seed 42)`,
      lines: lines.length,
      rounds,
      lines_per_s: Math.round(best),
      events_per_s: Math.round((best * events) / lines.length),
      stats: last,
    })}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
