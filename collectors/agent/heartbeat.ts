// The agent's heartbeat event (kind `agent`): proof of life with counters. The
// detector's agent.silent detection watches for them to stop.
import { eventId, type MailEvent } from "../../events/event.js";

export function heartbeatEvent(host: string, ts: string, seq: number, counters: Record<string, number>): MailEvent {
  return {
    id: eventId(host, "agent", `heartbeat:${ts}:${seq}`, ""),
    ts,
    host,
    source: "agent",
    kind: "agent",
    action: "heartbeat",
    outcome: "success",
    attrs: counters,
  };
}
