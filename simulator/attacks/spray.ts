// Password spraying: a couple of common passwords tried against many accounts,
// one or two attempts per account, spread over dozens of hosting addresses in
// several networks, all within a few hours; IMAP, SMTP AUTH and webmail.
import { type Activity, at, entities, HOUR_MS, type Label, type Sim } from "../context.js";
import { networkOf } from "../networks.js";
import type { Account } from "../platform.js";
import { addressPool, attackLabel, hostingNetworks, StageTrace } from "./common.js";

export function spray(sim: Sim, id = "spray-1", scenario = "spray", fraction = 0.6): Activity {
  const rng = sim.rng.fork(`attack/${id}`);
  const accounts = sim.platform.accounts;
  const nets = hostingNetworks().slice(0, 6);
  const ips = addressPool(rng, nets, 40 + rng.int(40));
  const targets = rng
    .shuffle(accounts.slice())
    .slice(0, Math.max(200, Math.min(8000, Math.floor(accounts.length * 0.2))));
  const start = at(sim, fraction) + 3 * 60_000;
  const plan: Array<{ t: number; a: Account; ok: boolean; via: number; ip: string }> = [];
  for (const a of targets) {
    const tries = 1 + (rng.chance(0.3) ? 1 : 0);
    for (let k = 0; k < tries; k++) {
      plan.push({
        t: start + rng.next() * 3 * HOUR_MS,
        a,
        ok: k === tries - 1 && rng.chance(0.004),
        via: rng.int(3),
        ip: rng.pick(ips),
      });
    }
  }
  plan.sort((x, y) => x.t - y.t);
  const tried = new StageTrace();
  const won = new StageTrace();
  let next = 0;
  return {
    name: id,
    hour(_t0, t1) {
      while (next < plan.length && (plan[next]?.t ?? Number.POSITIVE_INFINITY) < t1) {
        const s = plan[next++];
        if (s === undefined) break;
        if (s.via === 0 || s.ok) sim.svc.mailLogin(s.t, s.a.user, s.a, s.ip, "imap", s.ok ? 0 : 1, s.ok);
        else if (s.via === 1) sim.svc.smtpAuthFailure(s.t, s.a.user, s.ip);
        else sim.svc.webmailLogin(s.t, s.a, s.a.user, s.ip, false);
        tried.hit(s.t, s.a.user, s.ip);
        if (s.ok) won.hit(s.t, s.a.user, s.ip);
      }
    },
    labels(): Label[] {
      const out: Label[] = [];
      const netsOf = (ips: Iterable<string>) => [...ips].map((ip) => networkOf(ip)?.cidr ?? ip);
      if (!tried.empty) {
        out.push(
          attackLabel(
            id,
            scenario,
            "credential_access",
            tried.first,
            tried.last + 1000,
            `password spray: ${tried.accounts.size} accounts × 1-2 attempts from ${tried.ips.size} addresses`,
            ["dovecot", "postfix", "roundcube", "slapd"],
            entities({ accounts: tried.accounts, source_ips: tried.ips, source_networks: netsOf(tried.ips) }),
            { records: tried.count },
          ),
        );
      }
      if (!won.empty) {
        out.push(
          attackLabel(
            id,
            scenario,
            "initial_access",
            won.first,
            won.last + 1000,
            `spray hits: ${won.accounts.size} accounts with a guessable password`,
            ["dovecot"],
            entities({ accounts: won.accounts, source_ips: won.ips, source_networks: netsOf(won.ips) }),
          ),
        );
      }
      return out;
    },
  };
}
