// The collector on one host is killed: from a moment on the host's logs stop
// reaching us. The simulator cuts every file of the host at that time; the
// replay tool emits agent heartbeats per host only while the host has lines,
// so the heartbeat stops at the cut (see simulator/README.md).
import { type Activity, at, entities, type Label, type Sim } from "../context.js";
import type { Host } from "../platform.js";
import { attackLabel } from "./common.js";

export function agentKill(
  sim: Sim,
  id = "agent-kill-1",
  scenario = "agent-kill",
  fraction = 0.7,
  host?: Host,
): Activity {
  const h = host ?? (sim.platform.byRole.imap[sim.platform.byRole.imap.length - 1] as Host);
  const cut = at(sim, fraction) + 23 * 60_000 + 17_000;
  sim.out.cutOff(h.name, cut);
  return {
    name: id,
    hour() {},
    labels(): Label[] {
      return [
        attackLabel(
          id,
          scenario,
          "defense_evasion",
          cut,
          sim.end,
          `the collector on ${h.name} is killed: its logs stop`,
          ["agent"],
          entities({ hosts: [h.name] }),
        ),
      ];
    },
  };
}
