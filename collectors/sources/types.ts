// What every source gives the agent: batches of lines, each with a position
// that identifies it inside its stream (it feeds the deterministic event id),
// and a commit that persists "everything up to here is spooled".
export interface SourceLine {
  text: string;
  position: string;
}

export interface SourceBatch {
  lines: SourceLine[];
  commit(): void;
}

export interface Source {
  /** Stable name for logs, metrics and the checkpoint file. */
  readonly name: string;
  /** Yields batches until `signal` aborts; the agent commits each after spooling it. */
  batches(signal: AbortSignal): AsyncIterable<SourceBatch>;
  /** Bytes (or records) known to be waiting, for the heartbeat's lag figure. */
  lag(): number;
}
