// Structured logs: pino JSON lines on stderr (stdout carries JSONL data).
// Pretty only when stderr is a terminal and the user did not ask for JSON.
import { type Logger, pino } from "pino";

export type { Logger };

export function createLogger(opts: { name: string; level?: string }): Logger {
  const pretty = process.stderr.isTTY && process.env.LOG_FORMAT !== "json";
  return pino(
    { name: opts.name, level: opts.level ?? process.env.LOG_LEVEL ?? "info", base: { name: opts.name } },
    pretty
      ? pino.transport({ target: "pino-pretty", options: { destination: 2, colorize: true } })
      : pino.destination({ fd: 2, sync: false }),
  );
}
