// `mailwarden query timeline|pivot|blast-radius`: the forensic questions of
// DESIGN §1 from the shell, on the store directly or through the detector's
// API (see forensics-backend.ts). Rows go to stdout in the chosen format; the
// summary (what answered, what was cut, where the next page starts) to stderr.
import { Argument, type Command } from "commander";
import { parseCursor } from "../../detector/api/cursor.js";
import { parseEntity } from "../../detector/forensics/entity.js";
import {
  InputError,
  parseId,
  parseIp,
  parseLimit,
  parseName,
  parseNetwork,
  parseRange,
} from "../../detector/forensics/input.js";
import { cidrsOf, type ForensicsNetworks, networksFromConfig } from "../../detector/forensics/networks.js";
import { PIVOT_KINDS, type PivotKind } from "../../detector/forensics/pivot.js";
import type { TimelineEntry } from "../../detector/forensics/timeline.js";
import { loadDetectorConfig } from "../detector-config.js";
import { UserError } from "../errors.js";
import { type ForensicsBackend, openForensics } from "../forensics-backend.js";
import { OUTPUT_FORMATS, type OutputFormat, writeRows } from "../output.js";
import { scanProgress } from "../scan-progress.js";

const MAX_TIMELINE = 1_000_000;
const MAX_PER_RELATION = 10_000;

interface Shared {
  format: string;
  config?: string;
}

/** Runs a forensic command: shared options checked, the backend opened and closed, input errors as one line. */
async function withBackend(
  cmd: Command,
  run: (b: ForensicsBackend, format: OutputFormat, facts: ForensicsNetworks) => Promise<void>,
): Promise<void> {
  const { format, config } = cmd.optsWithGlobals<Shared>();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UserError(`query: unknown --format '${format}' (expected ${OUTPUT_FORMATS.join(", ")})`);
  }
  const cfg = loadDetectorConfig(config);
  const facts = networksFromConfig(cfg.detector.networks);
  try {
    const backend = await openForensics(cfg, facts);
    try {
      await run(backend, format as OutputFormat, facts);
    } finally {
      await backend.close();
    }
  } catch (e) {
    if (e instanceof InputError) throw new UserError(`query ${cmd.name()}: ${e.message}`);
    throw e;
  }
}

interface TimelineOpts {
  host?: string;
  user?: string;
  ip?: string;
  network?: string;
  from?: string;
  to?: string;
  limit: string;
  cursor?: string;
}

const TIMELINE_COLUMNS: (keyof TimelineEntry)[] = [
  "ts",
  "type",
  "id",
  "host",
  "source",
  "kind",
  "action",
  "outcome",
  "user",
  "src_ip",
  "dst_ip",
  "dst_port",
  "process",
  "object",
  "records",
  "bytes_out",
  "detail",
];

function registerTimeline(query: Command): void {
  query
    .command("timeline")
    .description("every event and finding of one host, account, address or network, oldest first")
    .option("--host <name>", "a host")
    .option("--user <account>", "an account (as logged, e.g. alice@example.jp)")
    .option("--ip <address>", "an address, as source or destination")
    .option("--network <cidr|asn>", "a network: CIDR, or ASN (AS64500) looked up in detector.networks.asnTable")
    .option("--from <time>", "start, inclusive (ISO-8601; UTC when no zone)")
    .option("--to <time>", "end, exclusive")
    .option("--limit <n>", `entries to print (up to ${MAX_TIMELINE})`, "1000")
    .option("--cursor <cursor>", "continue where a previous run stopped (printed on stderr)")
    .action(async (o: TimelineOpts, cmd: Command) =>
      withBackend(cmd, async (backend, format, facts) => {
        const { network, ...rest } = o;
        const entity = parseEntity({ ...rest, ...(network === undefined ? {} : { network: [network] }) }, facts);
        const range = parseRange(o.from, o.to);
        const limit = parseLimit(o.limit, MAX_TIMELINE);
        let after = o.cursor === undefined ? undefined : parseCursor(o.cursor);
        if (o.cursor !== undefined && !after) throw new InputError("--cursor is not a cursor this command printed");
        const rows: TimelineEntry[] = [];
        let next: string | null = null;
        const progress = scanProgress("timeline");
        try {
          do {
            const p = await backend.timeline({
              entity,
              ...range,
              ...(after ? { after } : {}),
              limit: Math.min(backend.maxPage, limit - rows.length),
            });
            rows.push(...p.items);
            progress.rows(rows.length);
            next = p.next_cursor;
            after = next ? parseCursor(next) : undefined;
          } while (next && rows.length < limit);
        } finally {
          progress.done();
        }
        writeRows(process.stdout, rows as unknown as Record<string, unknown>[], format, TIMELINE_COLUMNS);
        process.stderr.write(
          `timeline: ${rows.length} entries from ${backend.via}${next ? `; more: --cursor ${next}` : ""}\n`,
        );
      }),
    );
}

