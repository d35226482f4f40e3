// `mailwarden parse`: offline parsing with the agent's own parsers. Events as
// JSON Lines on stdout; a summary of lines read/recognized/skipped on stderr.

import { once } from "node:events";
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import type { Command } from "commander";
import { UnknownSourceError } from "../../collectors/parsers/registry.js";
import { createLineParser } from "../../collectors/pipeline/line-parser.js";
import { readLines } from "../../collectors/sources/read-lines.js";
import { UserError } from "../errors.js";

interface ParseOptions {
  source: string;
  host?: string;
  year?: string;
}

export function registerParse(program: Command): void {
  program
    .command("parse")
    .description("parse log lines offline: one normalized event per recognized line (JSONL on stdout)")
    .argument("[file]", "log file, or - for standard input", "-")
    .option("--source <name>", "parser id, or auto to pick one per line (native format, else syslog program)", "auto")
    .option("--host <name>", "host for lines whose envelope names none")
    .option("--year <year>", "year of the first RFC 3164 line (default: inferred from today)")
    .action(async (file: string, opts: ParseOptions) => {
      let parser: ReturnType<typeof createLineParser>;
      const year = opts.year === undefined ? undefined : Number(opts.year);
      if (year !== undefined && !(Number.isInteger(year) && year >= 1970 && year <= 9999)) {
        throw new UserError(`parse: --year must be a year such as 2026, not '${opts.year}'`);
      }
      try {
        parser = createLineParser({
          source: opts.source,
          now: () => new Date(),
          ...(opts.host ? { host: opts.host } : {}),
          ...(year ? { year } : {}),
        });
      } catch (e) {
        if (e instanceof UnknownSourceError) throw new UserError(`parse: ${e.message}`);
        throw e;
      }
      if (file !== "-") {
        await access(file).catch((e: NodeJS.ErrnoException) => {
          throw new UserError(`parse: cannot read ${file} (${e.code})`);
        });
      }
      const input = file === "-" ? process.stdin : createReadStream(file);
      const out: string[] = [];
      for await (const line of readLines(input)) {
        for (const e of parser.parseLine(line.text, line.position)) out.push(JSON.stringify(e));
        if (out.length >= 512) await flush(out);
      }
      // End of input: events still waiting for their last record (an auditd event without EOE...).
      for (const e of parser.flush()) out.push(JSON.stringify(e));
      await flush(out);
      const s = parser.stats();
      const skipped = Object.entries(s.skipped)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${reason}=${n}`);
      process.stderr.write(
        `parse: ${s.read} lines read, ${s.recognized} recognized, ${s.events} events; skipped ${
          s.read - s.recognized
        }${skipped.length ? ` (${skipped.join(", ")})` : ""}\n`,
      );
    });
}

/** Writes and waits for a slow reader (a pipe), so memory stays bounded. */
async function flush(lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const ok = process.stdout.write(`${lines.join("\n")}\n`);
  lines.length = 0;
  if (!ok) await once(process.stdout, "drain");
}
