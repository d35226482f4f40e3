// The last stage, on the single-partition findings topic: findings of every
// detector instance meet here in one order. The correlator chains them into
// incidents; what is new or ranks higher than what was alerted before goes to
// the notifiers' durable outboxes and the alerts topic; then findings and
// incidents are written to ClickHouse.
//
// Alerts go out before the store write: a crash between the two must not lose
// an alert, and the store is only the record of findings, not of alerts. What
// was alerted is the alerts topic itself (alerts-ledger.ts), read back when
// this stage gains the findings topic (start, restart, rebalance) and kept up
// to date as it sends; the store's scores cover what the topic no longer
// retains. A crash after the outbox append and before the topic send re-sends
// the notices (same notice ids, stable dedup keys at the receivers):
// notification is at-least-once, the alerts topic once.
import type { ClickHouseClient } from "@clickhouse/client";
import type { Finding } from "../core/finding.js";
import type { Correlator, Incident } from "../correlator/correlator.js";
import { BatchWriter } from "../store/batch-writer.js";
import type { AlertsLedger } from "./alerts-ledger.js";
import type { SendBatch, StageHandler, StageMessage } from "./stage.js";

export type Alert = { type: "finding"; finding: Finding } | { type: "incident"; incident: Incident };

export interface FindingsStageOptions {
  client: ClickHouseClient;
  send: SendBatch;
  alertsTopic: string;
  correlator: Correlator;
  /** Reads back what the alerts topic holds. */
  ledger: AlertsLedger;
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
  /** Finding id → highest score alerted; undefined until read back from the alerts topic. */
  private sent: Map<string, number> | undefined;
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
    // A local: a rebalance may reset the ledger while this batch is under way.
    const sent = this.sent ?? (await this.opts.ledger());
    this.sent = sent;
    const stored = await this.storedScores(accepted.map((f) => f.id));
    const incidents = new Map<string, Incident>();
    for (const f of accepted) {
      for (const i of this.opts.correlator.onFinding(f)) incidents.set(i.id, i);
      this.latest = Math.max(this.latest, Date.parse(f.ts));
    }
    this.opts.correlator.evict(this.latest - this.opts.correlator.horizonMs);
    await this.alert(accepted, incidents, stored, sent);
    // A re-fired finding keeps the time it first fired: rows of one id share
    // the sorting key (ts, id), so the store's FINAL shows it once, as updated.
    const first = new Map<string, string>();
    for (const f of accepted) {
      const t = stored.get(f.id)?.ts;
      if (!first.has(f.id)) first.set(f.id, t !== undefined && t < ms(f.ts) ? new Date(t).toISOString() : f.ts);
    }
    await this.findings.write(
      accepted.map((f) =>
        findingRow({ ...f, ts: first.get(f.id) ?? f.ts }, this.opts.correlator.incidentOf(f.id) ?? ""),
      ),
    );
    await this.incidents.write([...incidents.values()].map(incidentRow));
    await Promise.all([this.findings.flush(), this.incidents.flush()]);
  }

  /** Alerts for the findings that rank higher than anything alerted (or stored) for their id, and their incidents. */
  private async alert(
    batch: Finding[],
    incidents: Map<string, Incident>,
    stored: Map<string, { score: number; ts: number }>,
    sent: Map<string, number>,
  ): Promise<void> {
    const fresh: Finding[] = [];
    for (const f of batch) {
      if (Math.max(sent.get(f.id) ?? -1, stored.get(f.id)?.score ?? -1) >= f.score) continue;
      fresh.push(f);
      sent.set(f.id, f.score);
    }
    const alerts: Alert[] = [
      ...fresh.map((finding): Alert => ({ type: "finding", finding })),
      ...[...incidents.values()]
        .filter((i) => i.finding_ids.some((id) => fresh.some((f) => f.id === id)))
        .map((incident): Alert => ({ type: "incident", incident })),
    ];
    if (alerts.length === 0) return;
    await this.opts.notify?.(alerts);
    await this.opts.send([
      {
        topic: this.opts.alertsTopic,
        messages: alerts.map((a) => ({
          key: a.type === "finding" ? a.finding.id : a.incident.id,
          value: JSON.stringify(a),
        })),
      },
    ]);
    this.alerted += alerts.length;
  }

  /**
   * The highest score the store holds for these ids (alerted before, possibly
   * beyond the topic's retention) and when each first fired.
   */
  private async storedScores(ids: string[]): Promise<Map<string, { score: number; ts: number }>> {
    const rs = await this.opts.client.query({
      query:
        "SELECT id, max(score) AS score, toUnixTimestamp64Milli(min(ts)) AS ts FROM findings WHERE id IN {ids:Array(String)} GROUP BY id",
      query_params: { ids },
      format: "JSONEachRow",
    });
    const rows = await rs.json<{ id: string; score: number; ts: string | number }>();
    return new Map(rows.map((r) => [r.id, { score: Number(r.score), ts: Number(r.ts) }]));
  }

  async flush(): Promise<void> {
    await Promise.all([this.findings.flush(), this.incidents.flush()]);
  }

  snapshot(): unknown {
    return this.opts.correlator.snapshot();
  }

  async assigned(): Promise<void> {
    // Another instance may have alerted since this one last read the ledger.
    this.sent = undefined;
  }

  restore(state: unknown): void {
    this.opts.correlator.restore(state);
    this.sent = undefined;
  }
}
