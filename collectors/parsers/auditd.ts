// Linux audit (auditd) records → credential-store reads (`cred_access` /
// `cred_read`) and outbound connects (`net` / `connect`).
//
// One kernel event is several records sharing `msg=audit(<time>:<serial>)`:
//   type=SYSCALL msg=audit(1718593965.123:4567): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd... a2=0 ... ppid=1 pid=4242 auid=4294967295 uid=0 ... comm="cat" exe="/usr/bin/cat" key="mw-cred"
//   type=CWD msg=audit(1718593965.123:4567): cwd="/root"
//   type=PATH msg=audit(1718593965.123:4567): item=0 name="/etc/shadow" inode=... nametype=NORMAL ...
//   type=PROCTITLE msg=audit(1718593965.123:4567): proctitle=636174002F6574632F736861646F77
//   type=EOE msg=audit(1718593965.123:4567):
// Records of different events interleave (several CPUs), so records are
// collected per `<time>:<serial>` (and `node=`) and an event is emitted when
// its EOE arrives, when it is evicted (at most MAX_PENDING events wait; the
// oldest goes first), when a record arrives more than GAP_MS after it, or at
// the end of the stream (`flush`).
//
// Accepted shapes:
//   native       `[node=H ]type=T msg=audit(S.MS:N): body` (audit.log, RAW or ENRICHED
//                log_format: ENRICHED appends `\x1dARCH=x86_64 SYSCALL=openat UID="root" ...`)
//   syslog       the same as the message of `audisp-syslog` / `audit` / rsyslog imfile
//                lines; the kernel's own `audit: type=1300 audit(S.MS:N): body` (no auditd);
//                journald's `audit[pid]: SYSCALL arch=...` text (no serial: records are
//                joined by order, SYSCALL opens an event, PROCTITLE closes it)
//   journald     JSON export: the envelope rebuilds `type=... msg=audit(...)` from
//                _AUDIT_TYPE_NAME / _AUDIT_ID / _SOURCE_REALTIME_TIMESTAMP.
//
// What is emitted (nothing for other events; every audit record is "recognized"):
//   cred_access/cred_read  an event whose rule key is a configured credential key
//                          (default `mw-cred`), or one of whose PATH names matches a
//                          configured credential-store path (so rules with other keys,
//                          e.g. STIG's `-k identity`, count too). object = the path
//                          (the matching NORMAL PATH record, else the first NORMAL,
//                          relative names resolved against CWD); outcome from success=/exit=
//                          (exit=-13 EACCES → failure, reason permission_denied);
//                          action cred_write for a write-only open or a change
//                          (rename, unlink, chmod...); records unset (a file read says
//                          nothing about how many accounts it held).
//   net/connect            an event whose key is a configured network key (default
//                          `mw-net`) with an AF_INET/AF_INET6 SOCKADDR: dst_ip/dst_port;
//                          outcome success, unknown for EINPROGRESS (non-blocking), else failure.
// Both carry process {name: comm, exe, pid, uid, auid} and attrs key, syscall,
// proctitle (hex-decoded, NULs as spaces, command-line passwords redacted).
//
// Hostile input: file names, comm, exe, cwd and proctitle are the attacker's.
// auditd writes such a value either quoted (only when it holds no space, no
// quote and no control character) or hex-encoded, so splitting a record at
// spaces cannot be fooled by `name="/tmp/x key=mw-cred"` (that name is hex);
// fields are read by exact name from the record they belong to, and the first
// occurrence wins.
import { z } from "zod";
import { ipOrUndefined } from "./fields.js";
import {
  type Attrs,
  type EnvelopeRecord,
  type LineContext,
  type LogParser,
  NO_EVENTS,
  ParserOptionError,
  type PartialEvent,
} from "./types.js";

/** Events waiting for their EOE, per stream. */
export const MAX_PENDING = 4096;
/** A pending event older than this (by record time) when a newer record arrives is complete. */
export const GAP_MS = 2000;
/** Raw text kept per event (all its records); the event's raw is capped at 2 KiB anyway. */
const MAX_EVENT_RAW = 4096;

