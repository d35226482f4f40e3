// The socket poller's samples on every host, every SAMPLE_MS and right after a
// registered flow opens: the long-lived internal service connections (Dovecot
// → LDAP, Roundcube → IMAP/LDAP/DB/SMTP, Postfix → DB, relays), a handful of
// client connections, outbound SMTP on the relays — plus whatever flows noise
// and attacks registered (backup, exfiltration).
import { type Activity, flowRow, HOUR_MS, type Sim } from "../context.js";
import { type ListenRow, type SocketRow, ssHeader, ssListen, ssSocket } from "../formats/ss.js";
import { type Host, mix } from "../platform.js";
import { REMOTE_MX } from "../services.js";
import { activity } from "./habits.js";

export const SAMPLE_MS = 5 * 60_000;
/** The agent's socket poller interval (its default). */
const POLL_MS = 5000;

export const DOVECOT = "/system.slice/dovecot.service";
export const POSTFIX = "/system.slice/system-postfix.slice/postfix@-.service";
export const PHP_FPM = "/system.slice/php8.2-fpm.service";
const NGINX = "/system.slice/nginx.service";

/** The listening sockets of a host's services (the parser tells inbound from outbound by them). */
function listenersOf(h: Host): ListenRow[] {
  const rows: ListenRow[] = [{ port: 22, process: "sshd", pid: 788, ino: 20_001, cgroup: "/system.slice/ssh.service" }];
  if (h.roles.includes("imap")) {
    for (const port of [110, 143, 993, 995])
      rows.push({ port, process: "dovecot", pid: 1001, ino: 21_000 + port, cgroup: DOVECOT });
  }
  if (h.roles.includes("mx")) rows.push({ port: 25, process: "master", pid: 1280, ino: 22_025, cgroup: POSTFIX });
  if (h.roles.includes("submission"))
    rows.push({ port: 587, process: "master", pid: 1280, ino: 22_587, cgroup: POSTFIX });
  if (h.roles.includes("webmail")) rows.push({ port: 443, process: "nginx", pid: 690, ino: 23_443, cgroup: NGINX });
  if (h.roles.includes("ldap"))
    rows.push({ port: 389, process: "slapd", pid: 812, ino: 24_389, cgroup: "/system.slice/slapd.service" });
  if (h.roles.includes("db"))
    rows.push({ port: 3306, process: "mariadbd", pid: 903, ino: 25_306, cgroup: "/system.slice/mariadb.service" });
  return rows;
}

interface Link {
  process: string;
  pid: number;
  uid: number;
  cgroup: string;
  peer: Host;
  peerPort: number;
  /** Bytes out / in per hour at activity 1. */
  outPerHour: number;
  inPerHour: number;
}

function linksOf(sim: Sim, h: Host): Link[] {
  const p = sim.platform;
  const links: Link[] = [];
  const svc = sim.svc;
  if (h.roles.includes("imap") || h.roles.includes("submission")) {
    links.push({
      process: "auth",
      pid: 1102,
      uid: 0,
      cgroup: DOVECOT,
      peer: svc.ldapFor(h),
      peerPort: 389,
      outPerHour: 900_000,
      inPerHour: 2_400_000,
    });
  }
  if (h.roles.includes("mx")) {
    links.push({
      process: "proxymap",
      pid: 1290,
      uid: 107,
      cgroup: POSTFIX,
      peer: svc.dbFor(h),
      peerPort: 3306,
      outPerHour: 300_000,
      inPerHour: 600_000,
    });
    const imap = p.byRole.imap[h.index % p.byRole.imap.length] as Host;
    links.push({
      process: "lmtp",
      pid: 1291,
      uid: 107,
      cgroup: POSTFIX,
      peer: imap,
      peerPort: 24,
      outPerHour: 60_000_000,
      inPerHour: 200_000,
    });
  }
  if (h.roles.includes("webmail")) {
    const imap = p.byRole.imap[h.index % p.byRole.imap.length] as Host;
    links.push({
      process: "php-fpm8.2",
      pid: 7021,
      uid: 33,
      cgroup: PHP_FPM,
      peer: imap,
      peerPort: 143,
      outPerHour: 2_000_000,
      inPerHour: 40_000_000,
    });
    links.push({
      process: "php-fpm8.2",
      pid: 7022,
      uid: 33,
      cgroup: PHP_FPM,
      peer: svc.dbFor(h),
      peerPort: 3306,
      outPerHour: 400_000,
      inPerHour: 900_000,
    });
    const smtp = p.byRole.submission[h.index % p.byRole.submission.length] as Host;
    links.push({
      process: "php-fpm8.2",
      pid: 7023,
      uid: 33,
      cgroup: PHP_FPM,
      peer: smtp,
      peerPort: 587,
      outPerHour: 6_000_000,
      inPerHour: 30_000,
    });
  }
  if (h.roles.includes("backup")) {
    for (const db of p.byRole.db) {
      links.push({
        process: "ssh",
        pid: 2210,
        uid: 0,
        cgroup: "/system.slice/cron.service",
        peer: db,
        peerPort: 22,
        outPerHour: 50_000,
        inPerHour: 3_000_000,
      });
    }
  }
  return links;
}

