// The archiver: every valid event → ClickHouse `events`, in batches, in its own
// consumer group (it never waits for the detections, nor they for it). Rows
// are idempotent on the event id, so a re-read after a crash is harmless;
// offsets are committed only after the batch writer has flushed. Invalid
// records are dead-lettered by the first detection stage, so here they are
// only counted.
import type { ClickHouseClient } from "@clickhouse/client";
import { BatchWriter } from "../store/batch-writer.js";
import { type EventRow, eventToRow } from "../store/event-rows.js";
import { decodeEvents } from "./records.js";
import type { StageHandler, StageMessage } from "./stage.js";

export class Archiver implements StageHandler {
  private readonly writer: BatchWriter<EventRow>;
  archived = 0;
  invalid = 0;

  constructor(client: ClickHouseClient, batch: { maxRows: number; maxDelayMs: number }) {
    // No timer-driven flushes: durability is decided by the stage's checkpoints.
    this.writer = new BatchWriter(client, { table: "events", maxRows: batch.maxRows, maxDelayMs: 3_600_000 });
  }

  async handle(messages: StageMessage[]): Promise<void> {
    const { events, deadLetters } = decodeEvents(messages, "");
    this.invalid += deadLetters.messages.length;
    await this.writer.write(events.map(({ event }) => eventToRow(event)));
    this.archived += events.length;
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  snapshot(): unknown {
    return null;
  }

  restore(): void {}
}
