// The authentication parsers by id, and `auto` dispatch by syslog program.
import { dovecotParser } from "./dovecot.js";
import { postfixParser } from "./postfix.js";
import { roundcubeParser } from "./roundcube.js";
import { slapdParser } from "./slapd.js";
import { sshdParser } from "./sshd.js";
import type { AuthParser } from "./types.js";

export const PARSERS = {
  dovecot: dovecotParser,
  postfix: postfixParser,
  roundcube: roundcubeParser,
  slapd: slapdParser,
  sshd: sshdParser,
} as const;

export type ParserId = keyof typeof PARSERS;
export const PARSER_IDS = Object.keys(PARSERS).sort() as ParserId[];

/** A `--source` that names no parser. Its message is one line, for the CLI to print (exit 2). */
export class UnknownSourceError extends Error {
  readonly exitCode = 2;
  constructor(readonly source: string) {
    super(`unknown source "${source.slice(0, 64)}" (known: auto, ${PARSER_IDS.join(", ")})`);
    this.name = "UnknownSourceError";
  }
}

export function isParserId(s: string): s is ParserId {
  return Object.hasOwn(PARSERS, s);
}

/** The parser named `id`; throws UnknownSourceError. */
export function parserById(id: string): AuthParser<unknown> {
  if (!isParserId(id)) throw new UnknownSourceError(id);
  return PARSERS[id] as AuthParser<unknown>;
}

/**
 * The parser for a syslog program/tag, or undefined:
 * `dovecot` (and Dovecot's own log file, which the envelope names "dovecot"),
 * `postfix*` tags ending in `/smtpd` (`postfix/smtpd`, `postfix/submission/smtpd`,
 * `postfix-incoming/smtpd`), `sshd` / `sshd-session` / `sshd-auth`, `slapd`,
 * `roundcube` / `roundcubemail`.
 */
export function parserIdForProgram(program: string): ParserId | undefined {
  switch (program) {
    case "dovecot":
    case "dovecot-auth":
      return "dovecot";
    case "sshd":
    case "sshd-session":
    case "sshd-auth":
      return "sshd";
    case "slapd":
      return "slapd";
    case "roundcube":
    case "roundcubemail":
      return "roundcube";
    case "smtpd":
      return "postfix";
    default:
      return program.startsWith("postfix") && program.endsWith("/smtpd") ? "postfix" : undefined;
  }
}
