// Slow distributed guessing: one account, thousands of sources (a residential
// proxy botnet across many networks), one attempt each, spread over days —
// no single source ever looks like anything.
import { type Activity, at, entities, type Label, type Sim } from "../context.js";
import { networkOf, networksOf } from "../networks.js";
import type { Account } from "../platform.js";
import { addressPool, attackLabel, hostingNetworks, StageTrace } from "./common.js";

export function slowDistributed(sim: Sim, id = "slow-distributed-1", scenario = "slow-distributed"): Activity {
  const rng = sim.rng.fork(`attack/${id}`);
  const accounts = sim.platform.accounts;
  const victim = accounts[rng.int(accounts.length)] as Account;
  const nets = [...hostingNetworks(), ...networksOf("roaming")];
  const sources = addressPool(rng, nets, Math.max(1000, Math.min(4000, Math.floor(accounts.length / 25))));
  const start = at(sim, 0.15);
  const end = sim.end - 30 * 60_000;
  const times = sources.map(() => start + rng.next() * (end - start)).sort((a, b) => a - b);
  const trace = new StageTrace();
  let next = 0;
  return {
    name: id,
    hour(_t0, t1) {
      while (next < times.length && (times[next] ?? Number.POSITIVE_INFINITY) < t1) {
        const t = times[next] as number;
        const ip = sources[next++] as string;
        if (rng.chance(0.5)) sim.svc.mailLogin(t, victim.user, victim, ip, rng.chance(0.5) ? "imap" : "pop3", 1, false);
        else sim.svc.smtpAuthFailure(t, victim.user, ip);
        trace.hit(t, victim.user, ip);
      }
    },
    labels(): Label[] {
      if (trace.empty) return [];
      return [
        attackLabel(
          id,
          scenario,
          "credential_access",
          trace.first,
          trace.last + 1000,
          `slow distributed guessing: ${trace.count} attempts against one account from ${trace.ips.size} sources, one attempt each`,
          ["dovecot", "postfix", "slapd"],
          entities({
            accounts: [victim.user],
            source_ips: trace.ips,
            source_networks: [...trace.ips].map((ip) => networkOf(ip)?.cidr ?? ip),
          }),
          { records: trace.count },
        ),
      ];
    },
  };
}