export const DEFAULT_CRED_PATHS: readonly string[] = [
  // system accounts (and their backups)
  "/etc/shadow",
  "/etc/shadow-",
  "/etc/gshadow",
  "/etc/gshadow-",
  "/etc/security/opasswd",
  // Dovecot passwd-file stores, and the configs that hold the SQL/LDAP service password
  "/etc/dovecot/users",
  "/etc/dovecot/passwd",
  "/etc/dovecot/passwd.*",
  "/etc/dovecot/*.passwd",
  "/etc/dovecot/dovecot-sql.conf.ext",
  "/etc/dovecot/dovecot-ldap.conf.ext",
  // Cyrus SASL / Postfix relay credentials and SQL lookup tables (with their DB password)
  "/etc/sasldb2",
  "/etc/postfix/sasl_passwd",
  "/etc/postfix/sasl_passwd.db",
  "/etc/postfix/sql/*.cf",
  "/etc/postfix/mysql_*.cf",
  // account stores on disk: OpenLDAP mdb, MariaDB tables (Postfixadmin and co.), SSSD cache
  "/var/lib/ldap/*.mdb",
  "/var/lib/mysql/*/mailbox.ibd",
  "/var/lib/mysql/*/users.ibd",
  "/var/lib/mysql/*/accounts.ibd",
  "/var/lib/mysql/*/virtual_users.ibd",
  "/var/lib/sss/db/*.ldb",
];

export const auditdOptionsSchema = z.strictObject({
  /** Rule keys (`-k`) of credential-store watches → the store's name (attrs.store; "" for none). */
  keys: z.record(z.string().min(1).max(128), z.string().max(128)).default({ "mw-cred": "account-store" }),
  /** Credential-store paths; `*` and `?` match within one path segment. */
  paths: z.array(z.string().min(2).max(4096).startsWith("/")).default([...DEFAULT_CRED_PATHS]),
  /** Rule keys of outbound-connect rules (`-S connect`). */
  netKeys: z.array(z.string().min(1).max(128)).default(["mw-net"]),
});
export type AuditdOptions = z.infer<typeof auditdOptionsSchema>;

interface PathItem {
  name: string;
  nametype: string;
}

interface PendingEvent {
  ts: number;
  node: string | undefined;
  position: string | number;
  raw: string;
  syscall: Map<string, string> | undefined;
  syscallName: string | undefined;
  cwd: string | undefined;
  paths: PathItem[];
  proctitle: string | undefined;
  saddr: string | undefined;
}

export interface AuditdState {
  readonly opts: AuditdOptions;
  readonly pathRe: RegExp | undefined;
  /** By `node|time:serial`, oldest first. */
  readonly pending: Map<string, PendingEvent>;
  /** Serial-less records (journald text) go to the event the last SYSCALL opened. */
  serialless: number;
}

// --- record parsing ---------------------------------------------------------------

// `type=SYSCALL msg=audit(1718593965.123:4567): ` with an optional `node=host ` before it.
const NATIVE_HEAD = /^(?:node=([\w.:-]{1,255}) )?type=([A-Z_0-9]{2,32}) msg=audit\((\d{1,12})\.(\d{3}):(\d{1,20})\): ?/;
// The kernel's printk form: `audit: type=1300 audit(1718593965.123:4567): `, maybe after `[  12.345678] `.
const KERNEL_HEAD = /^(?:\[ *\d+\.\d+\] )?audit: type=(\d{4}) audit\((\d{1,12})\.(\d{3}):(\d{1,20})\): ?/;
// journald's text form: `SYSCALL arch=...`, `PATH item=0 ...`, `PROCTITLE proctitle=...`.
const JOURNAL_HEAD = /^([A-Z_]{3,32}) (?=[a-z_]+=)/;

const TYPE_BY_NUMBER: Record<string, string> = {
  "1300": "SYSCALL",
  "1302": "PATH",
  "1306": "SOCKADDR",
  "1307": "CWD",
  "1309": "EXECVE",
  "1320": "EOE",
  "1327": "PROCTITLE",
};

// The record types an event is built from; every other type is recognized and ignored.
const USED_TYPES = new Set(["SYSCALL", "CWD", "PATH", "PROCTITLE", "SOCKADDR", "EOE"]);

/** `key=value` fields of a record body, up to the ENRICHED separator; first occurrence wins. */
function fieldsOf(body: string): Map<string, string> {
  const m = new Map<string, string>();
  const end = body.indexOf("\x1d");
  const raw = end === -1 ? body : body.slice(0, end);
  for (const tok of raw.split(" ")) {
    const eq = tok.indexOf("=");
    if (eq <= 0) continue;
    const k = tok.slice(0, eq);
    if (!m.has(k)) m.set(k, tok.slice(eq + 1));
  }
  return m;
}

