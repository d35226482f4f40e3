// Linux audit records as auditd writes them to /var/log/audit/audit.log with
// log_format = RAW: one event is several records (SYSCALL, EXECVE, CWD, PATH,
// PROCTITLE) sharing `msg=audit(<epoch>.<ms>:<serial>)`. The simulated hosts'
// rules (audit.rules):
//   -w /etc/dovecot/users -p r -k mw-cred   passwd-file
//   -w /etc/shadow -p r -k mw-cred
//   -a always,exit -F arch=b64 -S execve -F euid=33 -k mw-exec   anything www-data runs
import { epochMillis } from "./time.js";

export interface AuditProcess {
  pid: number;
  ppid: number;
  uid: number;
  /** `comm` (15 chars at most, as the kernel keeps it). */
  comm: string;
  exe: string;
}

function hex(s: string): string {
  return Buffer.from(s, "utf8").toString("hex").toUpperCase();
}

function syscallRecord(
  stamp: string,
  syscall: number,
  exit: number,
  items: number,
  p: AuditProcess,
  key: string,
  a: readonly string[],
): string {
  const u = p.uid;
  const auid = u === 0 ? 0 : 4294967295;
  const ses = u === 0 ? 3 : 4294967295;
  return (
    `type=SYSCALL msg=audit(${stamp}): arch=c000003e syscall=${syscall} success=yes exit=${exit} ` +
    `a0=${a[0] ?? "0"} a1=${a[1] ?? "0"} a2=${a[2] ?? "0"} a3=${a[3] ?? "0"} items=${items} ppid=${p.ppid} pid=${p.pid} ` +
    `auid=${auid} uid=${u} gid=${u} euid=${u} suid=${u} fsuid=${u} egid=${u} sgid=${u} fsgid=${u} tty=(none) ses=${ses} ` +
    `comm="${p.comm.slice(0, 15)}" exe="${p.exe}" subj=unconfined key="${key}"`
  );
}

function pathRecord(stamp: string, item: number, name: string, inode: number, mode: string, ogid: number): string {
  return `type=PATH msg=audit(${stamp}): item=${item} name="${name}" inode=${inode} dev=fd:01 mode=${mode} ouid=0 ogid=${ogid} rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`;
}

/** An openat(2) of a watched file for reading: SYSCALL, CWD, PATH, PROCTITLE. */
export function auditFileRead(
  ts: number,
  serial: number,
  p: AuditProcess,
  cwd: string,
  path: string,
  inode: number,
  proctitle: string,
  key: string,
): string {
  const stamp = `${epochMillis(ts)}:${serial}`;
  return [
    syscallRecord(stamp, 257, 3 + (serial % 20), 1, p, key, ["ffffff9c", "7ffd4e2a1c20", "0", "0"]),
    `type=CWD msg=audit(${stamp}): cwd="${cwd}"`,
    pathRecord(stamp, 0, path, inode, "0100640", 8),
    `type=PROCTITLE msg=audit(${stamp}): proctitle=${hex(proctitle)}`,
  ].join("\n");
}

/** An execve(2): SYSCALL, EXECVE (argv), CWD, PATH (program, loader), PROCTITLE. */
export function auditExec(
  ts: number,
  serial: number,
  p: AuditProcess,
  cwd: string,
  argv: readonly string[],
  key: string,
): string {
  const stamp = `${epochMillis(ts)}:${serial}`;
  const args = argv.map((a, i) => `a${i}=${/^[\x21-\x7e]*$/.test(a) && !a.includes('"') ? `"${a}"` : hex(a)}`);
  return [
    syscallRecord(stamp, 59, 0, 2, p, key, ["55d0c2a1b2c0", "55d0c2a1b300", "55d0c2a1b320", "8"]),
    `type=EXECVE msg=audit(${stamp}): argc=${argv.length} ${args.join(" ")}`,
    `type=CWD msg=audit(${stamp}): cwd="${cwd}"`,
    pathRecord(stamp, 0, p.exe, 1_310_000 + ((p.exe.length * 97) % 9000), "0100755", 0),
    pathRecord(stamp, 1, "/lib64/ld-linux-x86-64.so.2", 1_312_001, "0100755", 0),
    `type=PROCTITLE msg=audit(${stamp}): proctitle=${hex(argv.join("\0"))}`,
  ].join("\n");
}
