// The parsers by id, `auto` dispatch by syslog program, and the table that
// lets `auto` recognize native (non-syslog) lines by their first character.
import { auditdParser } from "./auditd.js";
import { dovecotParser } from "./dovecot.js";
import { mariadbAuditParser } from "./mariadb-audit.js";
import { postfixParser } from "./postfix.js";
import { roundcubeParser } from "./roundcube.js";
import { slapdParser } from "./slapd.js";
import { ssParser } from "./ss.js";
import { sshdParser } from "./sshd.js";
import type { LogParser } from "./types.js";
import { zeekConnParser } from "./zeek-conn.js";

export const PARSERS = {
  auditd: auditdParser,
  dovecot: dovecotParser,
  "mariadb-audit": mariadbAuditParser,
  postfix: postfixParser,
  roundcube: roundcubeParser,
  slapd: slapdParser,
  ss: ssParser,
  sshd: sshdParser,
  "zeek-conn": zeekConnParser,
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
export function parserById(id: string): LogParser<unknown> {
  if (!isParserId(id)) throw new UnknownSourceError(id);
  return PARSERS[id] as LogParser<unknown>;
}

// Postfix delivery agents whose lines carry `to=<...>, relay=..., status=...`,
// and the queue manager; `smtpd` for SASL authentication.
const POSTFIX_PROGRAMS = new Set([
  "smtpd",
  "qmgr",
  "smtp",
  "lmtp",
  "relay",
  "local",
  "virtual",
  "pipe",
  "error",
  "discard",
]);

/**
 * The parser for a syslog program/tag, or undefined:
 * `dovecot` (and Dovecot's own log file, which the envelope names "dovecot"),
 * `postfix*` tags whose last part is `smtpd`, `qmgr` or a delivery agent
 * (`postfix/smtpd`, `postfix/submission/smtpd`, `postfix-out/smtp`,
 * `postfix/lmtp`...), `sshd` / `sshd-session` / `sshd-auth`, `slapd`,
 * `roundcube` / `roundcubemail`, `audit` / `audisp-syslog` / `audispd` /
 * `kernel` (audit records), `mysql-server_auditing` / `mariadb-server_auditing`
 * (server_audit with `server_audit_output_type=syslog`).
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
    case "audit":
    case "audisp-syslog":
    case "audispd":
    case "auditd":
    case "kernel":
      return "auditd";
    case "mysql-server_auditing":
    case "mariadb-server_auditing":
      return "mariadb-audit";
    default: {
      if (!program.startsWith("postfix")) return undefined;
      if (program.endsWith("/smtpd")) return "postfix"; // the most frequent: no substring
      const slash = program.lastIndexOf("/");
      return slash !== -1 && POSTFIX_PROGRAMS.has(program.slice(slash + 1)) ? "postfix" : undefined;
    }
  }
}

/**
 * Parsers with a native format, by the character code a native line starts
 * with (ASCII only): what `auto` asks before it tries the syslog envelope.
 */
export const NATIVE_BY_FIRST_CHAR: ReadonlyArray<readonly LogParser<unknown>[] | undefined> = (() => {
  const table: Array<LogParser<unknown>[] | undefined> = new Array(128).fill(undefined);
  for (const id of PARSER_IDS) {
    const p = PARSERS[id] as LogParser<unknown>;
    if (p.native === undefined) continue;
    for (const ch of p.native.firstChars) {
      const c = ch.charCodeAt(0);
      if (c >= 128) continue;
      let list = table[c];
      if (list === undefined) {
        list = [];
        table[c] = list;
      }
      list.push(p);
    }
  }
  return table;
})();
