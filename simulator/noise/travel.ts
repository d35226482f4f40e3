// Users travelling abroad: for a couple of days their clients connect from a
// foreign network (hotel broadband, roaming SIM). No failures. Looks like:
// account takeover (a login from a country never seen for the account).
import { type Activity, at, DAY_MS, entities, type Label, type Sim } from "../context.js";
import { addressIn, networksOf } from "../networks.js";
import { type Account, mix } from "../platform.js";
import { cidrOf, noiseLabel } from "./common.js";

export function travelNoise(sim: Sim): Activity {
  const rng = sim.rng.fork("noise/travel");
  const accounts = sim.platform.accounts;
  const roaming = networksOf("roaming");
  const trips: Array<{ a: Account; start: number; end: number; cidr: string }> = [];
  const n = Math.max(1, Math.min(5, Math.floor(accounts.length / 20_000)));
  for (let i = 0; i < n; i++) {
    const a = accounts[rng.int(accounts.length)] as Account;
    if (sim.locations.has(a.index)) continue;
    const net = roaming[rng.int(roaming.length)];
    if (net === undefined) continue;
    const start = at(sim, 0.25 + rng.next() * 0.2);
    const end = Math.min(sim.end, start + Math.max(DAY_MS / 2, (sim.end - sim.start) * 0.35));
    sim.locations.set(a.index, {
      start,
      end,
      ip: (ts) => addressIn(net.cidr, mix(a.salt, Math.floor(ts / (6 * 3_600_000)), 11)),
    });
    trips.push({ a, start, end, cidr: net.cidr });
  }
  return {
    name: "noise/travel",
    hour() {},
    labels(): Label[] {
      return trips.map((t) =>
        noiseLabel(
          "travel-abroad",
          t.start,
          t.end,
          `subscriber travelling: all clients connect from ${t.cidr} (${networksOf("roaming").find((x) => x.cidr === t.cidr)?.country ?? "?"})`,
          ["dovecot", "roundcube", "postfix"],
          ["auth.takeover"],
          entities({ accounts: [t.a.user], source_networks: [cidrOf(addressIn(t.cidr, 1))] }),
        ),
      );
    },
  };
}