function registerPivot(query: Command): void {
  query
    .command("pivot")
    .description("what an address, account or host touched: accounts, hosts, processes, destinations, findings")
    .addArgument(new Argument("<kind>", "what the value is").choices(PIVOT_KINDS))
    .argument("<value>", "the address, account or host")
    .option("--from <time>", "start, inclusive (ISO-8601; UTC when no zone)")
    .option("--to <time>", "end, exclusive")
    .option("--limit <n>", `values listed per relation, most frequent first (up to ${MAX_PER_RELATION})`, "100")
    .action(async (kind: string, value: string, o: { from?: string; to?: string; limit: string }, cmd: Command) =>
      withBackend(cmd, async (backend, format) => {
        const v = kind === "ip" ? parseIp(value) : parseName(value, kind);
        const q = {
          kind: kind as PivotKind,
          value: v,
          ...parseRange(o.from, o.to),
          perRelation: parseLimit(o.limit, MAX_PER_RELATION),
        };
        const progress = scanProgress("pivot");
        const result = await backend.pivot(q).finally(() => progress.done());
        writeRows(process.stdout, result.items as unknown as Record<string, unknown>[], format, [
          "relation",
          "value",
          "events",
          "first_seen",
          "last_seen",
        ]);
        process.stderr.write(
          `pivot: ${result.items.length} rows from ${backend.via}` +
            (result.truncated.length ? `; only the top ${q.perRelation} of: ${result.truncated.join(", ")}` : "") +
            "\n",
        );
      }),
    );
}

function registerBlastRadius(query: Command): void {
  query
    .command("blast-radius")
    .description("the accounts to force-reset after an incident: credentials read, logins from the attacker's networks")
    .requiredOption("--incident <id>", "the incident id (32 hex characters)")
    .option(
      "--network <cidr|asn>",
      "a further attacker network (repeatable), e.g. from another incident or threat intelligence",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .addHelpText(
      "after",
      "\nThe reset list as CSV:\n  mailwarden query blast-radius --incident ID --format csv > reset.csv",
    )
    .action(async (o: { incident: string; network: string[] }, cmd: Command) =>
      withBackend(cmd, async (backend, format, facts) => {
        const incident = parseId(o.incident, "incident");
        const networks = cidrsOf(o.network.map(parseNetwork), facts);
        const progress = scanProgress("blast-radius");
        const br = await backend.blastRadius(incident, networks).finally(() => progress.done());
        if (!br) throw new InputError(`incident '${incident}' not found`);
        // JSON Lines keeps the lists; CSV and the table get one flat cell each.
        const rows =
          format === "jsonl"
            ? br.accounts
            : br.accounts.map((a) => ({
                ...a,
                read_via: a.read_via.join("; "),
                attacker_ips: a.attacker_ips.join(" "),
                evidence: a.evidence.join(" "),
              }));
        writeRows(process.stdout, rows as unknown as Record<string, unknown>[], format, [
          "account",
          "credentials_read_at",
          "read_via",
          "attacker_login_at",
          "attacker_ips",
          "attacker_logins",
          "attacker_failures",
          "evidence",
        ]);
        const logins = br.accounts.filter((a) => a.attacker_login_at !== null).length;
        process.stderr.write(
          `blast-radius of incident ${incident} (${backend.via}): ${br.accounts.length} accounts; ` +
            `${br.reads.length} credential reads (${[...new Set(br.reads.map((r) => `${r.how} ${r.object}`))].join("; ") || "none"}); ` +
            `${logins} accounts with logins from ${br.attacker_networks.join(", ") || "no known attacker network"} since ${br.since ?? "-"}\n`,
        );
      }),
    );
}

export function registerForensics(query: Command): void {
  registerTimeline(query);
  registerPivot(query);
  registerBlastRadius(query);
}
