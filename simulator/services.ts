// What one action looks like on every host it touches. A login, a sent
// message or a webmail session is written by the daemons of several hosts
// (Dovecot on the mailbox's IMAP host, slapd on the LDAP host it asks, Postfix
// on the submission host, ...); normal life, noise and attacks all go through
// these functions, so an attacker's login is logged exactly like a user's.
//
// Per-host counters (pids, queue ids, LDAP connection numbers, audit serials,
// DB query ids) live here; service connections (Dovecot → LDAP, Postfix and
// Roundcube → MariaDB) are opened at the start of every simulated hour and
// closed at its end, which is how pooled connections with an idle timeout look.
import * as auditd from "./formats/auditd.js";
import * as dovecot from "./formats/dovecot.js";
import * as mariadb from "./formats/mariadb.js";
import * as postfix from "./formats/postfix.js";
import * as roundcube from "./formats/roundcube.js";
import { SlapdLog } from "./formats/slapd.js";
import * as sshd from "./formats/sshd.js";
import {
  type Account,
  DN_DOVECOT,
  DN_ROUNDCUBE,
  DOMAIN,
  type Host,
  imapHostOf,
  LDAP_PEOPLE,
  mix,
  type Platform,
} from "./platform.js";
import { ALNUM, BASE64, HEX, type Rng } from "./rng.js";
import type { LogWriter } from "./writer.js";

export interface LdapConn {
  conn: number;
  fd: number;
  op: number;
  client: Host;
}

export interface DbConn {
  c: mariadb.DbClient;
  first: boolean;
}

interface HostCounters {
  nextPid: number;
  qid: number;
  ldapConn: number;
  auditSerial: number;
  dbConn: number;
  dbQuery: number;
  port: number;
  slapd: SlapdLog | undefined;
}

/** An external mail exchanger our users send to. */
export interface RemoteMx {
  name: string;
  ip: string;
  domain: string;
}

export const REMOTE_MX: readonly RemoteMx[] = [
  { name: "mx1.bigfreemail.example", ip: "64.233.10.26", domain: "bigfreemail.example" },
  { name: "mx2.bigfreemail.example", ip: "64.233.11.27", domain: "bigfreemail.example" },
  { name: "mail-protection.cloudoffice.example", ip: "40.92.4.30", domain: "corp-cloudoffice.example" },
  { name: "mx.domestic-webmail.example", ip: "210.140.2.25", domain: "domestic-webmail.example" },
];

export const SLOW_MIN_EXAMINED = 1000;

export const SERVICE_PIDS = { slapd: 812, mariadbd: 903, qmgr: 1288, phpFpmMaster: 702, dovecotAuth: 1102 } as const;

export class Services {
  private readonly counters = new Map<string, HostCounters>();
  /** Per-hour service connections, keyed "client>server". */
  private readonly ldapConns = new Map<string, LdapConn>();
  private readonly dbConns = new Map<string, DbConn>();
  private hourEnd = 0;
  readonly slowMinExamined: number;

  constructor(
    readonly platform: Platform,
    readonly out: LogWriter,
    private readonly rng: Rng,
  ) {
    this.slowMinExamined = Math.max(10, Math.min(SLOW_MIN_EXAMINED, Math.floor(platform.accounts.length / 4)));
  }

  private host(h: Host): HostCounters {
    let c = this.counters.get(h.name);
    if (c === undefined) {
      c = {
        nextPid: 20_000 + (mix(h.index, 1) % 5000),
        qid: mix(h.index, 2) % 0xfffff,
        ldapConn: 1000,
        auditSerial: 1000 + (mix(h.index, 3) % 5000),
        dbConn: 10,
        dbQuery: 100,
        port: 32768 + (mix(h.index, 4) % 20000),
        slapd: undefined,
      };
      this.counters.set(h.name, c);
    }
    return c;
  }

  pid(h: Host): number {
    const c = this.host(h);
    c.nextPid = c.nextPid >= 4_000_000 ? 20_000 : c.nextPid + 1 + (c.nextPid % 3);
    return c.nextPid;
  }

  /** A Postfix queue id (11 upper-case hex digits, unique per host over a run). */
  qid(h: Host): string {
    const c = this.host(h);
    c.qid = (c.qid + 1) % 0xfffffff;
    return (
      ((mix(h.index, c.qid) % 0xf) + 1).toString(16).toUpperCase() + c.qid.toString(16).toUpperCase().padStart(10, "0")
    );
  }

  ephemeralPort(h: Host): number {
    const c = this.host(h);
    c.port = c.port >= 60999 ? 32768 : c.port + 1 + (c.port % 7);
    return c.port;
  }