const HEX = /^(?:[0-9A-F]{2})+$/;

/** An untrusted-string field: "quoted" → as is; HEX → decoded; (null)/(none) → undefined. */
export function auditString(v: string | undefined): string | undefined {
  if (v === undefined || v === "(null)" || v === "(none)" || v === "?") return undefined;
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1);
  if (HEX.test(v)) return Buffer.from(v, "hex").toString("utf8");
  return v;
}

function intOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n <= 0xfffffffe ? n : undefined; // 4294967295 is "unset"
}

// --- syscalls -----------------------------------------------------------------------

// The syscalls a file watch or connect rule reports, by arch (x86_64, aarch64, i386).
const SYSCALLS: Record<string, Record<string, string>> = {
  c000003e: {
    "2": "open",
    "257": "openat",
    "437": "openat2",
    "85": "creat",
    "42": "connect",
    "59": "execve",
    "82": "rename",
    "264": "renameat",
    "316": "renameat2",
    "87": "unlink",
    "263": "unlinkat",
    "90": "chmod",
    "268": "fchmodat",
    "92": "chown",
    "94": "lchown",
    "260": "fchownat",
    "76": "truncate",
    "89": "readlink",
    "267": "readlinkat",
    "191": "getxattr",
    "192": "lgetxattr",
    "188": "setxattr",
    "4": "stat",
    "332": "statx",
  },
  c00000b7: {
    "56": "openat",
    "437": "openat2",
    "203": "connect",
    "221": "execve",
    "38": "renameat",
    "276": "renameat2",
    "35": "unlinkat",
    "53": "fchmodat",
    "54": "fchownat",
    "45": "truncate",
    "78": "readlinkat",
    "8": "getxattr",
    "5": "setxattr",
    "291": "statx",
  },
  "40000003": { "5": "open", "295": "openat", "8": "creat", "102": "socketcall", "362": "connect", "11": "execve" },
};

const READ_CLASS = new Set(["readlink", "readlinkat", "getxattr", "lgetxattr", "stat", "statx"]);

/** "read" | "write" | "read_write" | "change" | "unknown", from the syscall and its open flags. */
function accessOf(name: string | undefined, f: Map<string, string>): string {
  let flags: string | undefined;
  if (name === "open") flags = f.get("a1");
  else if (name === "openat") flags = f.get("a2");
  else if (name === "creat") return "write";
  else if (name === "openat2" || name === undefined) return "unknown";
  else return READ_CLASS.has(name) ? "read" : "change";
  if (flags === undefined || !/^[0-9a-f]{1,16}$/.test(flags)) return "unknown";
  const mode = Number.parseInt(flags.slice(-1), 16) & 3;
  return mode === 0 ? "read" : mode === 1 ? "write" : "read_write";
}

function reasonOfExit(exit: number): string {
  switch (exit) {
    case -13:
      return "permission_denied";
    case -1:
      return "not_permitted";
    case -2:
      return "not_found";
    default:
      return `errno_${-exit}`;
  }
}

// --- SOCKADDR -----------------------------------------------------------------------

/** `{ family, ip, port }` of a hex sockaddr (AF_INET / AF_INET6 only). */
export function decodeSockaddr(hex: string): { family: "inet" | "inet6"; ip: string; port: number } | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length % 2 !== 0) return undefined;
  const b = Buffer.from(hex, "hex");
  if (b.length < 8) return undefined;
  const family = b.readUInt16LE(0);
  const port = b.readUInt16BE(2);
  if (family === 2) return { family: "inet", ip: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port };
  if (family === 10 && b.length >= 24) {
    const groups: string[] = [];
    for (let i = 8; i < 24; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    const ip = ipOrUndefined(compressIpv6(groups));
    return ip === undefined ? undefined : { family: "inet6", ip, port };
  }
  return undefined;
}

