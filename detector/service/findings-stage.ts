// The last stage, on the single-partition findings topic: findings of every
// detector instance meet here in one order. The correlator chains them into
// incidents; findings and incidents are written to ClickHouse; then — only for
// what is new or ranks higher than what the store already had, so a replay or
// a restart after a crash never alerts twice — they go to the alerts topic
// and the notifiers.
import type { ClickHouseClient } from "@clickhouse/client";
import type { Finding } from "../core/finding.js";
import type { Correlator, Incident } from "../correlator/correlator.js";
import { BatchWriter } from "../store/batch-writer.js";
import type { SendBatch, StageHandler, StageMessage } from "./stage.js";

export type Alert = { type: "finding"; finding: Finding } | { type: "incident"; incident: Incident };

export interface FindingsStageOptions {
  client: ClickHouseClient;
  send: SendBatch;
  alertsTopic: string;
  correlator: Correlator;
  /** Suppressions and allow-lists of the alert workflow. */
  accept?: (f: Finding) => boolean;
  notify?: (alerts: Alert[]) => Promise<void>;
}

const ms = (iso: string) => Date.parse(iso);

function findingRow(f: Finding, incidentId: string) {
  return {
    ...f,
    host: f.host ?? "",
    user: f.user ?? "",
    src_ip: f.src_ip ?? "",
    ts: ms(f.ts),
    window_start: ms(f.window_start),
    window_end: ms(f.window_end),
    details: JSON.stringify(f.details ?? {}),
    incident_id: incidentId,
  };
}

function incidentRow(i: Incident) {
  return { ...i, opened_at: ms(i.opened_at), updated_at: ms(i.updated_at) };
}

export class FindingsStage implements StageHandler {
  private readonly findings: BatchWriter<ReturnType<typeof findingRow>>;
  private readonly incidents: BatchWriter<ReturnType<typeof incidentRow>>;
  received = 0;
  alerted = 0;
  /** Newest finding time seen: incidents quiet for a horizon before it are closed. */
  private latest = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: FindingsStageOptions) {
    const batch = { maxRows: 5000, maxDelayMs: 3_600_000 };
    this.findings = new BatchWriter(opts.client, { table: "findings", ...batch });
    this.incidents = new BatchWriter(opts.client, { table: "incidents", ...batch });
  }

  async handle(messages: StageMessage[]): Promise<void> {
    const batch: Finding[] = [];
    for (const { message } of messages) {
      try {
        const f = JSON.parse(message.value?.toString("utf8") ?? "") as Finding;
        if (typeof f.id === "string" && typeof f.detection === "string") batch.push(f);
      } catch {
        // Only detector instances write this topic; a broken record is skipped.
      }
    }
    this.received += batch.length;
    const accepted = this.opts.accept ? batch.filter(this.opts.accept) : batch;
    if (accepted.length === 0) return;
    const known = await this.storedScores(accepted.map((f) => f.id));
    const incidents = new Map<string, Incident>();
    for (const f of accepted) {
      for (const i of this.opts.correlator.onFinding(f)) incidents.set(i.id, i);
      this.latest = Math.max(this.latest, Date.parse(f.ts));
    }
    this.opts.correlator.evict(this.latest - this.opts.correlator.horizonMs);
    await this.findings.write(accepted.map((f) => findingRow(f, this.opts.correlator.incidentOf(f.id) ?? "")));
    await this.incidents.write([...incidents.values()].map(incidentRow));
    await Promise.all([this.findings.flush(), this.incidents.flush()]);

    const fresh = accepted.filter((f) => (known.get(f.id) ?? -1) < f.score);
    const alerts: Alert[] = [
      ...fresh.map((finding): Alert => ({ type: "finding", finding })),
      ...[...incidents.values()]
        .filter((i) => i.finding_ids.some((id) => fresh.some((f) => f.id === id)))
        .map((incident): Alert => ({ type: "incident", incident })),
    ];
    if (alerts.length === 0) return;
    await this.opts.send([
      {
        topic: this.opts.alertsTopic,
        messages: alerts.map((a) => ({
          key: a.type === "finding" ? a.finding.id : a.incident.id,
          value: JSON.stringify(a),
        })),
      },
    ]);
    await this.opts.notify?.(alerts);
    this.alerted += alerts.length;
  }

  /** Scores the store already holds for these ids (what was alerted before a crash or replay). */
  private async storedScores(ids: string[]): Promise<Map<string, number>> {
    const rs = await this.opts.client.query({
      query: "SELECT id, max(score) AS score FROM findings WHERE id IN {ids:Array(String)} GROUP BY id",
      query_params: { ids },
      format: "JSONEachRow",
    });
    return new Map((await rs.json<{ id: string; score: number }>()).map((r) => [r.id, Number(r.score)]));
  }

  async flush(): Promise<void> {
    await Promise.all([this.findings.flush(), this.incidents.flush()]);
  }

  snapshot(): unknown {
    return this.opts.correlator.snapshot();
  }

  restore(state: unknown): void {
    this.opts.correlator.restore(state);
  }
}
