// Credential stuffing: one source (and two fallbacks in the same hosting
// network) replays a leaked list from another site against IMAP and SMTP
// AUTH — many distinct accounts, one attempt each, a low success ratio; many
// names do not even exist here.
import { type Activity, at, entities, type Label, MINUTE_MS, type Sim } from "../context.js";
import { networkByCidr } from "../networks.js";
import { type Account, DOMAIN } from "../platform.js";
import { addressPool, attackLabel, StageTrace } from "./common.js";

const NET = "185.220.0.0/16";

export function stuffing(sim: Sim, id = "stuffing-1", scenario = "stuffing", fraction = 0.5): Activity {
  const rng = sim.rng.fork(`attack/${id}`);
  const accounts = sim.platform.accounts;
  const ips = addressPool(rng, [networkByCidr(NET)], 3);
  const attempts = Math.max(300, Math.min(5000, Math.floor(accounts.length * 0.3)));
  const start = at(sim, fraction) + 7 * MINUTE_MS;
  const plan: Array<{ t: number; user: string; a: Account | undefined; ok: boolean; smtp: boolean; ip: string }> = [];
  let t = start;
  for (let i = 0; i < attempts; i++) {
    t += 500 + rng.int(1500);
    const exists = rng.chance(0.6);
    const a = exists ? (accounts[rng.int(accounts.length)] as Account) : undefined;
    const user = a?.user ?? `${rng.chars(6 + rng.int(4), "abcdefghijklmnopqrstuvwxyz")}${rng.int(99)}@${DOMAIN}`;
    plan.push({
      t,
      user,
      a,
      ok: a !== undefined && rng.chance(0.025),
      smtp: rng.chance(0.25),
      ip: (i % 20 === 19 ? rng.pick(ips) : ips[0]) ?? "",
    });
  }
  const tried = new StageTrace();
  const won = new StageTrace();
  let next = 0;
  return {
    name: id,
    hour(_t0, t1) {
      while (next < plan.length && (plan[next]?.t ?? Number.POSITIVE_INFINITY) < t1) {
        const s = plan[next++];
        if (s === undefined) break;
        if (s.smtp && !s.ok) sim.svc.smtpAuthFailure(s.t, s.user, s.ip);
        else sim.svc.mailLogin(s.t, s.user, s.a, s.ip, "imap", s.ok ? 0 : 1, s.ok);
        tried.hit(s.t, s.a?.user, s.ip);
        if (s.ok) won.hit(s.t, s.user, s.ip);
      }
    },
    labels(): Label[] {
      const out: Label[] = [];
      if (!tried.empty) {
        out.push(
          attackLabel(
            id,
            scenario,
            "credential_access",
            tried.first,
            tried.last + 1000,
            `credential stuffing: ${tried.count} attempts, one per leaked account name (${tried.accounts.size} exist here), from ${NET}`,
            ["dovecot", "postfix", "slapd"],
            entities({ accounts: tried.accounts, source_ips: tried.ips, source_networks: [NET] }),
            { records: tried.count },
          ),
        );
      }
      if (!won.empty) {
        out.push(
          attackLabel(
            id,
            scenario,
            "stolen_credential_use",
            won.first,
            won.last + 1000,
            `stuffing hits: ${won.accounts.size} accounts logged into with reused passwords`,
            ["dovecot"],
            entities({ accounts: won.accounts, source_ips: won.ips, source_networks: [NET] }),
          ),
        );
      }
      return out;
    },
  };
}
