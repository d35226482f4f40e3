// Runs the built `mailwarden collect` as a real child process, so tests can
// SIGTERM or kill -9 it like an operator (or an attacker) would.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { PACKAGE_ROOT } from "../../config/paths.js";
import { brokers, testPrefix } from "./kafka.js";

export const CLI = join(PACKAGE_ROOT, "dist", "cli", "main.js");

export function writeCollectorConfig(dir: string, host: string, sources: object[], extra: object = {}): string {
  const file = join(dir, "collector.yaml");
  writeFileSync(
    file,
    stringify({
      host,
      stateDir: join(dir, "state"),
      sources,
      kafka: { brokers, topicPrefix: testPrefix(host) },
      heartbeatSeconds: 5,
      ...extra,
    }),
  );
  return file;
}

export type CliChild = ChildProcess & { stderrText: () => string };

/** The built CLI as a child process with JSON logs; its stderr is kept for assertion messages. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliChild {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LOG_FORMAT: "json", ...env },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return Object.assign(child, { stderrText: () => stderr });
}

export function startAgent(config: string): CliChild {
  return spawnCli(["collect", "--config", config], { LOG_LEVEL: "info" });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
