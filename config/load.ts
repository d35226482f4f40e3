// Loads one role's YAML file, applies environment overrides and validates the
// result; every problem becomes a one-line ConfigError (exit 2).
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../cli/errors.js";
import { COMMON_ENV } from "./common.js";

export type EnvMap = typeof COMMON_ENV;

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(file, `cannot read file (${code})`);
  }
  const doc = parseDocument(text, { prettyErrors: false });
  const err = doc.errors[0];
  if (err) throw new ConfigError(file, `invalid YAML: ${err.message.split("\n")[0]}`);
  return doc.toJS() ?? {};
}

function applyEnv(target: Record<string, unknown>, env: NodeJS.ProcessEnv, map: EnvMap): void {
  for (const [name, spec] of Object.entries(map)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown = raw;
    if (spec.type === "int") {
      value = /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    } else if (spec.type === "list") {
      value = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    }
    let node = target;
    for (const key of spec.path.slice(0, -1)) {
      const next = node[key];
      node[key] = typeof next === "object" && next !== null ? next : {};
      node = node[key] as Record<string, unknown>;
    }
    node[spec.path.at(-1) as string] = value;
  }
}

/** Formats the first validation issue as `config: a.b.c: problem`. */
function firstIssue(error: z.ZodError, envUsed: Set<string>, envMap: EnvMap): ConfigError {
  const issue = error.issues[0];
  if (!issue) return new ConfigError("(root)", "invalid configuration");
  const path = issue.path.map(String).join(".") || "(root)";
  const fromEnv = Object.entries(envMap).find(([name, s]) => envUsed.has(name) && s.path.join(".") === path);
  return new ConfigError(fromEnv ? `${path} (from ${fromEnv[0]})` : path, issue.message);
}

export interface LoadOptions {
  /** YAML file; omitted = defaults plus environment. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  envMap?: EnvMap;
}

export function loadConfig<S extends z.ZodType>(schema: S, opts: LoadOptions = {}): z.output<S> {
  const env = opts.env ?? process.env;
  const envMap = opts.envMap ?? COMMON_ENV;
  const input = opts.file ? readYaml(opts.file) : {};
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ConfigError(opts.file ?? "(root)", "expected a mapping at the top level");
  }
  const merged = structuredClone(input) as Record<string, unknown>;
  applyEnv(merged, env, envMap);
  const result = schema.safeParse(merged);
  if (!result.success) {
    const used = new Set(Object.keys(envMap).filter((n) => env[n] !== undefined && env[n] !== ""));
    throw firstIssue(result.error, used, envMap);
  }
  return result.data;
}
