// A newsletter burst: every morning at 07:00 local a local business's account
// sends its newsletter — hundreds to thousands of small messages to many
// distinct external recipients within half an hour, from its office address.
// Looks like: one sender's outbound volume exploding (SMTP exfiltration) —
// but small messages, many recipients, every day at the same time.
import { type Activity, entities, type Label, MINUTE_MS, type Sim } from "../context.js";
import { localHour } from "../normal/habits.js";
import { type Account, homeIp } from "../platform.js";
import { REMOTE_MX } from "../services.js";
import { cidrOf, noiseLabel } from "./common.js";

export function newsletterNoise(sim: Sim): Activity {
  const rng = sim.rng.fork("noise/newsletter");
  const accounts = sim.platform.accounts;
  const sender = accounts[rng.int(accounts.length)] as Account;
  const bursts: Array<{ start: number; end: number; count: number; ip: string; hosts: Set<string> }> = [];
  const size = Math.max(40, Math.min(1500, Math.floor(accounts.length / 60)));
  return {
    name: "noise/newsletter",
    hour(t0) {
      if (localHour(t0) !== 7) return;
      const ip = homeIp(sim.platform, sender, t0);
      const start = t0 + 2 * MINUTE_MS;
      const count = Math.floor(size * (0.8 + rng.next() * 0.4));
      const hosts = new Set<string>();
      let ts = start;
      for (let i = 0; i < count; i++) {
        ts += 600 + rng.int(1800);
        const mx = REMOTE_MX[rng.int(REMOTE_MX.length)] ?? REMOTE_MX[0];
        if (mx === undefined) break;
        const r = { address: `reader${rng.int(50_000)}@${mx.domain}`, local: undefined, mx };
        hosts.add(sim.svc.submitMessage(ts, sender.user, ip, [r], 18_000 + rng.int(6000)).host.name);
      }
      bursts.push({ start, end: ts + 5000, count, ip, hosts });
    },
    labels(): Label[] {
      return bursts.map((b) =>
        noiseLabel(
          "newsletter-burst",
          b.start,
          b.end,
          `daily newsletter: ${b.count} small messages to distinct external readers from one sender`,
          ["postfix"],
          ["egress.smtp_exfil"],
          entities({
            accounts: [sender.user],
            source_ips: [b.ip],
            source_networks: [cidrOf(b.ip)],
            hosts: b.hosts,
            destination_networks: REMOTE_MX.map((m) => cidrOf(m.ip)),
          }),
        ),
      );
    },
  };
}
