// OpenLDAP 2.5 `loglevel stats` lines through rsyslog → slapd.log, as in
// test/lab/samples/slapd.log: connection accept, binds, searches (the SRCH
// request, its attribute list and the SEARCH RESULT with nentries), connection close.
import { syslogLine } from "./syslog.js";

const t6 = (s: number): string => s.toFixed(6);

export class SlapdLog {
  constructor(
    readonly host: string,
    readonly pid: number,
  ) {}

  private line(ts: number, msg: string): string {
    return syslogLine(ts, this.host, "slapd", this.pid, msg);
  }

  accept(ts: number, conn: number, fd: number, ip: string, port: number): string {
    return this.line(ts, `conn=${conn} fd=${fd} ACCEPT from IP=${ip}:${port} (IP=0.0.0.0:389)`);
  }

  /** The request line; a successful simple bind also logs the `mech=SIMPLE` line. */
  bind(ts: number, conn: number, op: number, dn: string): string {
    return this.line(ts, `conn=${conn} op=${op} BIND dn="${dn}" method=128`);
  }

  bindMech(ts: number, conn: number, op: number, dn: string): string {
    return this.line(ts, `conn=${conn} op=${op} BIND dn="${dn}" mech=SIMPLE bind_ssf=0 ssf=0`);
  }

  bindResult(ts: number, conn: number, op: number, err: number, etime: number): string {
    return this.line(ts, `conn=${conn} op=${op} RESULT tag=97 err=${err} qtime=0.000006 etime=${t6(etime)} text=`);
  }

  search(ts: number, conn: number, op: number, base: string, filter: string): string {
    return this.line(ts, `conn=${conn} op=${op} SRCH base="${base}" scope=2 deref=0 filter="${filter}"`);
  }

  searchAttrs(ts: number, conn: number, op: number, attrs: readonly string[]): string {
    return this.line(ts, `conn=${conn} op=${op} SRCH attr=${attrs.join(" ")}`);
  }

  searchResult(ts: number, conn: number, op: number, nentries: number, etime: number): string {
    return this.line(
      ts,
      `conn=${conn} op=${op} SEARCH RESULT tag=101 err=0 qtime=0.000010 etime=${t6(etime)} nentries=${nentries} text=`,
    );
  }

  closed(ts: number, conn: number, fd: number): string {
    return this.line(ts, `conn=${conn} fd=${fd} closed`);
  }
}
