// Slow exfiltration: an implant on the DB host (a python3 process running as
// root) uploads a few MB every hour to the same never-seen network, for the
// whole run — each upload small enough to hide under volume thresholds.
import { type Activity, at, entities, HOUR_MS, type Label, MINUTE_MS, type Sim } from "../context.js";
import type { Host } from "../platform.js";
import { attackLabel, StageTrace } from "./common.js";

export const SLOW_EXFIL_IP = "203.0.113.200";

export function slowExfil(sim: Sim, id = "slow-exfil-1", scenario = "slow-exfil"): Activity {
  const rng = sim.rng.fork(`attack/${id}`);
  const host = sim.platform.byRole.db[0] as Host;
  const start = at(sim, 0.02);
  const pid = 51_000 + rng.int(5000);
  const trace = new StageTrace();
  let bytes = 0;
  return {
    name: id,
    hour(t0) {
      if (t0 + HOUR_MS <= start) return;
      // Lasts 11 minutes so that at least two 5-minute samples see it.
      const s = Math.max(t0, start) + (13 + rng.int(30)) * MINUTE_MS;
      const b = 2_000_000 + rng.int(6_000_000);
      sim.flows.push({
        host: host.name,
        process: "python3",
        pid,
        fd: 3,
        uid: 0,
        cgroup: "/system.slice/cron.service",
        local: host.internalIp,
        localPort: 32768 + rng.int(28000),
        peer: SLOW_EXFIL_IP,
        peerPort: 443,
        start: s,
        end: s + 11 * MINUTE_MS,
        bytesOut: b,
        bytesIn: 4000 + rng.int(4000),
      });
      bytes += b;
      trace.hit(s);
      trace.hit(s + 11 * MINUTE_MS);
    },
    labels(): Label[] {
      if (trace.empty) return [];
      return [
        attackLabel(
          id,
          scenario,
          "exfiltration",
          trace.first,
          trace.last,
          `hourly small uploads (${(bytes / 1e6).toFixed(0)} MB in ${trace.count / 2} uploads) from the DB host to a never-seen network`,
          ["ss"],
          entities({
            hosts: [host.name],
            processes: ["python3"],
            destination_ips: [SLOW_EXFIL_IP],
            destination_networks: ["203.0.113.0/24"],
          }),
          { bytes },
        ),
      ];
    },
  };
}
