// What counts as a credential-store read, shared by the cred detections: a
// `cred_access` event turned into who read (the principal), what (the
// object), how much (password records) and through which store. Principals:
//   LDAP  bind DN + client address      (slapd `ldap_search` with password attributes)
//   SQL   DB user + client host         (MariaDB `db_select`: the parser emits only
//                                        statements reading a configured credential column)
//   file  executable + uid              (auditd `cred_read` of a watched credential file)
// Records: LDAP searches without a result (connection cut mid-dump) and
// MariaDB server_audit statements (the slow log has the row counts) carry
// none: they attribute a read without sizing it.
// Also the allow-list every cred detection accepts (`allowedPrincipals`).
import ipaddr from "ipaddr.js";
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { NetworkInfo } from "../../core/networks.js";

export type Store = "ldap" | "sql" | "file";

export interface CredRead {
  store: Store;
  /** The principal, unique on its host (the state key, with the host). */
  principal: string;
  /** The principal as the alert shows it. */
  label: string;
  /**
   * Who, for "never seen reading this before": network principals by their
   * client network rather than address, so a second server of the same
   * service in the same network is not "new".
   */
  reader: string;
  /** What was read, for "never seen reading this before" (per host). */
  object: string;
  /** Password records read by this operation, when logged; a file read counts 1 (the whole file). */
  records: number | undefined;
}

/** LDAP searches are one object per directory: "reads passwords at all" is what is rare. */
export const LDAP_PASSWORDS = "ldap:password attributes";

/** The credential read in `e`, or undefined when `e` reads no passwords. */
export function credReadOf(e: MailEvent, networks: NetworkInfo): CredRead | undefined {
  if (e.kind !== "cred_access") return undefined;
  switch (e.action) {
    case "ldap_search": {
      if (e.attrs?.password_attrs !== true) return undefined;
      const dn = e.user || "anonymous";
      const ip = e.src_ip || "local";
      return {
        store: "ldap",
        principal: `ldap\u0000${dn.toLowerCase()}\u0000${ip}`,
        label: dn,
        reader: `${dn.toLowerCase()}\u0000${e.src_ip ? networks.network(e.src_ip) : "local"}`,
        object: LDAP_PASSWORDS,
        records: e.records,
      };
    }
    case "db_select": {
      const user = e.user || "?";
      const clientHost = e.attrs?.client_host;
      const client = e.src_ip || (typeof clientHost === "string" && clientHost) || "localhost";
      return {
        store: "sql",
        principal: `sql\u0000${user}\u0000${client}`,
        label: `${user}@${client}`,
        reader: `${user}\u0000${e.src_ip ? networks.network(e.src_ip) : client}`,
        object: `sql:${e.object ?? "?"}`,
        records: e.records,
      };
    }
    case "cred_read": {
      const p = e.process;
      const exe = p?.exe ?? p?.name ?? "?";
      const uid = p?.uid ?? -1;
      const key = `${exe}\u0000${uid}`;
      return {
        store: "file",
        principal: `file\u0000${key}`,
        label: `${p?.name ?? exe} (${exe}, uid ${uid < 0 ? "?" : uid}${p?.auid !== undefined && p.auid !== 4294967295 ? `, auid ${p.auid}` : ""})`,
        reader: key,
        object: e.object ?? "?",
        records: e.records ?? 1,
      };
    }
    default:
      return undefined;
  }
}

/** The password attribute a search asked for, as the alert names it. */
export function passwordAttribute(e: MailEvent): string {
  const list = typeof e.attrs?.attrs === "string" ? e.attrs.attrs.split(" ") : [];
  const named = list.find((a) => /^(userpassword|authpassword)(;|$)/i.test(a));
  if (named !== undefined) return named;
  return list.length === 0 || list.includes("*") ? "all attributes (userPassword included)" : "password attributes";
}

/** What one operation is called and what it returns, per store, for summaries. */
export const UNITS: Record<Store, { op: string; ops: string; record: string; records: string }> = {
  ldap: { op: "search", ops: "searches", record: "entry", records: "entries" },
  sql: { op: "query", ops: "queries", record: "row", records: "rows" },
  file: { op: "read", ops: "reads", record: "read", records: "reads" },
};

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
/** 2000000 → "2,000,000" (a fixed locale: summaries are deterministic). */
export const fmt = (n: number): string => numberFormat.format(n);

export const plural = (n: number, one: string, many: string): string => `${fmt(n)} ${n === 1 ? one : many}`;

/** `2 h`, `35 min`, `3 d`: the span of an episode. */
export function span(ms: number): string {
  if (ms >= 48 * 3_600_000) return `${Math.round(ms / 86_400_000)} d`;
  if (ms >= 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.max(1, Math.round(ms / 60_000))} min`;
}

// --- allow-list ---------------------------------------------------------------

const cidr = z
  .string()
  .refine((s) => ipaddr.isValidCIDR(s) || ipaddr.isValid(s), { message: "not an address or CIDR (203.0.113.0/24)" });

/**
 * One allow-list entry; every field given must match. `principal` is compared
 * (case-insensitively) with the bind DN or DB user, and with the reading
 * process's executable path — not its name: `comm` is whatever the process
 * sets it to.
 */
export const allowedPrincipalSchema = z
  .strictObject({
    principal: z.string().min(1).max(1024).optional(),
    src_cidr: cidr.optional(),
    host: z.string().min(1).max(255).optional(),
  })
  .refine((a) => a.principal !== undefined || a.src_cidr !== undefined || a.host !== undefined, {
    message: "an allow-list entry needs at least one of principal, src_cidr, host",
  });
export type AllowedPrincipal = z.infer<typeof allowedPrincipalSchema>;

type Net = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseAddress(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  const a = ipaddr.parse(ip);
  return a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

function parseNet(s: string): Net {
  if (ipaddr.isValidCIDR(s)) return ipaddr.parseCIDR(s);
  const a = parseAddress(s) as ipaddr.IPv4 | ipaddr.IPv6;
  return [a, a.kind() === "ipv4" ? 32 : 128];
}

/** Compiles the allow-list once; the matcher is only consulted when a finding would fire. */
export function allowList(entries: AllowedPrincipal[]): (e: MailEvent) => boolean {
  if (entries.length === 0) return () => false;
  const compiled = entries.map((a) => ({
    principal: a.principal?.toLowerCase(),
    net: a.src_cidr !== undefined ? parseNet(a.src_cidr) : undefined,
    host: a.host?.toLowerCase(),
  }));
  return (e) => {
    const names = [e.user, e.process?.exe].map((n) => n?.toLowerCase());
    const addr = e.src_ip ? parseAddress(e.src_ip) : undefined;
    return compiled.some(
      (a) =>
        (a.host === undefined || a.host === e.host.toLowerCase()) &&
        (a.principal === undefined || names.includes(a.principal)) &&
        (a.net === undefined ||
          (addr !== undefined && addr.kind() === a.net[0].kind() && addr.match(a.net[0], a.net[1]))),
    );
  };
}
