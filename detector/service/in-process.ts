// The detector without the broker and the store: the engines of the two
// detection stages, chained as the stages are (the first passes each auth
// event it releases to the second, one copy per key), and the correlator over
// their findings. What `eval --offline` runs to score a platform-scale
// simulation in minutes rather than the hours a replay through Kafka takes;
// the eval flow test checks it finds what the deployed detector finds.
//
// The input comes in event-time order (the replay's merge), so each engine
// reads one lane and the lateness window is never needed.
import type { DetectorConfig } from "../../config/roles.js";
import type { MailEvent } from "../../events/event.js";
import { DetectorEngine } from "../core/engine.js";
import type { Finding } from "../core/finding.js";
import type { NetworkInfo } from "../core/networks.js";
import { createCorrelator, type Incident } from "../correlator/correlator.js";
import { EVENT_KEYS, engineOptions, REPARTITION_KEYS, repartitionCopies } from "./engines.js";

export interface InProcessResult {
  /** One per id, as the store keeps them: the highest score, the time it first fired. */
  findings: Finding[];
  /** The incidents' last versions, merged ones left out (as the API lists them). */
  incidents: Incident[];
  events: number;
  late: number;
}

export async function detectInProcess(
  d: DetectorConfig["detector"],
  networks: NetworkInfo,
  events: AsyncIterable<MailEvent>,
): Promise<InProcessResult> {
  const options = engineOptions(d, networks);
  const out: Finding[] = [];
  const second = new DetectorEngine({ ...options, keys: REPARTITION_KEYS });
  const first = new DetectorEngine({
    ...options,
    keys: EVENT_KEYS,
    // A copy, as the stage's JSON record is: the second stage's enrichers annotate
    // their own. They write to `attrs` only, so copying it is enough (a deep copy
    // of every auth event twice was a tenth of a default-scale run).
    onRelease: (e) => {
      for (const { key } of repartitionCopies(e))
        out.push(...second.ingest({ ...e, ...(e.attrs && { attrs: { ...e.attrs } }) }, key, key));
    },
  });
  const correlator = createCorrelator(d.correlator, { networks });
  const findings = new Map<string, Finding>();
  const incidents = new Map<string, Incident>();
  let latest = Number.NEGATIVE_INFINITY;
  const correlate = () => {
    for (const f of out.splice(0)) {
      const held = findings.get(f.id);
      findings.set(f.id, held && held.ts < f.ts ? { ...f, ts: held.ts } : f);
      for (const i of correlator.onFinding(f)) incidents.set(i.id, i);
      latest = Math.max(latest, Date.parse(f.ts));
    }
    correlator.evict(latest - correlator.horizonMs);
  };
  for await (const e of events) {
    out.push(...first.ingest(e, "events"));
    if (out.length > 0) correlate();
  }
  out.push(...first.flush(), ...second.flush());
  correlate();
  const a = first.stats();
  const b = second.stats();
  return {
    findings: [...findings.values()],
    incidents: [...incidents.values()].filter((i) => !i.merged_into),
    events: a.events,
    late: a.late + b.late,
  };
}
