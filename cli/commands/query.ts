// `mailwarden query --sql "..."`: read-only SQL against the configured store.
// Read-only is the engine's `readonly` setting, not a string check, so any
// statement that writes or alters is refused by ClickHouse itself.
import type { Command } from "commander";
import { loadConfig } from "../../config/load.js";
import { detectorConfigSchema } from "../../config/roles.js";
import { firstLine, openStore } from "../../detector/store/client.js";
import { UserError } from "../errors.js";
import { OUTPUT_FORMATS, type OutputFormat, writeRows } from "../output.js";

export function registerQuery(program: Command): void {
  program
    .command("query")
    .description("forensics from the shell: read-only SQL against the store")
    .requiredOption("--sql <statement>", "a read-only SQL statement (writes are refused by the engine)")
    .option("--format <format>", `output format: ${OUTPUT_FORMATS.join("|")}`, "jsonl")
    .option("--config <file>", "detector YAML (for the store section); defaults + environment when omitted")
    .addHelpText(
      "after",
      "\nRows are read deduplicated (ClickHouse `final` setting). Example:\n" +
        '  mailwarden query --sql "SELECT host, count() FROM events GROUP BY host" --format table',
    )
    .action(async (opts: { sql: string; format: string; config?: string }) => {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(opts.format)) {
        throw new UserError(`query: unknown --format '${opts.format}' (expected ${OUTPUT_FORMATS.join(", ")})`);
      }
      const cfg = loadConfig(detectorConfigSchema, opts.config ? { file: opts.config } : {});
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
}
