// Typos and forgotten passwords: every day a small share of subscribers mistype
// their password once or twice before getting it right (from their own home or
// phone address), and a few forget it: several failures over some minutes, then
// either a success (found it) or nothing. Looks like: brute force / spray at
// very low intensity. One label per day.
import { type Activity, DAY_MS, entities, type Label, type Sim, within } from "../context.js";
import { clientIp } from "../normal/users.js";
import type { Account } from "../platform.js";
import { cidrOf, noiseLabel } from "./common.js";

export function typoNoise(sim: Sim): Activity {
  const rng = sim.rng.fork("noise/typos");
  const perDay = new Map<number, { accounts: Set<string>; ips: Set<string>; first: number; last: number }>();
  return {
    name: "noise/typos",
    hour(t0, t1) {
      const accounts = sim.platform.accounts;
      const n = rng.poisson((accounts.length * 0.012) / 24);
      for (let i = 0; i < n; i++) {
        const a = accounts[rng.int(accounts.length)] as Account;
        const ts = within(rng, t0, t1);
        const forgot = rng.chance(0.12);
        const ip = clientIp(sim, a, ts, rng.chance(0.5));
        const day = Math.floor((ts - sim.start) / DAY_MS);
        const d = perDay.get(day) ?? { accounts: new Set(), ips: new Set(), first: ts, last: ts };
        d.accounts.add(a.user);
        d.ips.add(ip);
        d.first = Math.min(d.first, ts);
        perDay.set(day, d);
        let end = ts;
        if (!forgot) {
          const pop = a.popPerDay > 0 && rng.chance(0.3);
          if (a.webPerDay > 0 && rng.chance(0.4)) {
            sim.svc.webmailLogin(ts, a, a.user, ip, false);
            end = ts + 8000 + rng.int(20_000);
            sim.svc.webmailLogin(end, a, a.user, ip, true);
          } else {
            end = ts;
            sim.svc.mailLogin(ts, a.user, a, ip, pop ? "pop3" : "imap", 1 + (rng.chance(0.2) ? 1 : 0), true);
          }
        } else {
          const tries = 3 + rng.int(6);
          for (let k = 0; k < tries; k++) {
            end = ts + k * (30_000 + rng.int(120_000));
            if (rng.chance(0.5)) sim.svc.webmailLogin(end, a, a.user, ip, false);
            else sim.svc.mailLogin(end, a.user, a, ip, "imap", 1, false);
          }
          if (rng.chance(0.5)) {
            end += 600_000 + rng.int(1_800_000);
            sim.svc.mailLogin(end, a.user, a, ip, "imap", 0, true);
          }
        }
        d.last = Math.max(d.last, end + 60_000);
      }
    },
    labels(): Label[] {
      return [...perDay.entries()].map(([, d]) =>
        noiseLabel(
          "typos-forgotten-passwords",
          d.first,
          d.last,
          "subscribers mistyping or forgetting their own password, from their own addresses",
          ["dovecot", "roundcube", "slapd"],
          ["auth.bruteforce", "auth.spray"],
          entities({ accounts: d.accounts, source_ips: d.ips, source_networks: [...d.ips].map(cidrOf) }),
        ),
      );
    },
  };
}