  auditSerial(h: Host): number {
    const c = this.host(h);
    c.auditSerial += 1 + (c.auditSerial % 5);
    return c.auditSerial;
  }

  slapd(h: Host): SlapdLog {
    const c = this.host(h);
    c.slapd ??= new SlapdLog(h.name, SERVICE_PIDS.slapd);
    return c.slapd;
  }

  session(n = 16): string {
    return this.rng.chars(n, BASE64);
  }

  pick<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }

  // --- hours ------------------------------------------------------------------------------

  /** Opens this hour's pooled service connections. */
  beginHour(t0: number, t1: number): void {
    this.hourEnd = t1;
    const p = this.platform;
    let k = 0;
    for (const client of [...p.byRole.imap, ...p.byRole.submission]) {
      if (this.ldapConns.has(`${client.name}>ldap`)) continue;
      const ldap = this.ldapFor(client);
      this.openLdap(t0 + 1 + k++ * 3, client, ldap, DN_DOVECOT, `${client.name}>ldap`);
    }
    for (const client of [...p.byRole.mx, ...p.byRole.webmail]) {
      const db = this.dbFor(client);
      const isMx = client.roles.includes("mx");
      const user = isMx ? "postfix" : "roundcube";
      const dbName = isMx ? "postfix" : "roundcube";
      this.openDb(t0 + 1 + k++ * 3, client, db, user, dbName, `${client.name}>db`);
    }
  }

  /** Closes them (idle timeout) just before the hour ends. */
  endHour(t1: number): void {
    let k = 0;
    for (const [key, lc] of this.ldapConns) {
      const ldap = this.ldapFor(lc.client);
      const s = this.slapd(ldap);
      this.out.emit(ldap.name, "slapd", t1 - 50 + k++, s.closed(t1 - 50 + k, lc.conn, lc.fd));
      this.ldapConns.delete(key);
    }
    for (const [key, dc] of this.dbConns) {
      const db = this.dbFor(this.platform.hosts.find((h) => h.name === key.slice(0, key.indexOf(">"))) as Host);
      this.out.emit(db.name, "mariadbAudit", t1 - 40 + k, mariadb.auditDisconnect(t1 - 40 + k++, db.name, dc.c));
      this.dbConns.delete(key);
    }
  }

  ldapFor(client: Host): Host {
    const l = this.platform.byRole.ldap;
    return l[client.index % l.length] as Host;
  }

  dbFor(client: Host): Host {
    const d = this.platform.byRole.db;
    return d[client.index % d.length] as Host;
  }

  /** Accept + simple bind of `dn` from `client`; returns the connection (op 1 is next). */
  openLdap(ts: number, client: Host, ldap: Host, dn: string, key?: string, ip?: string): LdapConn {
    const c = this.host(ldap);
    const s = this.slapd(ldap);
    const conn = ++c.ldapConn;
    const fd = 12 + (conn % 900);
    const from = ip ?? client.internalIp;
    this.out.emit(ldap.name, "slapd", ts, s.accept(ts, conn, fd, from, this.ephemeralPort(client)));
    this.out.emit(ldap.name, "slapd", ts + 0.05, s.bind(ts + 0.05, conn, 0, dn));
    this.out.emit(ldap.name, "slapd", ts + 0.06, s.bindMech(ts + 0.06, conn, 0, dn));
    this.out.emit(ldap.name, "slapd", ts + 0.2, s.bindResult(ts + 0.2, conn, 0, 0, 0.00015));
    const lc = { conn, fd, op: 1, client };
    if (key !== undefined) this.ldapConns.set(key, lc);
    return lc;
  }

  /** One search on an open connection: SRCH, SRCH attr, SEARCH RESULT after `etime` seconds. */
  ldapSearch(
    ts: number,
    ldap: Host,
    lc: LdapConn,
    base: string,
    filter: string,
    attrs: readonly string[],
    nentries: number,
    etime: number,
  ): number {
    const s = this.slapd(ldap);
    const op = lc.op++;
    this.out.emit(ldap.name, "slapd", ts, s.search(ts, lc.conn, op, base, filter));
    this.out.emit(ldap.name, "slapd", ts + 0.01, s.searchAttrs(ts + 0.01, lc.conn, op, attrs));
    const done = ts + 0.02 + etime * 1000;
    this.out.emit(ldap.name, "slapd", done, s.searchResult(done, lc.conn, op, nentries, etime));
    return done;
  }

  // slapd also logs `conn=N op=K UNBIND` before `closed`; the slapd parser does not
  // recognize UNBIND lines (they carry nothing it needs), so the simulator leaves them out.
  closeLdap(ts: number, ldap: Host, lc: LdapConn): void {
    const s = this.slapd(ldap);
    this.out.emit(ldap.name, "slapd", ts + 0.1, s.closed(ts + 0.1, lc.conn, lc.fd));
  }

  /** A user's (or anyone's) simple bind on its own short connection: success or err=49. */
  ldapUserBind(ts: number, ldap: Host, fromIp: string, dn: string, ok: boolean): void {
    const c = this.host(ldap);
    const s = this.slapd(ldap);
    const conn = ++c.ldapConn;
    const fd = 12 + (conn % 900);
    this.out.emit(ldap.name, "slapd", ts, s.accept(ts, conn, fd, fromIp, 32768 + (mix(conn, 5) % 28000)));
    this.out.emit(ldap.name, "slapd", ts + 0.05, s.bind(ts + 0.05, conn, 0, dn));
    if (ok) this.out.emit(ldap.name, "slapd", ts + 0.06, s.bindMech(ts + 0.06, conn, 0, dn));
    this.out.emit(ldap.name, "slapd", ts + 0.2, s.bindResult(ts + 0.2, conn, 0, ok ? 0 : 49, 0.00012));
    this.out.emit(ldap.name, "slapd", ts + 0.31, s.closed(ts + 0.31, conn, fd));
  }

  /** Dovecot's passdb lookup of `user` (an auth-cache miss) on its hourly connection. */
  passdbLookup(ts: number, client: Host, user: string, found: boolean): void {
    const key = `${client.name}>ldap`;
    const lc = this.ldapConns.get(key);
    if (lc === undefined || ts >= this.hourEnd - 100) return;
    const ldap = this.ldapFor(client);
    this.ldapSearch(
      ts,
      ldap,
      lc,
      LDAP_PEOPLE,
      `(&(objectClass=inetOrgPerson)(mail=${user}))`,
      ["uid", "mail", "userPassword"],
      found ? 1 : 0,
      0.0002,
    );
  }

  // --- MariaDB -------------------------------------------------------------------------------

  openDb(ts: number, client: Host, db: Host, user: string, dbName: string, key?: string, ip?: string): DbConn {
    const c = this.host(db);
    const conn: DbConn = { c: { user, ip: ip ?? client.internalIp, conn: ++c.dbConn, db: dbName }, first: true };
    this.out.emit(db.name, "mariadbAudit", ts, mariadb.auditConnect(ts, db.name, conn.c));
    if (key !== undefined) this.dbConns.set(key, conn);
    return conn;
  }

  closeDb(ts: number, db: Host, conn: DbConn): void {
    this.out.emit(db.name, "mariadbAudit", ts, mariadb.auditDisconnect(ts, db.name, conn.c));
  }

  /**
   * One statement: its audit QUERY line, and — when it examined at least
   * `slowMinExamined` rows — its slow-log entry with the row counts
   * (long_query_time = 0, log_slow_min_examined_row_limit = 1000, lowered to a
   * quarter of the table on tiny platforms: per-login single-row lookups never
   * reach the slow log, bulk reads of the mailbox table always do).
   */
  dbQuery(
    ts: number,
    db: Host,
    conn: DbConn,
    sql: string,
    rows: number,
    opts: { examined?: number; seconds?: number } = {},
  ): void {
    const c = this.host(db);
    const qid = ++c.dbQuery;
    this.out.emit(db.name, "mariadbAudit", ts, mariadb.auditQuery(ts, db.name, conn.c, qid, sql));
    const seconds = opts.seconds ?? 0.0002 + rows * 0.000004;
    const examined = opts.examined ?? rows;
    const done = ts + seconds * 1000;
    if (examined < this.slowMinExamined) return;
    this.out.emit(
      db.name,
      "mariadbSlow",
      done,
      mariadb.slowEntry(
        done,
        {
          c: conn.c,
          sql,
          rowsSent: rows,
          rowsExamined: examined,
          queryTime: seconds,
          bytesSent: 60 + rows * 75,
          fullScan: examined > 1000,
        },
        true,
        conn.first,
      ),
    );
    conn.first = false;
  }

  /** A query on a client host's pooled hourly connection (skipped near the hour's end). */
  pooledQuery(ts: number, client: Host, sql: string, rows: number): void {
    const conn = this.dbConns.get(`${client.name}>db`);
    if (conn === undefined || ts >= this.hourEnd - 100) return;
    this.dbQuery(ts, this.dbFor(client), conn, sql, rows);
  }

  // --- IMAP / POP ----------------------------------------------------------------------------

  /** The mailbox host for a login name (unknown names land on a host by hash, like a director). */
  imapHostForUser(user: string, a: Account | undefined): Host {
    if (a !== undefined) return imapHostOf(this.platform, a);
    let h = 0;
    for (let i = 0; i < user.length; i++) h = (Math.imul(h, 31) + user.charCodeAt(i)) >>> 0;
    const hosts = this.platform.byRole.imap;
    return hosts[h % hosts.length] as Host;
  }

  /**
   * One IMAP/POP3 connection: `failures` wrong passwords (or unknown user), then a
   * success unless `succeed` is false. Returns the IMAP host.
   */
  mailLogin(
    ts: number,
    user: string,
    account: Account | undefined,
    ip: string,
    proto: "imap" | "pop3",
    failures: number,
    succeed: boolean,
    viaWebmail?: Host,
    onHost?: Host,
  ): Host {
    const host = onHost ?? this.imapHostForUser(user, account);
    const lip = viaWebmail !== undefined ? host.internalIp : (host.publicIp ?? host.internalIp);
    const c: dovecot.DovecotConn = {
      proto,
      user,
      rip: ip,
      lip,
      session: this.session(),
      tls: viaWebmail === undefined,
    };
    let t = ts;
    const known = account !== undefined;
    if (failures > 0 || !succeed || this.rng.chance(0.25)) this.passdbLookup(t - 5, host, user, known);
    for (let i = 0; i < failures; i++) {
      this.out.emit(
        host.name,
        "dovecot",
        t,
        dovecot.dovecotAuthFailure(t, c, known ? "Password mismatch" : "unknown user"),
      );
      t += 1500 + this.rng.int(2500);
    }
    if (succeed) {
      this.out.emit(host.name, "dovecot", t, dovecot.dovecotLogin(t, c, this.pid(host)));
    } else {
      const secs = Math.max(0, Math.round((t - ts) / 1000));
      this.out.emit(host.name, "dovecot", t, dovecot.dovecotLoginFailed(t, c, Math.max(1, failures), secs));
    }
    return host;
  }

  // --- SMTP ----------------------------------------------------------------------------------

  submissionHost(): Host {
    return this.rng.pick(this.platform.byRole.submission);
  }

  /** A failed SMTP AUTH on a submission host. */
  smtpAuthFailure(ts: number, user: string, ip: string, host = this.submissionHost()): Host {
    this.out.emit(host.name, "mail", ts, postfix.postfixSaslFailed(ts, host.name, this.pid(host), ip, user));
    this.passdbLookup(ts - 3, host, user, user.endsWith(`@${DOMAIN}`));
    return host;
  }

  /**
   * A message submitted by an authenticated `sender` from `clientIp` to
   * `recipients` (local accounts are delivered over LMTP to their IMAP host).
   */
  submitMessage(
    ts: number,
    sender: string,
    clientIp: string,
    recipients: ReadonlyArray<{ address: string; local: Account | undefined; mx?: RemoteMx }>,
    size: number,
    host = this.submissionHost(),
  ): { host: Host; qid: string } {
    const qid = this.qid(host);
    const smtpdPid = this.pid(host);
    if (this.rng.chance(0.3)) this.passdbLookup(ts - 3, host, sender, true);
    this.out.emit(host.name, "mail", ts, postfix.postfixSaslLogin(ts, host.name, smtpdPid, qid, clientIp, sender));
    const tq = ts + 80 + this.rng.int(200);
    this.out.emit(
      host.name,
      "mail",
      tq,
      postfix.postfixQmgrFrom(tq, host.name, SERVICE_PIDS.qmgr, qid, sender, size, recipients.length),
    );
    let td = tq;
    for (const r of recipients) {
      td += 100 + this.rng.int(400) + size / 50_000;
      const delay = (td - ts) / 1000;
      if (r.local !== undefined) {
        const imap = imapHostOf(this.platform, r.local);
        this.out.emit(
          host.name,
          "mail",
          td,
          postfix.postfixDelivered(td, host.name, this.pid(host), qid, {
            agent: "lmtp",
            to: r.address,
            relayName: `${imap.name}.${DOMAIN}`,
            relayIp: imap.internalIp,
            relayPort: 24,
            delay,
            reply: `250 2.0.0 <${r.address}> ${this.session(22)} Saved`,
          }),
        );
      } else {
        const mx = r.mx ?? this.rng.pick(REMOTE_MX);
        this.out.emit(
          host.name,
          "mail",
          td,
          postfix.postfixDelivered(td, host.name, this.pid(host), qid, {
            agent: "smtp",
            to: r.address,
            relayName: mx.name,
            relayIp: mx.ip,
            relayPort: 25,
            delay,
            reply: `250 2.0.0 OK ${this.rng.chars(10, HEX)} - queued`,
          }),
        );
      }
    }
    this.out.emit(host.name, "mail", td + 5, postfix.postfixRemoved(td + 5, host.name, SERVICE_PIDS.qmgr, qid));
    return { host, qid };
  }

  /** A message from the Internet to a local account, through an MX host. */
  receiveMessage(ts: number, from: string, to: Account, size: number): void {
    const mx = this.rng.pick(this.platform.byRole.mx);
    const qid = this.qid(mx);
    const tq = ts + 150 + this.rng.int(400);
    this.out.emit(mx.name, "mail", tq, postfix.postfixQmgrFrom(tq, mx.name, SERVICE_PIDS.qmgr, qid, from, size, 1));
    if (this.rng.chance(0.1)) {
      this.pooledQuery(ts + 20, mx, `SELECT maildir FROM mailbox WHERE username='${to.user}' AND active = '1'`, 1);
    }
    const imap = imapHostOf(this.platform, to);
    const td = tq + 60 + this.rng.int(300);
    this.out.emit(
      mx.name,
      "mail",
      td,
      postfix.postfixDelivered(td, mx.name, this.pid(mx), qid, {
        agent: "lmtp",
        to: to.user,
        relayName: `${imap.name}.${DOMAIN}`,
        relayIp: imap.internalIp,
        relayPort: 24,
        delay: (td - ts) / 1000,
        reply: `250 2.0.0 <${to.user}> ${this.session(22)} Saved`,
      }),
    );
    this.out.emit(mx.name, "mail", td + 3, postfix.postfixRemoved(td + 3, mx.name, SERVICE_PIDS.qmgr, qid));
  }

  // --- webmail -------------------------------------------------------------------------------

  webmailHost(): Host {
    return this.rng.pick(this.platform.byRole.webmail);
  }

  /** A Roundcube login: its userlogins line, the IMAP login it makes, its user-table query. */
  webmailLogin(
    ts: number,
    a: Account | undefined,
    user: string,
    ip: string,
    ok: boolean,
    host = this.webmailHost(),
  ): Host {
    const sess = this.rng.chars(26, ALNUM);
    const imapTs = ts - 300;
    this.mailLogin(imapTs, user, a, ip, "imap", ok ? 0 : 1, ok, host);
    if (ok) {
      this.out.emit(host.name, "roundcube", ts, roundcube.roundcubeSuccess(ts, sess, user, 1000 + (a?.index ?? 0), ip));
      this.pooledQuery(ts - 100, host, `SELECT * FROM users WHERE username = '${user}' AND mail_host = 'localhost'`, 1);
    } else {
      this.out.emit(host.name, "roundcube", ts, roundcube.roundcubeFailure(ts, sess, user, ip));
    }
    return host;
  }

  /** Roundcube's address-book autocomplete: a short LDAP connection as its service DN. */
  addressBookSearch(ts: number, webmail: Host, prefix: string): void {
    const ldap = this.ldapFor(webmail);
    const lc = this.openLdap(ts, webmail, ldap, DN_ROUNDCUBE);
    const done = this.ldapSearch(
      ts + 1,
      ldap,
      lc,
      LDAP_PEOPLE,
      `(&(objectClass=inetOrgPerson)(|(mail=${prefix}*)(cn=${prefix}*)))`,
      ["cn", "mail", "displayName"],
      this.rng.int(8),
      0.0004,
    );
    this.closeLdap(done + 2, ldap, lc);
  }

  // --- hosts ---------------------------------------------------------------------------------

  sshLogin(ts: number, host: Host, user: string, fromIp: string, fingerprint: string): void {
    this.out.emit(
      host.name,
      "auth",
      ts,
      sshd.sshdAcceptedKey(ts, host.name, this.pid(host), user, fromIp, this.ephemeralPort(host), fingerprint),
    );
  }

  auditRead(ts: number, host: Host, p: auditd.AuditProcess, cwd: string, path: string, proctitle: string): void {
    const inode = 131_000 + (mix(path.length, path.charCodeAt(path.length - 1)) % 9000);
    this.out.emit(
      host.name,
      "audit",
      ts,
      auditd.auditFileRead(ts, this.auditSerial(host), p, cwd, path, inode, proctitle, "mw-cred"),
    );
  }

  auditExec(ts: number, host: Host, p: auditd.AuditProcess, cwd: string, argv: readonly string[]): void {
    this.out.emit(host.name, "audit", ts, auditd.auditExec(ts, this.auditSerial(host), p, cwd, argv, "mw-exec"));
  }
}
