// `blast-radius`: after a breach, the accounts whose passwords must be reset.
//
// Credentials read: the incident's credential-access evidence (file reads,
// LDAP searches, SQL selects of a password column). Those log lines carry a
// record count, never the names read, and a dump's pages cannot be mapped to
// names reliably, so every read exposes every account of the platform: every
// account that logged in to a mail service (IMAP/POP, SMTP submission,
// webmail) or had mail delivered to its mailbox within retention (accounts
// idle all that time are not in the store). That is the conservative list a forced reset
// needs; the reads (object, how, records) are listed so the scope can be
// judged.
//
// Attacker logins: every login (or attempt) to a mail account, from the time
// of the first read (else of the first finding) on, from the attacker's
// networks: the networks of the external addresses in the incident (sources
// of its findings, its evidence's sources and destinations), widened to
// their ASN prefix, plus any the operator names.
import type { ClickHouseClient } from "@clickhouse/client";
import { isoOf, selectRows } from "../api/sql.js";
import { inNetworks } from "./entity.js";
import { parseCidr } from "./input.js";
import { attackerNetworkOf, type ForensicsNetworks } from "./networks.js";

/** Sources whose logins are logins to a mail account (not service binds or admin shells). */
export const MAIL_AUTH_SOURCES = ["dovecot", "postfix", "roundcube"];

/** Evidence events are looked up within the findings' windows widened by this much (partition pruning). */
const EVIDENCE_SLACK_MS = 24 * 3_600_000;

const HOW: Record<string, string> = { cred_read: "file read", ldap_search: "LDAP search", db_select: "SQL select" };

export interface CredentialRead {
  ts: string;
  id: string;
  host: string;
  how: string;
  /** The account or service identity that read (LDAP bind DN, SQL user), if logged. */
  principal: string;
  process: string;
  src_ip: string;
  object: string;
  records: number | null;
  /** The detection whose evidence it is. */
  detection: string;
}

export interface AffectedAccount {
  account: string;
  /** Time of the first credential read (null when only attacker logins put it here). */
  credentials_read_at: string | null;
  /** The distinct reads, "how object". */
  read_via: string[];
  /** First login or attempt from an attacker network. */
  attacker_login_at: string | null;
  attacker_ips: string[];
  attacker_logins: number;
  attacker_failures: number;
  /** Event ids: the first read of each object and every attacker login. */
  evidence: string[];
}

export interface BlastRadius {
  incident: string;
  /** Logins are counted from here on. */
  since: string | null;
  reads: CredentialRead[];
  attacker_networks: string[];
  accounts: AffectedAccount[];
}

export interface BlastRadiusQuery {
  incident: string;
  /** Networks the operator adds to those found in the incident (CIDRs, see `cidrsOf`). */
  networks: string[];
  facts: ForensicsNetworks;
}

interface FindingRow {
  id: string;
  detection: string;
  stage: string;
  src_ip: string;
  entity_type: string;
  entity: string;
  evidence: string[];
  ws_ms: number;
  we_ms: number;
}

interface EvidenceRow {
  id: string;
  ts_ms: number;
  host: string;
  kind: string;
  action: string;
  user: string;
  src_ip: string;
  dst_ip: string;
  process_name: string;
  object: string;
  records: number | null;
}

interface LoginRow {
  id: string;
  ts_ms: number;
  user: string;
  src_ip: string;
  outcome: string;
}

async function incidentFindings(client: ClickHouseClient, id: string): Promise<FindingRow[] | undefined> {
  // The incident and those merged into it: their findings are one story.
  const incidents = await selectRows<{ finding_ids: string[] }>(
    client,
    "SELECT finding_ids FROM incidents FINAL WHERE id = {id:FixedString(32)} OR merged_into = {id:String}",
    { id },
  );
  if (incidents.length === 0) return undefined;
  return selectRows<FindingRow>(
    client,
    `SELECT id, detection, stage, src_ip, entity_type, entity, evidence,
       toUnixTimestamp64Milli(window_start) AS ws_ms, toUnixTimestamp64Milli(window_end) AS we_ms
     FROM findings FINAL WHERE id IN {ids:Array(FixedString(32))}`,
    { ids: [...new Set(incidents.flatMap((i) => i.finding_ids))] },
  );
}

async function evidenceEvents(client: ClickHouseClient, findings: FindingRow[]): Promise<EvidenceRow[]> {
  const ids = [...new Set(findings.flatMap((f) => f.evidence))];
  if (ids.length === 0) return [];
  return selectRows<EvidenceRow>(
    client,
    `SELECT id, toUnixTimestamp64Milli(ts) AS ts_ms, host, kind, action, user, src_ip, dst_ip, process_name, object, records
     FROM events
     WHERE id IN {ids:Array(FixedString(32))}
       AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})
     ORDER BY ts, id LIMIT 1 BY id`,
    {
      ids,
      from: Math.min(...findings.map((f) => Number(f.ws_ms))) - EVIDENCE_SLACK_MS,
      to: Math.max(...findings.map((f) => Number(f.we_ms))) + EVIDENCE_SLACK_MS,
    },
  );
}

