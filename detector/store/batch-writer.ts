// Batches rows for one table: a batch is written when it reaches `maxRows` or
// when its oldest row is `maxDelayMs` old. `flush()` resolves only once the
// rows are durable, so a caller can commit Kafka offsets after it. A failed
// insert keeps the rows and rethrows: the caller applies back-pressure and
// retries; duplicates from a retried batch collapse on the id.
import type { ClickHouseClient } from "@clickhouse/client";

export interface BatchWriterOptions {
  table: string;
  maxRows: number;
  maxDelayMs: number;
  onFlushed?: (rows: number, ms: number) => void;
  onError?: (err: unknown) => void;
}

export class BatchWriter<Row extends object> {
  private pending: Row[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly opts: BatchWriterOptions,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /** Adds rows; resolves once the full batches among them (if any) are written. */
  async write(rows: Row[]): Promise<void> {
    for (const r of rows) this.pending.push(r);
    if (this.pending.length >= this.opts.maxRows) await this.drain(this.opts.maxRows);
    if (this.pending.length > 0) {
      this.timer ??= setTimeout(() => {
        this.flush().catch((e) => this.opts.onError?.(e));
      }, this.opts.maxDelayMs).unref();
    }
  }

  /** Writes everything pending; concurrent calls are serialized. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.drain(1);
  }

  /** Inserts batches while at least `minRows` are pending. */
  private drain(minRows: number): Promise<void> {
    this.inflight = this.inflight.catch(() => undefined).then(() => this.insertPending(minRows));
    return this.inflight;
  }

  private async insertPending(minRows: number): Promise<void> {
    while (this.pending.length >= minRows && this.pending.length > 0) {
      const batch = this.pending.slice(0, this.opts.maxRows);
      const started = performance.now();
      await this.client.insert({ table: this.opts.table, values: batch, format: "JSONEachRow" });
      this.pending.splice(0, batch.length);
      this.opts.onFlushed?.(batch.length, performance.now() - started);
    }
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
