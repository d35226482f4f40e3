// A mass password-change day: the operator asks a share of subscribers to
// change their password; they do it in webmail (Roundcube's password plugin
// updates the mailbox table), and then their phones and desktop clients fail a
// few times with the old password until updated. Looks like: many accounts
// failing on the same day (spray), but each from its own usual networks.
import { type Activity, DAY_MS, entities, type Label, type Sim, within } from "../context.js";
import { clientIp } from "../normal/users.js";
import type { Account } from "../platform.js";
import { cidrOf, localDayStart, noiseLabel } from "./common.js";

export function passwordChangeNoise(sim: Sim): Activity {
  const rng = sim.rng.fork("noise/password-change");
  const accounts = sim.platform.accounts;
  // The day: the middle day of the run, local time.
  const day = Math.floor(sim.days / 2);
  const dayStart = Math.max(sim.start, localDayStart(sim, day) + 8 * 3_600_000);
  const dayEnd = Math.min(sim.end, dayStart + 14 * 3_600_000);
  const count = Math.max(20, Math.floor(accounts.length * 0.04));
  const chosen: Array<{ a: Account; at: number }> = [];
  const pick = rng.fork("pick");
  for (let i = 0; i < count; i++) {
    chosen.push({ a: accounts[pick.int(accounts.length)] as Account, at: within(pick, dayStart, dayEnd) });
  }
  chosen.sort((x, y) => x.at - y.at);
  const users = new Set<string>();
  const ips = new Set<string>();
  let next = 0;
  let last = dayStart;
  return {
    name: "noise/password-change",
    hour(t0, t1) {
      while (next < chosen.length && (chosen[next]?.at ?? Number.POSITIVE_INFINITY) < t1) {
        const { a, at } = chosen[next++] as { a: Account; at: number };
        if (at < t0) continue;
        const ip = clientIp(sim, a, at, false);
        users.add(a.user);
        ips.add(ip);
        const web = sim.svc.webmailLogin(at, a, a.user, ip, true);
        sim.svc.pooledQuery(
          at + 40_000,
          web,
          `UPDATE mailbox SET password = '{SHA512-CRYPT}$6$...' WHERE username = '${a.user}'`,
          0,
        );
        // The other clients still have the old password: a few failures over the next hours.
        const stale = 1 + rng.int(4);
        for (let k = 0; k < stale; k++) {
          const ts = at + 120_000 + rng.int(Math.min(3 * 3_600_000, DAY_MS / 4));
          const mobile = a.mobile >= 0 && rng.chance(0.6);
          const sip = clientIp(sim, a, ts, mobile);
          ips.add(sip);
          sim.svc.mailLogin(ts, a.user, a, sip, "imap", 1, false);
          last = Math.max(last, ts);
        }
      }
    },
    labels(): Label[] {
      if (users.size === 0) return [];
      return [
        noiseLabel(
          "mass-password-change",
          dayStart,
          Math.max(last, dayEnd),
          "operator-requested password change: webmail password updates, then old clients failing with the old password",
          ["roundcube", "dovecot", "mariadb-audit", "mariadb-slow"],
          ["auth.spray", "auth.bruteforce"],
          entities({ accounts: users, source_ips: ips, source_networks: [...ips].map(cidrOf) }),
        ),
      ];
    },
  };
}
