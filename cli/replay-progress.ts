// Progress of reading a log directory (replay, eval --offline): megabytes read
// of the total, on stderr and only when asked (a terminal); nothing otherwise.
import { SingleBar } from "cli-progress";

export interface ReplayProgress {
  /** Pass to mergedEvents: counts the bytes read and redraws at each new megabyte. */
  onBytes(n: number): void;
  /** Draws the bar full and takes it down. */
  done(): void;
}

export function replayProgress(label: string, totalBytes: number, show: boolean): ReplayProgress {
  const total = Math.ceil(totalBytes / 1e6);
  const bar = show
    ? new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} MB | {eta}s` })
    : undefined;
  bar?.start(total, 0);
  let bytes = 0;
  return {
    onBytes: (n) => {
      bytes += n;
      if (bytes % 1_000_000 < n) bar?.update(Math.floor(bytes / 1e6));
    },
    done: () => {
      bar?.update(total);
      bar?.stop();
    },
  };
}
