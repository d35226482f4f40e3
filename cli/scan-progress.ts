// Progress of a long forensic scan, on stderr and only on a terminal: rows so
// far and elapsed time, redrawn in place, erased when the scan ends. Piped
// output (CSV into a file, JSONL into jq) stays clean.
export interface ScanProgress {
  rows(n: number): void;
  done(): void;
}

export function scanProgress(label: string, out: NodeJS.WriteStream = process.stderr): ScanProgress {
  if (!out.isTTY) return { rows: () => undefined, done: () => undefined };
  const start = Date.now();
  let rows = 0;
  const draw = () =>
    out.write(`\r${label}: ${rows.toLocaleString("en")} rows, ${((Date.now() - start) / 1000).toFixed(1)} s `);
  // Quick answers print nothing; the line appears once a scan takes a while.
  const timer = setInterval(draw, 250);
  timer.unref();
  return {
    rows: (n) => {
      rows = n;
    },
    done: () => {
      clearInterval(timer);
      if (Date.now() - start >= 250) out.write("\r\x1b[K");
    },
  };
}
