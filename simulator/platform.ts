// The simulated platform: hosts with roles, the subscriber accounts and their
// habits, and where each account connects from. Built once from the seed; all
// later randomness is per hour and per generator (see rng.ts).
import { addressIn, type Network, networksOf } from "./networks.js";
import { ALNUM, Rng } from "./rng.js";

export const ROLES = ["imap", "mx", "submission", "webmail", "ldap", "db", "backup"] as const;
export type Role = (typeof ROLES)[number];

/** The log files a host can have: file name and the parser id that reads it. */
export const LOG_FILES = {
  dovecot: { file: "dovecot.log", parser: "dovecot" },
  mail: { file: "mail.log", parser: "postfix" },
  auth: { file: "auth.log", parser: "sshd" },
  roundcube: { file: "roundcube-userlogins.log", parser: "roundcube" },
  slapd: { file: "slapd.log", parser: "slapd" },
  audit: { file: "audit.log", parser: "auditd" },
  mariadbAudit: { file: "mariadb-audit.log", parser: "mariadb-audit" },
  mariadbSlow: { file: "mariadb-slow.log", parser: "mariadb-audit" },
  ss: { file: "ss-samples.log", parser: "ss" },
} as const;
export type LogFileId = keyof typeof LOG_FILES;

export const DOMAIN = "example.jp";
export const LDAP_SUFFIX = "dc=example,dc=jp";
export const LDAP_PEOPLE = `ou=people,${LDAP_SUFFIX}`;
/** Service DNs: Dovecot's passdb lookups, Roundcube's address book, the admins. */
export const DN_DOVECOT = `cn=dovecot,ou=services,${LDAP_SUFFIX}`;
export const DN_ROUNDCUBE = `cn=roundcube,ou=services,${LDAP_SUFFIX}`;
export const DN_MONITOR = `cn=monitor,ou=services,${LDAP_SUFFIX}`;
export const DN_ADMIN = `cn=admin,${LDAP_SUFFIX}`;
/** The admins' bastion: the only host that ssh-es in, allow-listed for bulk LDAP exports. */
export const BASTION_IP = "10.20.0.2";
/** Platform time zone (subscribers' habits follow local time; logs are UTC). */
export const LOCAL_UTC_OFFSET_HOURS = 9;

export interface Host {
  index: number;
  name: string;
  roles: Role[];
  /** Service address on the Internet (MX, submission, IMAP, webmail); back-end hosts have none. */
  publicIp: string | undefined;
  internalIp: string;
  files: LogFileId[];
}

/** Bits of Account.clients. */
export const CLIENT_DESKTOP_IMAP = 1;
export const CLIENT_MOBILE_IMAP = 2;
export const CLIENT_POP = 4;
export const CLIENT_WEBMAIL = 8;

export interface Account {
  index: number;
  user: string;
  /** Index into Platform.residential. */
  home: number;
  /** Index into Platform.mobile, or -1 (no smartphone client). */
  mobile: number;
  /** Per-account salt for deterministic addresses (home IP changes every few days). */
  salt: number;
  clients: number;
  /** Expected logins per day by client kind, and messages sent / received per day. */
  desktopPerDay: number;
  mobilePerDay: number;
  popPerDay: number;
  webPerDay: number;
  sendPerDay: number;
  recvPerDay: number;
  /** 0 = personal habits (evenings, weekends), 1 = work habits (office hours). */
  profile: 0 | 1;
}

export interface Platform {
  hosts: Host[];
  byRole: Record<Role, Host[]>;
  accounts: Account[];
  residential: Network[];
  mobile: Network[];
}

/** Which role's duties a host takes when there are fewer hosts than roles. */
const MERGE_ORDER: Array<[Role, Role]> = [
  ["backup", "db"],
  ["submission", "mx"],
  ["db", "ldap"],
  ["webmail", "imap"],
  ["ldap", "imap"],
  ["mx", "imap"],
];

