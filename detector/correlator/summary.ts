// How an incident reads in one sentence: the path it took (hosts in the order
// they appeared, then the outside networks involved) and, per kill-chain
// stage, what its strongest finding measured:
//   "web1 → ldap1 → AS64666: bulk read of 2.0M password entries, 812 MB out,
//    1,204 accounts logged in from a new network"
// A phrase reads the finding's `observed` number in its detection's unit
// (records for cred.bulk_read, bytes for egress.volume/new_destination,
// accounts for auth.takeover...); an unknown detection falls back to its
// stage and id, so a new detection never breaks the sentence.
import type { Stage } from "../core/finding.js";

const group = (n: number): string => {
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
};

/** 1204 → "1,204"; 2_000_000 → "2.0M"; 3.4e9 → "3.4B" (locale-independent). */
export function formatCount(value: number): string {
  const n = Math.round(value);
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return group(n);
}

const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB", "PB"] as const;

/** Decimal units, as network tooling prints them: 812e6 → "812 MB", 1.5e9 → "1.5 GB". */
export function formatBytes(value: number): string {
  let v = Math.max(0, value);
  let unit = 0;
  while (v >= 1000 && unit < BYTE_UNITS.length - 1) {
    v /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || v >= 10 ? 0 : 1;
  return `${v.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

export const STAGE_TEXT: Record<Stage, string> = {
  initial_access: "initial access",
  credential_access: "credential access",
  staging: "staging",
  exfiltration: "exfiltration",
  stolen_credential_use: "stolen credential use",
  defense_evasion: "defense evasion",
};

const plural = (n: number, one: string, many: string): string => (Math.round(n) === 1 ? one : many);

/**
 * Phrase per detection id, from the finding's `observed` number and, where the
 * detection has one, its `details.store` (a passwd-file's `observed` counts reads).
 */
const PHRASES = new Map<string, (observed: number, store?: string) => string>([
  ["auth.bruteforce", (n) => `${formatCount(n)} failed ${plural(n, "login", "logins")}`],
  ["auth.stuffing", (n) => `failed logins to ${formatCount(n)} accounts`],
  ["auth.spray", (n) => `password spray over ${formatCount(n)} accounts`],
  ["auth.takeover", (n) => `${formatCount(n)} ${plural(n, "account", "accounts")} logged in from a new network`],
  [
    "cred.bulk_read",
    (n, store) =>
      store === "file"
        ? `${formatCount(n)} ${plural(n, "read", "reads")} of a password file`
        : `bulk read of ${formatCount(n)} password ${plural(n, "entry", "entries")}`,
  ],
  ["egress.volume", (n) => `${formatBytes(n)} out`],
  ["egress.new_destination", (n) => `${formatBytes(n)} to a new destination`],
  ["egress.rare_process", () => "a daemon that never connects out did"],
  ["egress.smtp_exfil", () => "outbound mail far above baseline"],
  ["agent.silent", () => "a collector went silent"],
]);

export function phrase(detection: string, stage: Stage, observed: number, store?: string): string {
  const p = PHRASES.get(detection);
  return p ? p(observed, store) : `${STAGE_TEXT[stage]} (${detection})`;
}

/** "web1 → ldap1 → AS64666", at most `max` places of each kind, the rest counted. */
export function pathOf(hosts: string[], outside: string[], users: string[], max = 4): string {
  const part = (xs: string[], what: string): string[] =>
    xs.length <= max ? xs : [...xs.slice(0, max - 1), `+${xs.length - (max - 1)} ${what}`];
  const places = [...part(hosts, "hosts"), ...part(outside, "networks")];
  if (places.length > 0) return places.join(" → ");
  return part(users, "accounts").join(", ");
}
