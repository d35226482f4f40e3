// Secrets never leave the host (DESIGN §8). Debug logging can print the
// passwords users typed: Dovecot's auth_verbose_passwords
// ("Password mismatch (given password: hunter2)"), auth_debug_passwords
// ("CRYPT(hunter2) != '$6$...'", "resp=<base64 of \0user\0password>"), and
// anything shaped like a password field (`password=`, `pass=`, `pwd=`...).
// SQL text (MariaDB's audit and slow logs) carries passwords as literals:
// `WHERE password = 'x'`, `SET password='{SSHA}...'`, `PASSWORD('x')`,
// `IDENTIFIED BY 'x'`, `INSERT INTO mailbox (username,password) VALUES (...)`.
// The pipeline runs every string that leaves a parser — raw and every field —
// through `redactSecrets`, and derives event ids from the redacted line, so not
// even a hash of a password leaves the host.

export const REDACTED = "<redacted>";

// Cheap screen: most lines contain none of these, and skip the rewriting.
const SCREEN = /pass|pwd|secret|resp=|!= '/i;
// SQL's `IDENTIFIED BY '...'` names no password: screened apart, and only in
// redactSecrets (the SQL parsers' events always go through it), so the
// per-line screen on the syslog hot path stays as short as it was.
const SQL_SCREEN = /identified/i;

// "(given password: X)" and "(SHA1 of given password: X)": the value runs to
// the end of the line (a password may contain ")" or spaces), keeping a final ")".
const GIVEN_PASSWORD = /((?:SHA1 of )?given password: ).*$/i;

// auth_debug_passwords: "SCHEME(plaintext) != 'stored hash'", to the end of the line.
const SCHEME_COMPARE = /\b([A-Z][A-Z0-9._-]*)\(.*\) != '.*$/;

// key=value / key: value where the key names a secret; quoted, bracketed or bare values.
const SECRET_FIELD =
  /\b([\w-]*(?:pass(?:word|wd|phrase)?|pwd|secret)|resp)(=|: ?)("[^"]*"?|<[^>]*>?|'[^']*'?|[^\s,;&)]+)/gi;

// A SQL string literal: '...' or "..." with doubled or backslash-escaped quotes inside.
const LITERAL = String.raw`(?:'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?)`;
const QUOTED_REDACTED = `'${REDACTED}'`;
// `IDENTIFIED BY 'x'`, `IDENTIFIED VIA ed25519 USING PASSWORD('x')`: the next literal.
const SQL_IDENTIFIED = new RegExp(String.raw`(\bIDENTIFIED\b[^'";]*?)${LITERAL}`, "gi");
// `PASSWORD('x')`, `OLD_PASSWORD('x')`.
const SQL_PASSWORD_FN = new RegExp(String.raw`(\b(?:OLD_)?PASSWORD\s*\(\s*)${LITERAL}`, "gi");
// `SET PASSWORD [FOR u] = 'x'`.
const SQL_SET_PASSWORD = new RegExp(String.raw`(\bSET\s+PASSWORD\b[^=;]*=\s*)${LITERAL}`, "gi");
// A password-named column compared or assigned: `password = 'x'`, `m.password<=>'x'`,
// `` `passwd` LIKE 'x' ``, `password = MD5('x')` / `ENCRYPT('x', password)`.
const SQL_COMPARE = new RegExp(
  String.raw`(\b[\w.\x60"]*pass(?:word|wd|phrase)?\w*[\x60"]?\s*(?:<=>|!=|<>|=|\bLIKE\b)\s*(?:[\w.]+\s*\(\s*)?)${LITERAL}`,
  "gi",
);
// `INSERT|REPLACE INTO t (..., password, ...) VALUES (...)`: every literal after VALUES.
const SQL_INSERT = /\b(?:INSERT|REPLACE)\b[^;]*?\([^()]*pass[^()]*\)\s*VALUES?\b/gi;
const ANY_LITERAL = new RegExp(LITERAL, "g");

/** `sql` with every password literal replaced by `'<redacted>'` (see the rules above). */
export function redactSql(sql: string): string {
  if (!sql.includes("'") && !sql.includes('"')) return sql;
  let out = sql.replace(SQL_IDENTIFIED, `$1${QUOTED_REDACTED}`);
  out = out.replace(SQL_PASSWORD_FN, `$1${QUOTED_REDACTED}`);
  out = out.replace(SQL_SET_PASSWORD, `$1${QUOTED_REDACTED}`);
  out = out.replace(SQL_COMPARE, `$1${QUOTED_REDACTED}`);
  SQL_INSERT.lastIndex = 0;
  const ins = SQL_INSERT.exec(out);
  if (ins !== null) {
    const at = ins.index + ins[0].length;
    out = out.slice(0, at) + out.slice(at).replace(ANY_LITERAL, QUOTED_REDACTED);
  }
  return out;
}

/** False when `s` certainly holds nothing `redactSecrets` would change (a cheap screen). */
export function mayHoldSecret(s: string): boolean {
  return SCREEN.test(s);
}

/** `s` with every password-shaped value replaced by `<redacted>`. */
export function redactSecrets(s: string): string {
  if (!SCREEN.test(s) && !SQL_SCREEN.test(s)) return s;
  let out = redactSql(s);
  out = out.replace(GIVEN_PASSWORD, (_m, lead: string) => `${lead}${REDACTED}${out.endsWith(")") ? ")" : ""}`);
  out = out.replace(SCHEME_COMPARE, `$1(${REDACTED}) != '${REDACTED}'`);
  out = out.replace(SECRET_FIELD, `$1$2${REDACTED}`);
  return out;
}