/** Share of extra hosts per role at scale (IMAP carries the load). */
const SCALE_WEIGHTS: Record<Role, number> = {
  imap: 0.42,
  mx: 0.2,
  submission: 0.14,
  webmail: 0.14,
  ldap: 0.06,
  db: 0.04,
  backup: 0,
};

function allocateRoles(hostCount: number): Role[][] {
  if (hostCount < ROLES.length) {
    const groups = new Map<Role, Role[]>(ROLES.map((r) => [r, [r]]));
    for (const [from, into] of MERGE_ORDER) {
      if (groups.size <= hostCount) break;
      const target = [...groups.entries()].find(([, g]) => g.includes(into));
      const source = groups.get(from);
      if (target === undefined || source === undefined) continue;
      target[1].push(...source);
      groups.delete(from);
    }
    return [...groups.values()];
  }
  const counts: Record<Role, number> = { imap: 1, mx: 1, submission: 1, webmail: 1, ldap: 1, db: 1, backup: 1 };
  const extra = hostCount - ROLES.length;
  let given = 0;
  for (const r of ROLES) {
    const n = Math.floor(extra * SCALE_WEIGHTS[r]);
    counts[r] += n;
    given += n;
  }
  for (; given < extra; given++) counts.imap += 1;
  const out: Role[][] = [];
  for (const r of ROLES) for (let i = 0; i < counts[r]; i++) out.push([r]);
  return out;
}

function filesFor(roles: readonly Role[]): LogFileId[] {
  const f = new Set<LogFileId>(["auth", "audit", "ss"]);
  for (const r of roles) {
    if (r === "imap") f.add("dovecot");
    if (r === "mx" || r === "submission") f.add("mail");
    if (r === "webmail") f.add("roundcube");
    if (r === "ldap") f.add("slapd");
    if (r === "db") {
      f.add("mariadbAudit");
      f.add("mariadbSlow");
    }
  }
  const order = Object.keys(LOG_FILES) as LogFileId[];
  return order.filter((id) => f.has(id));
}

function buildHosts(hostCount: number): Host[] {
  const groups = allocateRoles(hostCount);
  const seen = new Map<string, number>();
  const publicRoles = new Set<Role>(["imap", "mx", "submission", "webmail"]);
  return groups.map((roles, index) => {
    const base = roles[0] ?? "imap";
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const name = `${base === "submission" ? "smtp" : base}${n}`;
    const isPublic = roles.some((r) => publicRoles.has(r));
    return {
      index,
      name,
      roles,
      publicIp: isPublic ? `192.0.2.${10 + index}` : undefined,
      internalIp: `10.20.${1 + Math.floor(index / 200)}.${10 + (index % 200)}`,
      files: filesFor(roles),
    };
  });
}

const GIVEN = [
  "haruto",
  "yuto",
  "sota",
  "yuki",
  "hayato",
  "haruki",
  "ryusei",
  "koki",
  "sora",
  "riku",
  "yui",
  "hina",
  "aoi",
  "rin",
  "mio",
  "sakura",
  "yuna",
  "mei",
  "saki",
  "miyu",
  "takeshi",
  "hiroshi",
  "kenji",
  "akira",
  "naoko",
  "keiko",
  "tomoko",
  "yoko",
  "kazuki",
  "daiki",
];
const FAMILY = [
  "sato",
  "suzuki",
  "takahashi",
  "tanaka",
  "watanabe",
  "ito",
  "yamamoto",
  "nakamura",
  "kobayashi",
  "kato",
  "yoshida",
  "yamada",
  "sasaki",
  "yamaguchi",
  "matsumoto",
  "inoue",
  "kimura",
  "hayashi",
  "shimizu",
  "mori",
];

