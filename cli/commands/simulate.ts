// `mailwarden simulate`: writes native-format logs of a simulated mail
// platform (normal life, benign noise, a scenario's attacks) plus ground
// truth (labels.jsonl), the simulated IP → ASN/country table (networks.json)
// and manifest.json. One JSON line on stdout when done; a summary on stderr.
import { existsSync, readdirSync } from "node:fs";
import type { Command } from "commander";
import { DEFAULT_START, DEFAULTS, SCENARIOS, type Scenario, simulate } from "../../simulator/simulate.js";
import { UserError } from "../errors.js";

interface SimulateCliOptions {
  scenario: string;
  seed: string;
  out: string;
  hosts: string;
  accounts: string;
  days: string;
  start?: string;
}

function positiveInt(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UserError(`simulate: --${name} must be an integer from ${min} to ${max}, not '${value.slice(0, 40)}'`);
  }
  return n;
}

function startOf(value: string | undefined): number {
  const text = value ?? process.env.MAILWARDEN_SIM_START ?? DEFAULT_START;
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    const from = value === undefined ? "MAILWARDEN_SIM_START" : "--start";
    throw new UserError(
      `simulate: ${from} must be an ISO-8601 date such as 2026-11-01T00:00:00Z, not '${text.slice(0, 40)}'`,
    );
  }
  return ms;
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description("write native-format logs of a simulated mail platform plus ground-truth labels")
    .requiredOption("--scenario <name>", `one of: ${SCENARIOS.join(", ")}`)
    .requiredOption("--seed <n>", "PRNG seed (non-negative integer): same seed, same output")
    .requiredOption("--out <dir>", "output directory (created; must be empty)")
    .option("--hosts <n>", "number of hosts", String(DEFAULTS.hosts))
    .option("--accounts <n>", "number of mail accounts", String(DEFAULTS.accounts))
    .option("--days <n>", "simulated days", String(DEFAULTS.days))
    .option("--start <iso>", `start of the simulated time (default: $MAILWARDEN_SIM_START, else ${DEFAULT_START})`)
    .action(async (opts: SimulateCliOptions) => {
      if (!(SCENARIOS as readonly string[]).includes(opts.scenario)) {
        throw new UserError(
          `simulate: unknown scenario '${opts.scenario.slice(0, 40)}' (known: ${SCENARIOS.join(", ")})`,
        );
      }
      const seed = positiveInt("seed", opts.seed, 0, 2 ** 32 - 1);
      const hosts = positiveInt("hosts", opts.hosts, 1, 5000);
      const accounts = positiveInt("accounts", opts.accounts, 50, 20_000_000);
      const days = positiveInt("days", opts.days, 1, 366);
      const start = startOf(opts.start);
      if (existsSync(opts.out) && readdirSync(opts.out).length > 0) {
        throw new UserError(`simulate: --out ${opts.out} exists and is not empty`);
      }
      const began = process.hrtime.bigint();
      const m = await simulate({
        scenario: opts.scenario as Scenario,
        seed,
        out: opts.out,
        hosts,
        accounts,
        days,
        start,
      });
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      process.stdout.write(
        `${JSON.stringify({
          out: opts.out,
          scenario: m.scenario,
          seed: m.seed,
          start: m.start,
          end: m.end,
          hosts: hosts,
          accounts,
          days,
          files: m.totals.files,
          lines: m.totals.lines,
          bytes: m.totals.bytes,
          attacks: m.labels.attacks,
          noise: m.labels.noise,
          seconds: Math.round(seconds * 100) / 100,
        })}\n`,
      );
      process.stderr.write(
        `simulate: ${m.scenario} seed ${m.seed}: ${hosts} hosts, ${accounts} accounts, ${days} days from ${m.start}; ` +
          `${m.totals.files} files, ${m.totals.lines} lines, ${(m.totals.bytes / 1e6).toFixed(1)} MB, ` +
          `${m.labels.attacks} attack and ${m.labels.noise} noise labels in ${seconds.toFixed(1)} s → ${opts.out}\n`,
      );
    });
}
