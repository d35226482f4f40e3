#!/usr/bin/env node
// The `mailwarden` command. Each subcommand lives in commands/<name>.ts; only
// commands that work are registered. User mistakes end with one line on
// stderr and exit code 2; anything else is a bug and keeps its stack.
import { Command, CommanderError } from "commander";
import { PACKAGE_VERSION } from "../config/paths.js";
import { registerCollect } from "./commands/collect.js";
import { registerDashboards } from "./commands/dashboards.js";
import { registerDemo } from "./commands/demo.js";
import { registerDetect } from "./commands/detect.js";
import { registerEval } from "./commands/eval.js";
import { registerParse } from "./commands/parse.js";
import { registerQuery } from "./commands/query.js";
import { registerReplay } from "./commands/replay.js";
import { registerSetup } from "./commands/setup.js";
import { registerSimulate } from "./commands/simulate.js";
import { EXIT_USAGE, UserError } from "./errors.js";

export function buildProgram(): Command {
  const program = new Command("mailwarden")
    .description("EDR-style telemetry and breach detection for ISP mail platforms")
    .version(PACKAGE_VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerDemo(program);
  registerSetup(program);
  registerParse(program);
  registerCollect(program);
  registerSimulate(program);
  registerReplay(program);
  registerDetect(program);
  registerEval(program);
  registerQuery(program);
  registerDashboards(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed help/version or the usage error itself.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof UserError) {
      process.stderr.write(`mailwarden: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

// `mailwarden query … | head`: a reader that stops early is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv);