function credentialReads(findings: FindingRow[], evidence: EvidenceRow[]): CredentialRead[] {
  const detectionOf = new Map<string, string>();
  for (const f of findings) for (const id of f.evidence) if (!detectionOf.has(id)) detectionOf.set(id, f.detection);
  return evidence
    .filter((e) => e.kind === "cred_access")
    .map((e) => ({
      ts: isoOf(e.ts_ms),
      id: e.id,
      host: e.host,
      how: HOW[e.action] ?? e.action,
      principal: e.user,
      process: e.process_name,
      src_ip: e.src_ip,
      object: e.object,
      records: e.records === null ? null : Number(e.records),
      detection: detectionOf.get(e.id) ?? "",
    }));
}

/** The attacker's networks found in the incident: its external sources and destinations, widened. */
function incidentNetworks(findings: FindingRow[], evidence: EvidenceRow[], facts: ForensicsNetworks): string[] {
  const out = new Set<string>();
  const add = (ip: string) => {
    const net = ip ? attackerNetworkOf(ip, facts) : undefined;
    if (net) out.add(net);
  };
  for (const f of findings) {
    add(f.src_ip);
    if (f.entity_type === "src_ip") add(f.entity);
    if (f.entity_type === "src_net") add(f.entity.split("/")[0] ?? "");
  }
  for (const e of evidence) {
    if (e.kind === "auth") add(e.src_ip);
    if (e.kind === "net") add(e.dst_ip);
  }
  return [...out].map(parseCidr);
}

async function attackerLogins(client: ClickHouseClient, cidrs: string[], since: number): Promise<LoginRow[]> {
  if (cidrs.length === 0) return [];
  const net = inNetworks("src_ip", cidrs);
  return selectRows<LoginRow>(
    client,
    `SELECT id, toUnixTimestamp64Milli(ts) AS ts_ms, user, src_ip, outcome FROM events
     WHERE kind = 'auth' AND source IN {sources:Array(String)} AND user != ''
       AND ts >= fromUnixTimestamp64Milli({since:Int64}) AND ${net.sql}
     ORDER BY ts, id LIMIT 1 BY id`,
    { ...net.params, sources: MAIL_AUTH_SOURCES, since },
  );
}

/** The platform's mail accounts as the store knows them: those that logged in, and local mailboxes mail was delivered to. */
async function mailAccounts(client: ClickHouseClient): Promise<string[]> {
  const rows = await selectRows<{ account: string }>(
    client,
    `SELECT user AS account FROM events
     WHERE kind = 'auth' AND outcome = 'success' AND source IN {sources:Array(String)} AND user != ''
     UNION DISTINCT
     SELECT object AS account FROM events
     WHERE kind = 'mail_out' AND attrs['local'] = 'true' AND attrs['status'] = 'sent' AND object != ''`,
    { sources: MAIL_AUTH_SOURCES },
  );
  return rows.map((r) => r.account);
}

function emptyAccount(account: string): AffectedAccount {
  return {
    account,
    credentials_read_at: null,
    read_via: [],
    attacker_login_at: null,
    attacker_ips: [],
    attacker_logins: 0,
    attacker_failures: 0,
    evidence: [],
  };
}

/** The blast radius of an incident; undefined when there is no such incident. */
export async function blastRadius(client: ClickHouseClient, q: BlastRadiusQuery): Promise<BlastRadius | undefined> {
  const findings = await incidentFindings(client, q.incident);
  if (!findings) return undefined;
  const evidence = await evidenceEvents(client, findings);
  const reads = credentialReads(findings, evidence);
  const networks = [...new Set([...incidentNetworks(findings, evidence, q.facts), ...q.networks])];
  const starts = reads.length > 0 ? reads.map((r) => Date.parse(r.ts)) : findings.map((f) => Number(f.ws_ms));
  const since = starts.length > 0 ? Math.min(...starts) : undefined;

  const [accounts, logins] = await Promise.all([
    reads.length > 0 ? mailAccounts(client) : Promise.resolve([]),
    since === undefined ? Promise.resolve([]) : attackerLogins(client, networks, since),
  ]);
  const byAccount = new Map<string, AffectedAccount>();
  const entry = (a: string) => byAccount.get(a) ?? (byAccount.set(a, emptyAccount(a)).get(a) as AffectedAccount);
  if (reads.length > 0) {
    const firstOfEach = new Map<string, CredentialRead>();
    for (const r of reads) if (!firstOfEach.has(`${r.how} ${r.object}`)) firstOfEach.set(`${r.how} ${r.object}`, r);
    for (const a of accounts) {
      const e = entry(a);
      e.credentials_read_at = reads[0]?.ts ?? null;
      e.read_via = [...firstOfEach.keys()];
      e.evidence = [...firstOfEach.values()].map((r) => r.id);
    }
  }
  for (const l of logins) {
    const e = entry(l.user);
    e.attacker_login_at ??= isoOf(l.ts_ms);
    if (!e.attacker_ips.includes(l.src_ip)) e.attacker_ips.push(l.src_ip);
    if (l.outcome === "success") e.attacker_logins++;
    else e.attacker_failures++;
    e.evidence.push(l.id);
  }
  return {
    incident: q.incident,
    since: since === undefined ? null : isoOf(since),
    reads,
    attacker_networks: networks,
    accounts: [...byAccount.values()].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0)),
  };
}