function buildAccounts(rng: Rng, count: number, residential: number, mobile: number): Account[] {
  const accounts: Account[] = [];
  for (let i = 0; i < count; i++) {
    const g = GIVEN[rng.int(GIVEN.length)] ?? "user";
    const f = FAMILY[rng.int(FAMILY.length)] ?? "user";
    const style = rng.int(3);
    const local = style === 0 ? `${g}.${f}${i}` : style === 1 ? `${f}${g[0]}${i}` : `${g}${rng.chars(2, ALNUM)}${i}`;
    let clients = 0;
    if (rng.chance(0.55)) clients |= CLIENT_DESKTOP_IMAP;
    if (rng.chance(0.6)) clients |= CLIENT_MOBILE_IMAP;
    if (rng.chance(0.15)) clients |= CLIENT_POP;
    if (rng.chance(0.35) || clients === 0) clients |= CLIENT_WEBMAIL;
    const activity = rng.lognormal(1, 0.5);
    accounts.push({
      index: i,
      user: `${local}@${DOMAIN}`,
      home: rng.int(residential),
      mobile: clients & CLIENT_MOBILE_IMAP ? rng.int(mobile) : -1,
      salt: rng.u32(),
      clients,
      // IDLE clients keep their connection: a few reconnects a day.
      desktopPerDay: clients & CLIENT_DESKTOP_IMAP ? rng.between(2, 6) * activity : 0,
      // Phones reconnect on every wake-up / network change.
      mobilePerDay: clients & CLIENT_MOBILE_IMAP ? rng.between(5, 24) * activity : 0,
      // POP pollers check every 30-90 minutes while the PC is on.
      popPerDay: clients & CLIENT_POP ? rng.between(6, 20) * activity : 0,
      webPerDay: clients & CLIENT_WEBMAIL ? rng.lognormal(0.8, 0.6) : 0,
      sendPerDay: rng.lognormal(0.8, 0.9),
      recvPerDay: rng.lognormal(4, 0.8),
      profile: rng.chance(0.35) ? 1 : 0,
    });
  }
  return accounts;
}

export function buildPlatform(seed: string, hostCount: number, accountCount: number): Platform {
  const rng = new Rng(`${seed}/platform`);
  const hosts = buildHosts(hostCount);
  const byRole = Object.fromEntries(ROLES.map((r) => [r, hosts.filter((h) => h.roles.includes(r))])) as Record<
    Role,
    Host[]
  >;
  const residential = networksOf("residential");
  const mobile = networksOf("mobile");
  return {
    hosts,
    byRole,
    accounts: buildAccounts(rng.fork("accounts"), accountCount, residential.length, mobile.length),
    residential,
    mobile,
  };
}

/** A 32-bit integer hash of a few integers (addresses, ports, ids derived without an Rng). */
export function mix(a: number, b: number, c = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^ Math.imul(c + 1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h >>> 0;
}

const DAY_MS = 86_400_000;

/** The account's home address on a given day (dynamic IPs change every few days, same ISP). */
export function homeIp(p: Platform, a: Account, ts: number): string {
  const period = Math.floor(ts / DAY_MS / (3 + (a.salt % 5)));
  const net = p.residential[a.home];
  return addressIn(net?.cidr ?? "60.70.0.0/16", mix(a.salt, period));
}

/** The phone's address: a CGNAT pool address that changes every hour or so. */
export function mobileIp(p: Platform, a: Account, ts: number): string {
  const net = p.mobile[Math.max(a.mobile, 0)];
  return addressIn(net?.cidr ?? "49.96.0.0/16", mix(a.salt, Math.floor(ts / 3_600_000), 7));
}

/** The IMAP host holding an account's mailbox (a director-style static shard). */
export function imapHostOf(p: Platform, a: Account): Host {
  const hosts = p.byRole.imap;
  return hosts[a.index % hosts.length] as Host;
}

export function ldapDn(user: string): string {
  return `uid=${user.slice(0, user.indexOf("@"))},${LDAP_PEOPLE}`;
}