function compressIpv6(groups: string[]): string {
  // Longest run of zero groups (length ≥ 2) becomes "::".
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best === -1) return groups.join(":");
  const v4mapped = best === 0 && bestLen === 5 && groups[5] === "ffff";
  if (v4mapped) {
    const a = Number.parseInt(groups[6] ?? "0", 16);
    const b = Number.parseInt(groups[7] ?? "0", 16);
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

// --- proctitle ----------------------------------------------------------------------

const MYSQL_CLIENT = /^(?:mysql|mariadb|mysqldump|mariadb-dump|mysqladmin|mariadb-admin)$/;
const LDAP_CLIENT = /^ldap[a-z]*$/;

/**
 * argv with command-line passwords replaced: `ldapsearch -w X` / `-wX`,
 * `mysql -pX` (attached), `sshpass -p X`, `curl -u user:X`. `--password=X`
 * style arguments are left to redactSecrets (the pipeline runs it on attrs).
 */
export function redactArgv(argv: string[]): string[] {
  const prog = (argv[0] ?? "").slice((argv[0] ?? "").lastIndexOf("/") + 1);
  const out = [...argv];
  for (let i = 1; i < out.length; i++) {
    const a = out[i] ?? "";
    if (LDAP_CLIENT.test(prog) && a.startsWith("-w")) {
      if (a === "-w" && i + 1 < out.length) out[++i] = "<redacted>";
      else if (a.length > 2) out[i] = "-w<redacted>";
    } else if (MYSQL_CLIENT.test(prog) && a.startsWith("-p") && a.length > 2) {
      out[i] = "-p<redacted>";
    } else if (prog === "sshpass" && a === "-p" && i + 1 < out.length) {
      out[++i] = "<redacted>";
    } else if ((a === "-u" || a === "--user") && i + 1 < out.length && (out[i + 1] ?? "").includes(":")) {
      const v = out[i + 1] ?? "";
      out[++i] = `${v.slice(0, v.indexOf(":"))}:<redacted>`;
    }
  }
  return out;
}

/** The decoded process title: argv joined by spaces, passwords redacted, capped at 1024 characters. */
export function decodeProctitle(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  let argv: string[];
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) argv = [v.slice(1, -1)];
  else if (HEX.test(v)) {
    argv = Buffer.from(v, "hex").toString("utf8").split("\u0000");
    while (argv.length > 0 && argv[argv.length - 1] === "") argv.pop();
  } else return undefined;
  return redactArgv(argv).join(" ").slice(0, 1024);
}

// --- paths --------------------------------------------------------------------------

function globToRegExp(paths: readonly string[]): RegExp | undefined {
  if (paths.length === 0) return undefined;
  const parts = paths.map((p) =>
    p
      .split("")
      .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join(""),
  );
  return new RegExp(`^(?:${parts.join("|")})$`);
}

