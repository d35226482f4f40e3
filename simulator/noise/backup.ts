// The nightly backup: at 02:00 local the backup host dumps the mailbox table
// (mysqldump as `backup`, every row including the password column) and ships
// tens of GB to the offsite backup provider over SSH. Looks like: a bulk
// credential read and a large egress — but to a known host, every night.
import { type Activity, entities, type Flow, HOUR_MS, type Label, MINUTE_MS, type Sim } from "../context.js";
import { localHour } from "../normal/habits.js";
import type { Host } from "../platform.js";
import { cidrOf, noiseLabel } from "./common.js";

export const OFFSITE_BACKUP_IP = "198.51.100.10";

export function backupNoise(sim: Sim): Activity {
  const rng = sim.rng.fork("noise/backup");
  const runs: Array<{ start: number; end: number; bytes: number; host: Host }> = [];
  return {
    name: "noise/backup",
    hour(t0) {
      if (localHour(t0) !== 2) return;
      for (const backup of sim.platform.byRole.backup) {
        const start = t0 + 2 * MINUTE_MS;
        for (const db of sim.platform.byRole.db) {
          const conn = sim.svc.openDb(start, backup, db, "backup", "postfix", undefined);
          sim.svc.dbQuery(
            start + 500,
            db,
            conn,
            "SELECT /*!40001 SQL_NO_CACHE */ * FROM `mailbox`",
            sim.platform.accounts.length,
            {
              seconds: 0.4 + sim.platform.accounts.length * 0.00001,
            },
          );
          sim.svc.closeDb(start + 5000, db, conn);
        }
        const bytes = Math.floor(rng.lognormal(25e9, 0.15) * Math.max(0.05, sim.platform.accounts.length / 100_000));
        const end = start + HOUR_MS + rng.int(40) * MINUTE_MS;
        const f: Flow = {
          host: backup.name,
          process: "borg",
          pid: 40_000 + rng.int(9000),
          fd: 5,
          uid: 0,
          cgroup: "/system.slice/borgbackup.service",
          local: backup.internalIp,
          localPort: 32768 + rng.int(28000),
          peer: OFFSITE_BACKUP_IP,
          peerPort: 22,
          start,
          end,
          bytesOut: bytes,
          bytesIn: Math.floor(bytes / 200),
        };
        sim.flows.push(f);
        runs.push({ start, end, bytes, host: backup });
      }
    },
    labels(): Label[] {
      return runs.map((r) => {
        const l = noiseLabel(
          "nightly-backup",
          r.start,
          r.end,
          `nightly backup: mysqldump of the mailbox table by 'backup', then ${(r.bytes / 1e9).toFixed(1)} GB to the offsite backup host`,
          ["ss", "mariadb-audit", "mariadb-slow"],
          ["egress.volume", "cred.bulk_read"],
          entities({
            hosts: [r.host.name, ...sim.platform.byRole.db.map((h) => h.name)],
            processes: ["borg", "mysqldump"],
            destination_ips: [OFFSITE_BACKUP_IP],
            destination_networks: [cidrOf(OFFSITE_BACKUP_IP)],
            source_ips: [r.host.internalIp],
            all_accounts: true,
          }),
        );
        return l;
      });
    },
  };
}
