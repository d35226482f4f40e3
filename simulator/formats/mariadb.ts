// MariaDB 10.11 server_audit (server_audit_events=CONNECT,QUERY, file output)
// and the slow query log (long_query_time=0, log_slow_verbosity=query_plan),
// as in test/lab/samples/mariadb-*.log. The audit log has no row counts; the
// slow log does (Rows_sent), one entry per statement.
import { mariadbAuditDate, mariadbSlowDate } from "./time.js";

/** Quotes a statement the way server_audit does: '...' with \' and \\ escaped. */
function auditQuote(sql: string): string {
  return `'${sql.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

export interface DbClient {
  user: string;
  ip: string;
  conn: number;
  db: string;
}

export function auditConnect(ts: number, serverHost: string, c: DbClient): string {
  return `${mariadbAuditDate(ts)},${serverHost},${c.user},${c.ip},${c.conn},0,CONNECT,${c.db},,0`;
}

export function auditDisconnect(ts: number, serverHost: string, c: DbClient): string {
  return `${mariadbAuditDate(ts)},${serverHost},${c.user},${c.ip},${c.conn},0,DISCONNECT,${c.db},,0`;
}

export function auditQuery(ts: number, serverHost: string, c: DbClient, queryId: number, sql: string): string {
  return `${mariadbAuditDate(ts)},${serverHost},${c.user},${c.ip},${c.conn},${queryId},QUERY,${c.db},${auditQuote(sql)},0`;
}

/** The slow log's file header (written once when the log is opened). */
export function slowLogHeader(): string {
  return [
    "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:",
    "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock",
    "Time\t\t    Id Command\tArgument",
  ].join("\n");
}

export interface SlowEntry {
  c: DbClient;
  sql: string;
  rowsSent: number;
  rowsExamined: number;
  queryTime: number;
  bytesSent: number;
  fullScan: boolean;
}

/**
 * One slow-log entry, several lines. `withTime` adds the `# Time:` line (MariaDB
 * writes it only when the second changed since the previous entry), `useDb`
 * the `use db;` line (only when the thread's schema changed).
 */
export function slowEntry(ts: number, e: SlowEntry, withTime: boolean, useDb: boolean): string {
  const lines: string[] = [];
  if (withTime) lines.push(`# Time: ${mariadbSlowDate(ts)}`);
  lines.push(`# User@Host: ${e.c.user}[${e.c.user}] @  [${e.c.ip}]`);
  lines.push(`# Thread_id: ${e.c.conn}  Schema: ${e.c.db}  QC_hit: No`);
  lines.push(
    `# Query_time: ${e.queryTime.toFixed(6)}  Lock_time: 0.000050  Rows_sent: ${e.rowsSent}  Rows_examined: ${e.rowsExamined}`,
  );
  lines.push(`# Rows_affected: 0  Bytes_sent: ${e.bytesSent}`);
  if (e.fullScan) {
    lines.push("# Full_scan: Yes  Full_join: No  Tmp_table: No  Tmp_table_on_disk: No");
    lines.push("# Filesort: No  Filesort_on_disk: No  Merge_passes: 0  Priority_queue: No");
  }
  if (useDb) lines.push(`use \`${e.c.db}\`;`);
  lines.push(`SET timestamp=${Math.floor(ts / 1000)};`);
  lines.push(`${e.sql};`);
  return lines.join("\n");
}