/** `name` made absolute against `cwd`, with `.` and `..` segments resolved. */
function resolvePath(name: string, cwd: string | undefined): string {
  const full = name.startsWith("/") || cwd === undefined ? name : `${cwd.replace(/\/+$/, "")}/${name}`;
  if (!full.includes("/.")) return full;
  const out: string[] = [];
  for (const seg of full.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

// --- assembling events ----------------------------------------------------------------

function newPending(ts: number, node: string | undefined, position: string | number): PendingEvent {
  return {
    ts,
    node,
    position,
    raw: "",
    syscall: undefined,
    syscallName: undefined,
    cwd: undefined,
    paths: [],
    proctitle: undefined,
    saddr: undefined,
  };
}

function addRecord(ev: PendingEvent, type: string, body: string, line: string): void {
  if (ev.raw.length < MAX_EVENT_RAW) ev.raw = ev.raw.length === 0 ? line : `${ev.raw}\n${line}`;
  switch (type) {
    case "SYSCALL": {
      if (ev.syscall !== undefined) return;
      ev.syscall = fieldsOf(body);
      // ENRICHED log_format: `...\x1dARCH=x86_64 SYSCALL=openat ...` after the raw fields.
      const gs = body.indexOf("\x1d");
      if (gs !== -1) {
        const enriched = /(?:^| )SYSCALL=([a-z0-9_]{1,32})(?: |$)/.exec(body.slice(gs + 1));
        if (enriched !== null) ev.syscallName = enriched[1];
      }
      return;
    }
    case "CWD":
      ev.cwd ??= auditString(fieldsOf(body).get("cwd"));
      return;
    case "PATH": {
      const f = fieldsOf(body);
      const name = auditString(f.get("name"));
      if (name !== undefined && ev.paths.length < 16) {
        ev.paths.push({ name, nametype: f.get("nametype") ?? f.get("objtype") ?? "" });
      }
      return;
    }
    case "PROCTITLE":
      ev.proctitle ??= fieldsOf(body).get("proctitle");
      return;
    case "SOCKADDR":
      ev.saddr ??= fieldsOf(body).get("saddr");
      return;
  }
}

function keysOf(f: Map<string, string>): string[] {
  const k = auditString(f.get("key"));
  return k === undefined ? [] : k.split("\u0001").filter((x) => x.length > 0);
}

function processOf(f: Map<string, string>): NonNullable<PartialEvent["process"]> {
  const p: NonNullable<PartialEvent["process"]> = {};
  const name = auditString(f.get("comm"));
  if (name !== undefined) p.name = name.slice(0, 256);
  const exe = auditString(f.get("exe"));
  if (exe !== undefined) p.exe = exe.slice(0, 4096);
  const pid = intOf(f.get("pid"));
  if (pid !== undefined) p.pid = pid;
  const uid = intOf(f.get("uid"));
  if (uid !== undefined) p.uid = uid;
  const auid = intOf(f.get("auid"));
  if (auid !== undefined) p.auid = auid;
  return p;
}

function complete(state: AuditdState, ev: PendingEvent): PartialEvent | undefined {
  const f = ev.syscall;
  if (f === undefined) return undefined;
  const keys = keysOf(f);
  const arch = f.get("arch") ?? "";
  const nr = f.get("syscall") ?? "";
  const name = ev.syscallName ?? SYSCALLS[arch]?.[nr];
  const success = f.get("success");
  const exitText = f.get("exit");
  const exit = exitText !== undefined && /^-?\d{1,20}$/.test(exitText) ? Number(exitText) : undefined;
  const attrs: Attrs = { syscall: name ?? nr };
  const proctitle = decodeProctitle(ev.proctitle);
  if (proctitle !== undefined) attrs.proctitle = proctitle;
  const ppid = intOf(f.get("ppid"));
  if (ppid !== undefined) attrs.ppid = ppid;
  const from = { ts: ev.ts, position: ev.position, raw: ev.raw, ...(ev.node !== undefined ? { host: ev.node } : {}) };

  const netKey = keys.find((k) => state.opts.netKeys.includes(k));
  if (netKey !== undefined && ev.saddr !== undefined) {
    const sa = decodeSockaddr(ev.saddr);
    if (sa === undefined) return undefined; // AF_UNIX, netlink...: not egress
    attrs.key = netKey;
    attrs.family = sa.family;
    if (exit !== undefined && success !== "yes") attrs.exit = exit;
    const outcome = success === "yes" ? "success" : exit === -115 ? "unknown" : "failure";
    const e: PartialEvent = {
      kind: "net",
      action: "connect",
      outcome,
      dst_ip: sa.ip,
      dst_port: sa.port,
      process: processOf(f),
      attrs,
      from,
    };
    if (outcome === "failure" && exit !== undefined) e.reason = reasonOfExit(exit);
    return e;
  }

  const credKey = keys.find((k) => Object.hasOwn(state.opts.keys, k));
  const resolved = ev.paths.map((p) => ({ path: resolvePath(p.name, ev.cwd), nametype: p.nametype }));
  const matching = state.pathRe === undefined ? undefined : resolved.find((p) => state.pathRe?.test(p.path));
  if (credKey === undefined && matching === undefined) return undefined;
  const object =
    matching?.path ??
    resolved.find((p) => p.nametype === "NORMAL")?.path ??
    resolved.find((p) => p.nametype !== "PARENT")?.path ??
    resolved[0]?.path;
  const key = credKey ?? keys[0];
  if (key !== undefined) attrs.key = key;
  const store = credKey === undefined ? undefined : state.opts.keys[credKey];
  if (store !== undefined && store.length > 0) attrs.store = store;
  const access = accessOf(name, f);
  attrs.access = access;
  const ok = success === "yes" || (success === undefined && exit !== undefined && exit >= 0);
  const e: PartialEvent = {
    kind: "cred_access",
    action: access === "write" || access === "change" ? "cred_write" : "cred_read",
    outcome: ok ? "success" : "failure",
    process: processOf(f),
    attrs,
    from,
  };
  if (object !== undefined) e.object = object;
  if (!ok && exit !== undefined) {
    attrs.exit = exit;
    e.reason = reasonOfExit(exit);
  }
  return e;
}

function finish(state: AuditdState, key: string, out: PartialEvent[]): void {
  const ev = state.pending.get(key);
  if (ev === undefined) return;
  state.pending.delete(key);
  const e = complete(state, ev);
  if (e !== undefined) out.push(e);
}

/** Completes pending events that are older than `ts` by more than GAP_MS (oldest first). */
function expire(state: AuditdState, ts: number, out: PartialEvent[]): void {
  for (const [key, ev] of state.pending) {
    if (ev.ts >= ts - GAP_MS) break;
    finish(state, key, out);
  }
}

function record(
  state: AuditdState,
  type: string,
  ts: number,
  serial: string | undefined,
  node: string | undefined,
  body: string,
  at: LineContext,
): readonly PartialEvent[] {
  if (!USED_TYPES.has(type)) return NO_EVENTS;
  const out: PartialEvent[] = [];
  expire(state, ts, out);
  let key: string;
  if (serial !== undefined) {
    key = `${node ?? ""}|${serial}`;
  } else {
    // journald text: no serial. SYSCALL opens an event, the rest join the last one.
    if (type === "SYSCALL") {
      finish(state, `|nos:${state.serialless}`, out);
      state.serialless++;
    }
    key = `|nos:${state.serialless}`;
  }
  if (type === "EOE") {
    finish(state, key, out);
    return out;
  }
  let ev = state.pending.get(key);
  if (ev === undefined) {
    if (type !== "SYSCALL" && serial === undefined) return out; // an orphan without serial
    if (state.pending.size >= MAX_PENDING) {
      const oldest = state.pending.keys().next();
      if (oldest.done !== true) finish(state, oldest.value, out);
    }
    ev = newPending(ts, node, at.position);
    state.pending.set(key, ev);
  }
  addRecord(ev, type, body, at.line);
  // journald text has no EOE: PROCTITLE is the last record of a syscall event.
  if (serial === undefined && type === "PROCTITLE") finish(state, key, out);
  return out;
}

/** Parses the record text (native line, or a syslog message); null when it is not an audit record. */
function parseText(text: string, state: AuditdState, at: LineContext, envTs: number | undefined) {
  let m = NATIVE_HEAD.exec(text);
  if (m !== null) {
    const ts = Number(m[3]) * 1000 + Number(m[4]);
    return record(state, m[2] ?? "", ts, `${m[3]}.${m[4]}:${m[5]}`, m[1], text.slice(m[0].length), at);
  }
  m = KERNEL_HEAD.exec(text);
  if (m !== null) {
    const type = TYPE_BY_NUMBER[m[1] ?? ""] ?? `T${m[1]}`;
    const ts = Number(m[2]) * 1000 + Number(m[3]);
    return record(state, type, ts, `${m[2]}.${m[3]}:${m[4]}`, undefined, text.slice(m[0].length), at);
  }
  if (envTs === undefined) return null;
  m = JOURNAL_HEAD.exec(text);
  if (m === null) return null;
  return record(state, m[1] ?? "", envTs, undefined, undefined, text.slice(m[0].length), at);
}

export const auditdParser: LogParser<AuditdState> = {
  id: "auditd",
  createState(options?: unknown): AuditdState {
    const r = auditdOptionsSchema.safeParse(options ?? {});
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ParserOptionError(`auditd options: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
    }
    return { opts: r.data, pathRe: globToRegExp(r.data.paths), pending: new Map(), serialless: 0 };
  },
  parse(rec: EnvelopeRecord, state: AuditdState, at: LineContext): readonly PartialEvent[] | null {
    // The serial-less journald text form only under journald's own tag.
    return parseText(rec.message, state, at, rec.program === "audit" ? rec.ts : undefined);
  },
  native: {
    firstChars: "tn",
    detect: (line) => line.startsWith("type=") || line.startsWith("node="),
    parse: (at, state) => parseText(at.line, state, at, undefined),
  },
  flush(state: AuditdState): readonly PartialEvent[] {
    const out: PartialEvent[] = [];
    for (const key of [...state.pending.keys()]) finish(state, key, out);
    return out;
  },
};
