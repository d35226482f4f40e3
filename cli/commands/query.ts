// `mailwarden query`: forensics from the shell. `--sql "..."` is read-only SQL
// against the configured store; read-only is the engine's `readonly`
// setting, not a string check, so any statement that writes or alters is
// refused by ClickHouse itself. It needs a store of its own: in the embedded
// engine the setting would stay on for the whole session, so the detector's
// API does not offer it. The forensic subcommands (timeline, pivot,
// blast-radius) live in query-forensics.ts and share --format and --config.
import type { Command } from "commander";
import { firstLine, openStore } from "../../detector/store/client.js";
import { loadDetectorConfig } from "../detector-config.js";
import { UserError } from "../errors.js";
import { OUTPUT_FORMATS, type OutputFormat, writeRows } from "../output.js";
import { registerForensics } from "./query-forensics.js";

export function registerQuery(program: Command): void {
  const query = program
    .command("query")
    .description("forensics from the shell: timeline, pivot, blast-radius, read-only SQL")
    .option("--sql <statement>", "a read-only SQL statement (writes are refused by the engine)")
    .option("--format <format>", `output format: ${OUTPUT_FORMATS.join("|")}`, "jsonl")
    .option("--config <file>", "detector YAML (for the store section); defaults + environment when omitted")
    .addHelpText(
      "after",
      "\n--sql rows are read deduplicated (ClickHouse `final` setting). Examples:\n" +
        '  mailwarden query --sql "SELECT host, count() FROM events GROUP BY host" --format table\n' +
        "  mailwarden query timeline --ip 203.0.113.7 --from 2026-05-16 --to 2026-06-17 --format csv\n" +
        "  mailwarden query pivot ip 203.0.113.7 --format table\n" +
        "  mailwarden query blast-radius --incident ID --format csv > reset.csv",
    )
    .action(async (opts: { sql?: string; format: string; config?: string }) => {
      if (opts.sql === undefined) {
        throw new UserError("query: give --sql or a subcommand: timeline, pivot, blast-radius (see --help)");
      }
      if (!(OUTPUT_FORMATS as readonly string[]).includes(opts.format)) {
        throw new UserError(`query: unknown --format '${opts.format}' (expected ${OUTPUT_FORMATS.join(", ")})`);
      }
      const cfg = loadDetectorConfig(opts.config);
      const store = await openStore(cfg.store);
      try {
        const rs = await store.client
          .query({
            query: opts.sql,
            format: "JSONEachRow",
            // Order matters: once `readonly` is set no other setting may change.
            clickhouse_settings: { final: 1, readonly: "1" },
          })
          .catch((e: unknown) => {
            throw new UserError(`query: ${firstLine(e).replace(/^default: /, "")}`);
          });
        writeRows(process.stdout, await rs.json<Record<string, unknown>>(), opts.format as OutputFormat);
      } finally {
        await store.close();
      }
    });
  registerForensics(query);
}
