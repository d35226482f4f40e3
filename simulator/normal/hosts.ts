// The hosts' own normal life: admins logging in from the bastion with keys,
// cron's hourly PAM account checks (which read /etc/shadow), Dovecot's auth
// process re-reading the passwd-file after the hourly provisioning sync on the
// IMAP hosts, and Roundcube's nightly garbage collection run by cron as
// www-data on the webmail hosts. These give the credential-read and
// www-data-exec baselines that an intrusion departs from.
import { type Activity, HOUR_MS, MINUTE_MS, type Sim } from "../context.js";
import { BASTION_IP, type Host } from "../platform.js";
import { localHour } from "./habits.js";

export const ADMINS = ["ops-tanaka", "ops-sato", "ops-kimura"] as const;
export const ADMIN_KEYS: Record<string, string> = {
  "ops-tanaka": "q3Jx1oO7cVbWk5m2p0aH9t8r4sYzLdEe6uNfGiKjMl0",
  "ops-sato": "Zr8Nw2Yc5Tq1Lp7Xk3Vb9Hm4Gd6Fs0Ja2Ue8Ci5Oy1",
  "ops-kimura": "Ab3De5Gh7Jk9Mn1Pq3Rs5Tu7Vw9Xy1Za3Bc5Df7Gh9",
};

export function hostActivity(sim: Sim): Activity {
  const rng = sim.rng.fork("normal/hosts");
  const svc = sim.svc;
  return {
    name: "normal/hosts",
    hour(t0) {
      const local = localHour(t0);
      for (const h of sim.platform.hosts) {
        // Cron's hourly jobs: PAM account management reads /etc/shadow.
        const tc = t0 + 17 * MINUTE_MS + (h.index % 7) * 1000;
        svc.auditRead(
          tc,
          h,
          { pid: svc.pid(h), ppid: 611, uid: 0, comm: "cron", exe: "/usr/sbin/cron" },
          "/",
          "/etc/shadow",
          "/usr/sbin/CRON -f -P",
        );
        // Admin logins during office hours (a key, then sshd's account check reads /etc/shadow).
        if (local >= 9 && local <= 19 && rng.chance(0.08)) adminLogin(h, t0 + rng.int(HOUR_MS - MINUTE_MS));
        if (h.roles.includes("imap")) {
          // The provisioning sync rewrites /etc/dovecot/users at :05; Dovecot's auth re-reads it.
          const tr = t0 + 5 * MINUTE_MS + 2000 + rng.int(30_000);
          svc.auditRead(
            tr,
            h,
            { pid: 1102, ppid: 1001, uid: 0, comm: "auth", exe: "/usr/lib/dovecot/auth" },
            "/run/dovecot",
            "/etc/dovecot/users",
            "dovecot/auth",
          );
        }
        if (h.roles.includes("webmail") && local === 3) {
          // Roundcube's nightly cleanup, started by cron as www-data.
          const tg = t0 + 30 * MINUTE_MS + (h.index % 5) * 1000;
          const shPid = svc.pid(h);
          svc.auditExec(tg, h, { pid: shPid, ppid: 611, uid: 33, comm: "sh", exe: "/usr/bin/dash" }, "/var/www", [
            "/bin/sh",
            "-c",
            "/usr/share/roundcube/bin/gc.sh",
          ]);
          svc.auditExec(
            tg + 40,
            h,
            { pid: svc.pid(h), ppid: shPid, uid: 33, comm: "php8.2", exe: "/usr/bin/php8.2" },
            "/var/www",
            ["/usr/bin/php", "/usr/share/roundcube/bin/gc.sh"],
          );
        }
      }
    },
  };

  function adminLogin(h: Host, ts: number): void {
    const admin = ADMINS[rng.int(ADMINS.length)] ?? "ops-tanaka";
    svc.sshLogin(ts, h, admin, BASTION_IP, ADMIN_KEYS[admin] ?? "");
    svc.auditRead(
      ts + 5,
      h,
      { pid: svc.pid(h), ppid: 788, uid: 0, comm: "sshd", exe: "/usr/sbin/sshd" },
      "/",
      "/etc/shadow",
      `sshd: ${admin} [priv]`,
    );
  }
}
