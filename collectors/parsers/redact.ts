// Secrets never leave the host (DESIGN §8). Debug logging can print the
// passwords users typed: Dovecot's auth_verbose_passwords
// ("Password mismatch (given password: hunter2)"), auth_debug_passwords
// ("CRYPT(hunter2) != '$6$...'", "resp=<base64 of \0user\0password>"), and
// anything shaped like a password field (`password=`, `pass=`, `pwd=`...).
// The pipeline runs every string that leaves a parser — raw and every field —
// through `redactSecrets`, and derives event ids from the redacted line, so not
// even a hash of a password leaves the host.

export const REDACTED = "<redacted>";

// Cheap screen: most lines contain none of these, and skip the rewriting.
const SCREEN = /pass|pwd|secret|resp=|!= '/i;

// "(given password: X)" and "(SHA1 of given password: X)": the value runs to
// the end of the line (a password may contain ")" or spaces), keeping a final ")".
const GIVEN_PASSWORD = /((?:SHA1 of )?given password: ).*$/i;

// auth_debug_passwords: "SCHEME(plaintext) != 'stored hash'", to the end of the line.
const SCHEME_COMPARE = /\b([A-Z][A-Z0-9._-]*)\(.*\) != '.*$/;

// key=value / key: value where the key names a secret; quoted, bracketed or bare values.
const SECRET_FIELD =
  /\b([\w-]*(?:pass(?:word|wd|phrase)?|pwd|secret)|resp)(=|: ?)("[^"]*"?|<[^>]*>?|'[^']*'?|[^\s,;&)]+)/gi;

/** False when `s` certainly holds nothing `redactSecrets` would change (a cheap screen). */
export function mayHoldSecret(s: string): boolean {
  return SCREEN.test(s);
}

/** `s` with every password-shaped value replaced by `<redacted>`. */
export function redactSecrets(s: string): string {
  if (!SCREEN.test(s)) return s;
  let out = s.replace(GIVEN_PASSWORD, (_m, lead: string) => `${lead}${REDACTED}${s.endsWith(")") ? ")" : ""}`);
  out = out.replace(SCHEME_COMPARE, `$1(${REDACTED}) != '${REDACTED}'`);
  out = out.replace(SECRET_FIELD, `$1$2${REDACTED}`);
  return out;
}
