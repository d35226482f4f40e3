// The `api` section of the detector's configuration: where the alert and
// forensics API listens and who may call it. Only zod here, so config/roles.ts
// can import it without pulling in fastify.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../cli/errors.js";

export const API_ROLES = ["viewer", "responder", "admin"] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Tokens shorter than this are guessable; generate with `openssl rand -hex 32`. */
export const MIN_TOKEN_LENGTH = 24;

const apiTokenSchema = z
  .strictObject({
    /** Who the token belongs to: recorded as the actor of every action taken with it. */
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\w.@-]+$/, "expected letters, digits and . _ @ -"),
    role: z.enum(API_ROLES),
    /** The token itself; prefer `tokenFile` so it stays out of the config file. */
    token: z.string().min(MIN_TOKEN_LENGTH).optional(),
    /** A file holding the token (first line). */
    tokenFile: z.string().min(1).optional(),
  })
  .refine((t) => (t.token === undefined) !== (t.tokenFile === undefined), "set exactly one of token, tokenFile");

export const apiConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Loopback by default: put a TLS-terminating proxy in front to expose it. */
    host: z.string().min(1).default("127.0.0.1"),
    port: z.int().min(0).max(65535).default(8470),
    /** Largest request body accepted (bytes). */
    bodyLimit: z
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(64 * 1024),
    tokens: z
      .array(apiTokenSchema)
      .default([])
      .superRefine((tokens, ctx) => {
        const names = new Set<string>();
        for (const [i, t] of tokens.entries()) {
          if (names.has(t.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: "duplicate token name" });
          names.add(t.name);
        }
      }),
  })
  .prefault({});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export interface ApiToken {
  token: string;
  role: ApiRole;
  name: string;
}

/** Reads token files; a missing, unreadable or too short token is a ConfigError. */
export function resolveApiTokens(cfg: ApiConfig, readFile: (path: string) => string = readTextFile): ApiToken[] {
  return cfg.tokens.map((t, i) => {
    let token = t.token;
    if (token === undefined) {
      try {
        token = (readFile(t.tokenFile as string).split("\n")[0] ?? "").trim();
      } catch (e) {
        throw new ConfigError(
          `api.tokens.${i}.tokenFile`,
          `cannot read ${t.tokenFile} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
        );
      }
      if (token.length < MIN_TOKEN_LENGTH) {
        throw new ConfigError(`api.tokens.${i}.tokenFile`, `token shorter than ${MIN_TOKEN_LENGTH} characters`);
      }
    }
    return { token, role: t.role, name: t.name };
  });
}

function readTextFile(path: string): string {
  return readFileSync(path, "utf8");
}
