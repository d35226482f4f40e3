// The story (DESIGN §1): a flaw in the webmail's PHP exploited; the account
// store read in bulk and then in chunks over days; the loot staged and sent to
// a network the platform never talked to; then logins with the stolen
// passwords from a few new networks across many accounts.
//
// Timeline (fractions of the run, so short demo runs hold all of it):
//   0.35         initial_access        php-fpm (www-data) spawns `sh -c id`, `uname -a` (auditd)
//   +10 min      credential_access     php-fpm reads /etc/dovecot/users (auditd)
//   +25 min      credential_access     LDAP: Roundcube's service DN searches userPassword of every entry (slapd)
//   +40 min      staging               tar/gzip by www-data under /var/tmp (auditd)
//   +50 min      exfiltration          php-fpm → 203.0.113.66:443, hundreds of MB over ~40 min (ss)
//   +100 min     (not labelled)        rm -rf of the staging directory (auditd): written to the
//                                      log, but process execution is not in the event model
//                                      (DESIGN §4), so no detector can be scored on it
//   0.40 → 0.85  credential_access     SQL: SELECT username, password FROM mailbox in ~20 pages (mariadb audit + slow)
//                exfiltration          after each page, tens of MB more to 203.0.113.67 (ss)
//   0.55 → end   stolen_credential_use IMAP/POP logins with stolen passwords from 3 new networks, in
//                                      sessions of ~15 accounts (not before day 2 of the run)
import {
  type Activity,
  at,
  DAY_MS,
  entities,
  type Flow,
  HOUR_MS,
  type Label,
  MINUTE_MS,
  type Sim,
} from "../context.js";
import { networkByCidr, networkOf } from "../networks.js";
import { type Account, DN_ROUNDCUBE, type Host, LDAP_PEOPLE } from "../platform.js";
import type { DbConn } from "../services.js";
import { addressPool, attackLabel, StageTrace } from "./common.js";

export const KDDI_EXFIL_IPS = ["203.0.113.66", "203.0.113.67"] as const;
const LOGIN_NETWORKS = ["45.140.0.0/16", "91.240.0.0/16", "103.140.0.0/16"] as const;
const PHP = "/usr/sbin/php-fpm8.2";

