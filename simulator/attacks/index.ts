// The scenarios: which attacks run on the timeline (noise runs in all of them).
import type { Activity, Sim } from "../context.js";
import type { Host } from "../platform.js";
import type { Scenario } from "../simulate.js";
import { agentKill } from "./agent-kill.js";
import { kddiBreach } from "./kddi-breach.js";
import { slowDistributed } from "./slow-distributed.js";
import { slowExfil } from "./slow-exfil.js";
import { smtpExfil } from "./smtp-exfil.js";
import { spray } from "./spray.js";
import { stuffing } from "./stuffing.js";

export function scenarioActivities(sim: Sim, scenario: Scenario): Activity[] {
  switch (scenario) {
    case "none":
      return [];
    case "kddi-breach":
      return [kddiBreach(sim)];
    case "stuffing":
      return [stuffing(sim)];
    case "spray":
      return [spray(sim)];
    case "slow-distributed":
      return [slowDistributed(sim)];
    case "slow-exfil":
      return [slowExfil(sim)];
    case "smtp-exfil":
      return [smtpExfil(sim)];
    case "agent-kill":
      return [agentKill(sim)];
    case "mixed": {
      // Everything on one timeline; the killed agent is on a host the breach does not need.
      const victim = (sim.platform.byRole.mx[0] ?? sim.platform.byRole.imap[0]) as Host;
      return [
        kddiBreach(sim, "kddi-breach-1", "mixed"),
        stuffing(sim, "stuffing-1", "mixed", 0.2),
        spray(sim, "spray-1", "mixed", 0.62),
        slowDistributed(sim, "slow-distributed-1", "mixed"),
        slowExfil(sim, "slow-exfil-1", "mixed"),
        smtpExfil(sim, "smtp-exfil-1", "mixed", 0.72),
        agentKill(sim, "agent-kill-1", "mixed", 0.9, victim),
      ];
    }
  }
}
