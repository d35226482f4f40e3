// Test-side handle on the lab (test/lab/lab.sh, drive.sh): real Dovecot,
// Postfix, slapd, MariaDB and sshd from Debian's packages on loopback, their
// logs under <dir>/logs/. See test/lab/README.md.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../config/paths.js";

export const LAB_SCRIPTS = join(PACKAGE_ROOT, "test", "lab");

export const LAB_PORTS = {
  imap: 10143,
  imapProxy: 10144,
  pop3: 10110,
  submission: 10587,
  submissionProxy: 10588,
  ldap: 10389,
  ldapProxy: 10390,
  mysql: 13306,
  ssh: 10022,
} as const;

/** Fixed users (mail address user@example.test, LDAP uid=user) and their passwords. */
export const LAB_USERS = { alice: "Alice-Pass-1", bob: "Bob-Pass-2", carol: "Carol-Pass-3" } as const;

/** Bulk users from `--users N`: user000001..userN, password Pw-userNNNNNN. */
export function bulkUser(i: number): { uid: string; mail: string; password: string } {
  const uid = `user${String(i).padStart(6, "0")}`;
  return { uid, mail: `${uid}@example.test`, password: `Pw-${uid}` };
}

/** The log files the daemons write (see README for their formats). */
export function labLogs(dir: string) {
  const logs = join(dir, "logs");
  return {
    dovecot: join(logs, "dovecot.log"),
    postfix: join(logs, "postfix.log"),
    slapd: join(logs, "slapd.log"),
    sshd: join(logs, "sshd.log"),
    mariadbAudit: join(logs, "mariadb-audit.log"),
    mariadbSlow: join(logs, "mariadb-slow.log"),
    mariadbError: join(logs, "mariadb-error.log"),
  };
}

const NEEDED = ["dovecot", "postfix", "slapd", "mariadbd", "curl", "ldapwhoami", "swaks", "sshpass", "/usr/sbin/sshd"];

/** Why the lab cannot run here (not root, packages missing), or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "the lab needs root";
  const r = spawnSync(
    "bash",
    ["-c", 'for c in "$@"; do command -v "$c" >/dev/null || echo "$c"; done', "_", ...NEEDED],
    {
      encoding: "utf8",
    },
  );
  const missing = r.stdout.trim().split("\n").filter(Boolean);
  return missing.length ? `missing ${missing.join(", ")}: run test/lab/install.sh` : undefined;
}

function run(script: string, args: string[], timeoutMs: number) {
  const r = spawnSync("bash", [join(LAB_SCRIPTS, script), ...args], {
    encoding: "utf8",
    timeout: timeoutMs,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export interface LabOptions {
  /** Bulk users in every store (LDAP, SQL, Dovecot passwd-file). */
  users?: number;
  noSsh?: boolean;
}

/** Start every daemon (waits until each listens); throws with the logs' tails if one does not come up. */
export function startLab(dir: string, opts: LabOptions = {}): string {
  const args = ["start", dir];
  if (opts.users) args.push("--users", String(opts.users));
  if (opts.noSsh) args.push("--no-ssh");
  const r = run("lab.sh", args, 180_000);
  if (r.code !== 0) throw new Error(`lab.sh start failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** Stop everything (idempotent). */
export function stopLab(dir: string): void {
  const r = run("lab.sh", ["stop", dir], 60_000);
  if (r.code !== 0) throw new Error(`lab.sh stop failed (${r.code}):\n${r.stderr}`);
}

/** Exit code of `lab.sh status`: 0 when every daemon is up. */
export function labStatus(dir: string): { code: number; stdout: string } {
  return run("lab.sh", ["status", dir], 30_000);
}

/**
 * One real client action (see drive.sh for the list), e.g.
 * `drive(dir, "imap", "alice@example.test", "wrong", "203.0.113.7")`.
 * Returns 0 accepted, 1 refused, 2 other error.
 */
export function drive(dir: string, action: string, ...args: string[]): number {
  return run("drive.sh", [dir, action, ...args], 120_000).code;
}

/** drive.sh's whole scenario; its report (one line per step) is returned. */
export function driveScenario(dir: string): { code: number; stdout: string } {
  return run("drive.sh", [dir, "all"], 300_000);
}