export function kddiBreach(sim: Sim, id = "kddi-breach-1", scenario = "kddi-breach"): Activity {
  const rng = sim.rng.fork(`attack/${id}`);
  const p = sim.platform;
  const web = p.byRole.webmail[0] as Host;
  const ldap = sim.svc.ldapFor(web);
  const db = sim.svc.dbFor(web);
  const accounts = p.accounts;
  const N = accounts.length;
  const tIa = at(sim, 0.35) + 13 * MINUTE_MS;
  const phpPid = 7000 + rng.int(900);
  const php = { pid: phpPid, ppid: 702, uid: 33, comm: "php-fpm8.2", exe: PHP };

  const pageSize = Math.max(50, Math.min(5000, Math.ceil(N / 20)));
  const pages = Math.ceil(N / pageSize);
  const pageStart = at(sim, 0.4);
  const pageEnd = at(sim, 0.85);
  const pageTimes = Array.from(
    { length: pages },
    (_, i) => pageStart + ((pageEnd - pageStart) * (i + rng.next() * 0.5)) / pages,
  );

  // Stolen-credential logins: victims, networks, a few addresses in each. The
  // attacker's tooling works through the list in sessions, each from one
  // network, ~15 accounts within half an hour. Sessions begin no earlier than
  // two days into the run, so that in a short run too the accounts have the
  // history of usual networks that a detector watching for weeks would have.
  const useStart = Math.min(Math.max(at(sim, 0.55), sim.start + 2 * DAY_MS + HOUR_MS), sim.end - 2 * HOUR_MS);
  const victims = rng.shuffle(accounts.slice()).slice(0, Math.max(30, Math.floor(N * 0.02)));
  const loginNets = LOGIN_NETWORKS.map((c) => networkByCidr(c));
  const loginIps = loginNets.map((n) => addressPool(rng, [n], 3 + rng.int(3)));
  const sessions = Math.max(loginNets.length, Math.round(victims.length / 15));
  const sessionStarts = Array.from(
    { length: sessions },
    () => useStart + rng.next() * (sim.end - useStart - 45 * MINUTE_MS),
  );
  const useTimes = victims.map((_, i) => (sessionStarts[i % sessions] ?? useStart) + rng.next() * 30 * MINUTE_MS);

  const stages = {
    ia: new StageTrace(),
    passwd: new StageTrace(),
    ldap: new StageTrace(),
    staging: new StageTrace(),
    exfil: new StageTrace(),
    use: loginNets.map(() => new StageTrace()),
  };
  const pageLabels: Label[] = [];
  let exfilBytes = 0;
  let dbConn: DbConn | undefined;

  const exfilFlow = (start: number, minutes: number, bytes: number, peer: string): void => {
    const f: Flow = {
      host: web.name,
      process: "php-fpm8.2",
      pid: phpPid,
      fd: 9 + rng.int(20),
      uid: 33,
      cgroup: "/system.slice/php8.2-fpm.service",
      local: web.publicIp ?? web.internalIp,
      localPort: 32768 + rng.int(28000),
      peer,
      peerPort: 443,
      start,
      end: start + minutes * MINUTE_MS,
      bytesOut: bytes,
      bytesIn: 20_000 + rng.int(50_000),
    };
    sim.flows.push(f);
    exfilBytes += bytes;
    stages.exfil.hit(start);
    stages.exfil.hit(f.end);
  };

  return {
    name: id,
    hour(t0, t1) {
      const inHour = (t: number) => t >= t0 && t < t1;
      if (inHour(tIa)) {
        const sh1 = sim.svc.pid(web);
        sim.svc.auditExec(
          tIa,
          web,
          { pid: sh1, ppid: phpPid, uid: 33, comm: "sh", exe: "/usr/bin/dash" },
          "/var/www/roundcube",
          ["sh", "-c", "id"],
        );
        sim.svc.auditExec(
          tIa + 2000,
          web,
          { pid: sim.svc.pid(web), ppid: phpPid, uid: 33, comm: "sh", exe: "/usr/bin/dash" },
          "/var/www/roundcube",
          ["sh", "-c", "uname -a; cat /etc/roundcube/config.inc.php"],
        );
        stages.ia.hit(tIa);
        stages.ia.hit(tIa + 2000);
        // The passwd-file, read by the PHP worker itself.
        const tp = tIa + 10 * MINUTE_MS;
        sim.svc.auditRead(tp, web, php, "/var/www/roundcube", "/etc/dovecot/users", "php-fpm: pool www");
        stages.passwd.hit(tp);
        // LDAP: every entry's userPassword with Roundcube's service credentials.
        const tl = tIa + 25 * MINUTE_MS;
        const lc = sim.svc.openLdap(tl, web, ldap, DN_ROUNDCUBE);
        const done = sim.svc.ldapSearch(
          tl + 300,
          ldap,
          lc,
          LDAP_PEOPLE,
          "(objectClass=inetOrgPerson)",
          ["mail", "userPassword"],
          N,
          0.3 + N * 0.00004,
        );
        sim.svc.closeLdap(done + 100, ldap, lc);
        stages.ldap.hit(tl);
        stages.ldap.hit(done);
        // Staging, exfiltration, clean-up.
        const ts = tIa + 40 * MINUTE_MS;
        const tarPid = sim.svc.pid(web);
        sim.svc.auditExec(
          ts,
          web,
          { pid: tarPid, ppid: phpPid, uid: 33, comm: "tar", exe: "/usr/bin/tar" },
          "/var/tmp/.sess_cache",
          ["tar", "czf", "/var/tmp/.sess_cache/s.tgz", "ldap.ldif", "users.txt"],
        );
        sim.svc.auditExec(
          ts + 300,
          web,
          { pid: sim.svc.pid(web), ppid: tarPid, uid: 33, comm: "gzip", exe: "/usr/bin/gzip" },
          "/var/tmp/.sess_cache",
          ["gzip"],
        );
        stages.staging.hit(ts);
        stages.staging.hit(ts + 300);
        exfilFlow(tIa + 50 * MINUTE_MS, 40, 250_000_000 + rng.int(350_000_000), KDDI_EXFIL_IPS[0]);
        const tr = tIa + 100 * MINUTE_MS;
        sim.svc.auditExec(
          tr,
          web,
          { pid: sim.svc.pid(web), ppid: phpPid, uid: 33, comm: "rm", exe: "/usr/bin/rm" },
          "/var/tmp",
          ["rm", "-rf", "/var/tmp/.sess_cache"],
        );
      }
      // SQL pages, each followed by a smaller upload.
      let lastPage = Number.NaN;
      for (const [i, t] of pageTimes.entries()) {
        if (!inHour(t)) continue;
        dbConn ??= sim.svc.openDb(t - 2000, web, db, "roundcube", "postfix", undefined);
        lastPage = t;
        const offset = i * pageSize;
        const rows = Math.min(pageSize, N - offset);
        sim.svc.dbQuery(
          t,
          db,
          dbConn,
          `SELECT username, password FROM mailbox ORDER BY username LIMIT ${pageSize} OFFSET ${offset}`,
          rows,
          { examined: N, seconds: 0.01 + N * 0.00002 },
        );
        const chunk = accounts.slice(offset, offset + rows).map((a: Account) => a.user);
        pageLabels.push(
          attackLabel(
            id,
            scenario,
            "credential_access",
            t,
            t + 1000,
            `SQL page ${i + 1}/${pages}: password column of ${rows} mailboxes read with the webmail's DB credentials`,
            ["mariadb-audit", "mariadb-slow"],
            entities({
              accounts: chunk,
              source_ips: [web.internalIp],
              hosts: [db.name, web.name],
              processes: ["php-fpm8.2"],
            }),
            { records: rows },
          ),
        );
        exfilFlow(t + 3 * MINUTE_MS, 12, 8_000_000 + rng.int(30_000_000), KDDI_EXFIL_IPS[1]);
      }
      if (dbConn !== undefined) {
        sim.svc.closeDb(lastPage + 20_000, db, dbConn);
        dbConn = undefined;
      }
      // Logins with stolen passwords.
      for (const [i, a] of victims.entries()) {
        const t = useTimes[i] ?? 0;
        if (!inHour(t)) continue;
        const k = (i % sessions) % loginNets.length;
        const ip = rng.pick(loginIps[k] ?? []);
        const changed = rng.chance(0.08);
        sim.svc.mailLogin(t, a.user, a, ip, rng.chance(0.7) ? "imap" : "pop3", changed ? 1 : 0, !changed);
        stages.use[k]?.hit(t, a.user, ip);
      }
    },
    labels(): Label[] {
      const out: Label[] = [];
      const w = web.name;
      const span = (s: StageTrace) => [s.first, s.last + 1000] as const;
      if (!stages.ia.empty) {
        out.push(
          attackLabel(
            id,
            scenario,
            "initial_access",
            ...span(stages.ia),
            "webmail PHP worker (www-data) spawns shell commands",
            ["auditd"],
            entities({ hosts: [w], processes: ["php-fpm8.2", "sh"] }),
          ),
        );
        out.push(
          attackLabel(
            id,
            scenario,
            "credential_access",
            ...span(stages.passwd),
            "the PHP worker reads the passwd-file /etc/dovecot/users",
            ["auditd"],
            entities({ hosts: [w], processes: ["php-fpm8.2"], all_accounts: true }),
          ),
        );
        out.push(
          attackLabel(
            id,
            scenario,
            "credential_access",
            ...span(stages.ldap),
            `LDAP search of userPassword for all ${N} entries by ${DN_ROUNDCUBE}`,
            ["slapd"],
            entities({
              accounts: [DN_ROUNDCUBE],
              all_accounts: true,
              source_ips: [web.internalIp],
              hosts: [ldap.name, w],
            }),
            { records: N },
          ),
        );
        out.push(
          attackLabel(
            id,
            scenario,
            "staging",
            ...span(stages.staging),
            "the loot archived under /var/tmp by www-data",
            ["auditd"],
            entities({ hosts: [w], processes: ["tar", "gzip"] }),
          ),
        );
      }
      out.push(...pageLabels);
      if (!stages.exfil.empty) {
        out.push(
          attackLabel(
            id,
            scenario,
            "exfiltration",
            ...span(stages.exfil),
            "php-fpm uploads the loot to a never-seen network over HTTPS",
            ["ss"],
            entities({
              hosts: [w],
              processes: ["php-fpm8.2"],
              destination_ips: [...KDDI_EXFIL_IPS],
              destination_networks: [networkOf(KDDI_EXFIL_IPS[0])?.cidr ?? "203.0.113.0/24"],
            }),
            { bytes: exfilBytes },
          ),
        );
      }
      for (const [k, s] of stages.use.entries()) {
        if (s.empty) continue;
        out.push(
          attackLabel(
            id,
            scenario,
            "stolen_credential_use",
            s.first,
            s.last + 1000,
            `logins with stolen passwords from ${LOGIN_NETWORKS[k]} across ${s.accounts.size} accounts`,
            ["dovecot", "slapd"],
            entities({ accounts: s.accounts, source_ips: s.ips, source_networks: [LOGIN_NETWORKS[k] ?? ""] }),
            { records: s.count },
          ),
        );
      }
      return out;
    },
  };
}