export function egressActivity(sim: Sim): Activity {
  const rng = sim.rng.fork("normal/egress");
  const links = new Map(sim.platform.hosts.map((h) => [h.name, linksOf(sim, h)]));
  return {
    name: "normal/egress",
    hour(t0, t1) {
      const hourIndex = Math.floor(t0 / HOUR_MS);
      const load = (activity(0, t0) + activity(1, t0)) / 2;
      for (const h of sim.platform.hosts) {
        const hostLinks = links.get(h.name) ?? [];
        const listen = listenersOf(h).map(ssListen);
        for (const { ts, full } of sampleTimes(h, t0, t1)) {
          const rows: SocketRow[] = [];
          const frac = (ts - t0) / HOUR_MS;
          for (const [i, l] of hostLinks.entries()) {
            // Pooled connections reconnect every hour: a new local port, counters from zero.
            rows.push({
              local: h.internalIp,
              localPort: 40000 + (mix(h.index, hourIndex, i) % 20000),
              peer: l.peer.internalIp,
              peerPort: l.peerPort,
              process: l.process,
              pid: l.pid,
              fd: 10 + i,
              uid: l.uid,
              ino: 100_000 + (mix(h.index, hourIndex, i + 100) % 800_000),
              cgroup: l.cgroup,
              bytesSent: Math.floor(l.outPerHour * load * frac),
              bytesReceived: Math.floor(l.inPerHour * load * frac),
              lastSend: 20 + rng.int(900),
            });
          }
          if (full) clientSockets(h, load, rows);
          for (const f of sim.flows) {
            if (f.host === h.name && ts >= f.start && ts < f.end) rows.push(flowRow(f, ts));
          }
          sim.out.emit(h.name, "ss", ts, [ssHeader(ts), ...listen, ...rows.map(ssSocket)].join("\n"));
        }
      }
    },
  };

  /**
   * The recorded samples (every SAMPLE_MS), and the poll right after each
   * registered flow opens: the agent polls every POLL_MS, so a new
   * connection shows within seconds, not at the next recorded sample. Those
   * extra samples leave out the short-lived client sockets (sampled at random).
   */
  function sampleTimes(h: Host, t0: number, t1: number): { ts: number; full: boolean }[] {
    const times = new Map<number, boolean>();
    for (let ts = t0 + (h.index % 60) * 1000; ts < t1; ts += SAMPLE_MS) times.set(ts, true);
    for (const f of sim.flows) {
      if (f.host !== h.name || f.start < t0 || f.start >= t1) continue;
      const ts = Math.ceil(f.start / POLL_MS) * POLL_MS;
      if (ts < t1 && ts < f.end && !times.has(ts)) times.set(ts, false);
    }
    return [...times].sort(([a], [b]) => a - b).map(([ts, full]) => ({ ts, full }));
  }

  /** A few short-lived client connections seen in this sample (new each time). */
  function clientSockets(h: Host, load: number, rows: SocketRow[]): void {
    const pub = h.publicIp;
    if (pub === undefined) return;
    const p = sim.platform;
    const n = rng.poisson(2 * load);
    for (let i = 0; i < n; i++) {
      const a = p.accounts[rng.int(p.accounts.length)];
      if (a === undefined) break;
      const peer = rng.chance(0.5) ? undefined : a;
      const ip =
        peer === undefined ? `60.70.${rng.int(250)}.${1 + rng.int(250)}` : `49.96.${rng.int(250)}.${1 + rng.int(250)}`;
      let process = "imap";
      let port = 993;
      let cgroup = DOVECOT;
      let uid = 5000;
      if (h.roles.includes("webmail")) {
        process = "nginx";
        port = 443;
        cgroup = NGINX;
        uid = 33;
      } else if (h.roles.includes("mx") && !h.roles.includes("imap")) {
        process = "smtpd";
        port = 25;
        cgroup = POSTFIX;
        uid = 107;
      } else if (h.roles.includes("submission") && !h.roles.includes("imap")) {
        process = "smtpd";
        port = 587;
        cgroup = POSTFIX;
        uid = 107;
      }
      rows.push({
        local: pub,
        localPort: port,
        peer: ip,
        peerPort: 32768 + rng.int(28000),
        process,
        pid: 30000 + rng.int(20000),
        fd: 12 + rng.int(40),
        uid,
        ino: 200_000 + rng.int(5_000_000),
        cgroup,
        bytesSent: Math.floor(rng.lognormal(process === "imap" ? 400_000 : 60_000, 1.2)),
        bytesReceived: Math.floor(rng.lognormal(8_000, 0.8)),
        lastSend: rng.int(5000),
      });
    }
    if (h.roles.includes("submission")) {
      const k = rng.poisson(1.5 * load);
      for (let i = 0; i < k; i++) {
        const mx = REMOTE_MX[rng.int(REMOTE_MX.length)];
        if (mx === undefined) break;
        rows.push({
          local: pub,
          localPort: 32768 + rng.int(28000),
          peer: mx.ip,
          peerPort: 25,
          process: "smtp",
          pid: 30000 + rng.int(20000),
          fd: 14,
          uid: 107,
          ino: 200_000 + rng.int(5_000_000),
          cgroup: POSTFIX,
          bytesSent: Math.floor(rng.lognormal(20_000, 1)),
          bytesReceived: 900 + rng.int(400),
          lastSend: rng.int(3000),
        });
      }
    }
  }
}
