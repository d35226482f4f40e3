// Row output for commands whose results other tools read (JSON Lines, CSV) or
// people read (an aligned table). Data goes to stdout; summaries to stderr.
import type { Writable } from "node:stream";

export const OUTPUT_FORMATS = ["jsonl", "csv", "table"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

type Row = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function csvField(v: unknown): string {
  const s = cell(v);
  return /[",\r\n]/.test(s) || /^[=+\-@\t]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function writeRows(out: Writable, rows: Row[], format: OutputFormat, columns?: string[]): void {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  if (format === "jsonl") {
    for (const r of rows) out.write(`${JSON.stringify(r)}\n`);
    return;
  }
  if (format === "csv") {
    out.write(`${cols.map(csvField).join(",")}\n`);
    for (const r of rows) out.write(`${cols.map((c) => csvField(r[c])).join(",")}\n`);
    return;
  }
  const cells = rows.map((r) => cols.map((c) => cell(r[c]).replace(/[\r\n\t]/g, " ")));
  const widths = cols.map((c, i) => Math.min(80, Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length))));
  const line = (vals: string[]) =>
    `${vals
      .map((v, i) => {
        const w = widths[i] ?? 0;
        return v.length > w ? `${v.slice(0, w - 1)}…` : v.padEnd(w);
      })
      .join("  ")
      .trimEnd()}\n`;
  out.write(line(cols));
  out.write(line(widths.map((w) => "-".repeat(w))));
  for (const row of cells) out.write(line(row));
}
