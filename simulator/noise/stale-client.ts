// An old client (a forgotten tablet, an old phone) still holding a stale
// password retries every few minutes all night from the subscriber's home
// network. Looks like: brute force from one source against one account.
import { type Activity, entities, HOUR_MS, type Label, type Sim } from "../context.js";
import { localHour } from "../normal/habits.js";
import { type Account, homeIp } from "../platform.js";
import { cidrOf, noiseLabel } from "./common.js";

export function staleClientNoise(sim: Sim): Activity {
  const rng = sim.rng.fork("noise/stale-client");
  const accounts = sim.platform.accounts;
  const victim = accounts[rng.int(accounts.length)] as Account;
  const ips = new Set<string>();
  let first = Number.NaN;
  let last = Number.NaN;
  return {
    name: "noise/stale-client",
    hour(t0) {
      const h = localHour(t0);
      if (!(h >= 22 || h < 7)) return;
      const ip = homeIp(sim.platform, victim, t0);
      ips.add(ip);
      // Every 4-6 minutes, one failed POP3 login (the client gives up after one attempt).
      for (let ts = t0 + rng.int(240_000); ts < t0 + HOUR_MS; ts += 240_000 + rng.int(120_000)) {
        sim.svc.mailLogin(ts, victim.user, victim, ip, "pop3", 1, false);
        if (Number.isNaN(first)) first = ts;
        last = ts;
      }
    },
    labels(): Label[] {
      if (Number.isNaN(first)) return [];
      return [
        noiseLabel(
          "stale-password-client",
          first,
          last + 1000,
          "an old client retrying a stale password every few minutes all night, from the subscriber's home",
          ["dovecot", "slapd"],
          ["auth.bruteforce"],
          entities({ accounts: [victim.user], source_ips: ips, source_networks: [...ips].map(cidrOf) }),
        ),
      ];
    },
  };
}
