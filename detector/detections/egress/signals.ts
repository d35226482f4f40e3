// What the egress detections read from a `net` event, shared by them: is it
// data leaving the platform (outbound, to an external address), from which
// host and process, to which network, how many bytes, and is it one of the
// flows whose job is to talk to the world or that the operator allow-listed.
//
// Sources. The socket poller (`ss`) attributes a socket to its process and
// says whether it is inbound (attrs.direction, from the listening sockets of
// the same sample); without listeners in the sample, the ports decide (a
// local port below the ephemeral range and below the peer's is a service
// answering a client). Zeek's conn.log (`zeek-conn`) is a sensor's view:
// the host that sent is the originator (src_ip), there is no process, and a
// connection counts only when its originator is ours and its responder is
// not (attrs.local_orig / local_resp, Zeek's Site::local_nets; without them,
// src_ip in the internal networks — list the platform's public ranges there).
//
// Bytes. `conn` carries the socket's counters so far and `conn_sample` the
// delta since the previous sample, so summing both counts each byte once;
// except `conn` events of an agent's first sample (attrs.first_sample): their
// counters may have been counted before the agent restarted, so their bytes
// are not counted (the connection still is).
import ipaddr from "ipaddr.js";
import { z } from "zod";
import type { MailEvent } from "../../../events/event.js";
import type { NetworkInfo } from "../../core/networks.js";

export const MB = 1_000_000;
export const HOUR = 3_600_000;
export const NONE: never[] = [];

/** The process label of a connection whose process the source does not know (Zeek, an unattributed socket). */
export const UNKNOWN_PROCESS = "?";

/** Lowest port of Linux's default ephemeral range (net.ipv4.ip_local_port_range). */
const EPHEMERAL_LOW = 32_768;

const isAddressOrCidr = (s: string): boolean =>
  s.includes("/")
    ? ipaddr.IPv4.isValidCIDRFourPartDecimal(s) || ipaddr.IPv6.isValidCIDR(s)
    : ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s);

export const allowedDestinationSchema = z.strictObject({
  /** An address or CIDR, IPv4 or IPv6. */
  cidr: z.string().refine(isAddressOrCidr, "expected an address or CIDR, e.g. 198.51.100.0/25"),
  /** Only from these hosts (default: any). */
  hosts: z.array(z.string().min(1)).min(1).optional(),
  /** Only from these processes (default: any; `?` = a connection without a known process). */
  processes: z.array(z.string().min(1)).min(1).optional(),
  /** Why it is allowed (shown nowhere; for the config's reader). */
  note: z.string().optional(),
});
export type AllowedDestination = z.infer<typeof allowedDestinationSchema>;

export const worldFacingSchema = z.strictObject({
  /** Process name (comm, as `ss` shows it); `?` = connections without a known process. */
  process: z.string().min(1),
  /** Destination ports (default: any port). */
  ports: z.array(z.int().min(0).max(65_535)).min(1).optional(),
});
export type WorldFacingFlow = z.infer<typeof worldFacingSchema>;

/**
 * Flows whose job is to talk to ever-new networks: the MTA's SMTP client
 * delivering to MX hosts (Postfix `smtp`, Exim) and, for sources that know no
 * process (a Zeek sensor), anything to port 25. Their volume is still
 * baselined per process; only their destinations are not judged one by one.
 */
export const DEFAULT_WORLD_FACING: WorldFacingFlow[] = [
  { process: "smtp", ports: [25, 465, 587] },
  { process: "exim4", ports: [25, 465, 587] },
  { process: "exim", ports: [25, 465, 587] },
  { process: UNKNOWN_PROCESS, ports: [25] },
];

/** Facts about one destination address, computed once per address. */
export interface DestinationFacts {
  internal: boolean;
  /** The unit of "a network": `AS64500` when the ASN is known, else the /24 (/48). */
  origin: string;
  /** For summaries: `AS64500 (Bulletproof Hosting, NL)` or `203.0.113.0/24`. */
  label: string;
  /** Indices of the allow rules whose CIDR holds the address (almost always none). */
  allow: readonly number[];
}

interface AllowRule {
  range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  hosts: ReadonlySet<string> | undefined;
  processes: ReadonlySet<string> | undefined;
}

const NO_RULES: readonly number[] = Object.freeze([]);
const CACHE_MAX = 50_000;

/** IPv4-mapped IPv6 is the IPv4 address. */
function parseAddress(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  const a = ipaddr.parse(ip);
  return a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

function parseRange(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (cidr.includes("/")) return ipaddr.parseCIDR(cidr);
  const a = ipaddr.parse(cidr);
  return [a, a.kind() === "ipv4" ? 32 : 128];
}

/**
 * Destination facts with a per-address memo: a busy socket is sampled every
 * few seconds, and the ASN lookup and CIDR matches are done once per address
 * (the memo is dropped whole when full, as NetworkInfo's own cache is).
 */
export class Destinations {
  private readonly cache = new Map<string, DestinationFacts>();
  private readonly rules: AllowRule[];

  constructor(
    private readonly networks: NetworkInfo,
    allowed: readonly AllowedDestination[] = [],
  ) {
    this.rules = allowed.map((r) => ({
      range: parseRange(r.cidr),
      hosts: r.hosts ? new Set(r.hosts) : undefined,
      processes: r.processes ? new Set(r.processes) : undefined,
    }));
  }

  of(ip: string): DestinationFacts {
    const hit = this.cache.get(ip);
    if (hit !== undefined) return hit;
    const info = this.networks.asn(ip);
    const net = this.networks.network(ip);
    let allow = NO_RULES;
    if (this.rules.length > 0) {
      const a = parseAddress(ip);
      const matched: number[] = [];
      if (a !== undefined) {
        this.rules.forEach((r, i) => {
          if (r.range[0].kind() === a.kind() && a.match(r.range)) matched.push(i);
        });
      }
      if (matched.length > 0) allow = matched;
    }
    const facts: DestinationFacts = {
      internal: this.networks.isInternal(ip),
      origin: info ? `AS${info.asn}` : net,
      label: info ? `AS${info.asn} (${info.name ? `${info.name}, ` : ""}${info.country})` : net,
      allow,
    };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(ip, facts);
    return facts;
  }

  /** Is this flow allow-listed (a known backup target, a partner)? */
  allowed(dest: DestinationFacts, host: string, process: string): boolean {
    for (const i of dest.allow) {
      const r = this.rules[i] as AllowRule;
      if ((r.hosts === undefined || r.hosts.has(host)) && (r.processes === undefined || r.processes.has(process))) {
        return true;
      }
    }
    return false;
  }
}

/** Process → ports (undefined: any) of the world-facing flows. */
export class WorldFacing {
  private readonly byProcess = new Map<string, ReadonlySet<number> | undefined>();

  constructor(flows: readonly WorldFacingFlow[]) {
    for (const f of flows) {
      const prev = this.byProcess.get(f.process);
      if (this.byProcess.has(f.process) && prev === undefined) continue;
      if (f.ports === undefined) this.byProcess.set(f.process, undefined);
      else this.byProcess.set(f.process, new Set([...(prev ?? []), ...f.ports]));
    }
  }

  matches(process: string, port: number): boolean {
    if (!this.byProcess.has(process)) return false;
    const ports = this.byProcess.get(process);
    return ports === undefined || ports.has(port);
  }
}

/** One outbound flow read from an event; filled in place (a net sample is the hot path). */
export interface Egress {
  host: string;
  process: string;
  ip: string;
  port: number;
  bytes: number;
  dest: DestinationFacts;
}

export function newEgress(): Egress {
  return {
    host: "",
    process: UNKNOWN_PROCESS,
    ip: "",
    port: 0,
    bytes: 0,
    dest: undefined as unknown as DestinationFacts,
  };
}

/** A service answering a client: no listener info, so the ports tell (see the module comment). */
function inboundByPorts(src: number | undefined, dst: number | undefined): boolean {
  return src !== undefined && dst !== undefined && src < EPHEMERAL_LOW && src < dst;
}

/**
 * Fills `out` and returns true when `e` is a connection from one of our hosts
 * to an external address (whatever its bytes); false for anything else.
 */
export function readEgress(e: MailEvent, dests: Destinations, out: Egress): boolean {
  if (e.kind !== "net" || (e.action !== "conn" && e.action !== "conn_sample")) return false;
  const ip = e.dst_ip;
  if (!ip) return false;
  const attrs = e.attrs;
  const direction = attrs?.direction;
  if (direction === "in") return false;
  let host = e.host;
  if (e.source === "zeek-conn") {
    const src = e.src_ip;
    const localOrig = attrs?.local_orig;
    if (localOrig === false || attrs?.local_resp === true) return false;
    if (localOrig !== true && !(src && dests.of(src).internal)) return false;
    if (src) host = src;
  } else if (direction !== "out" && inboundByPorts(e.src_port, e.dst_port)) {
    return false;
  }
  const dest = dests.of(ip);
  if (dest.internal) return false;
  out.host = host;
  out.process = e.process?.name || UNKNOWN_PROCESS;
  out.ip = ip;
  out.port = e.dst_port ?? 0;
  out.dest = dest;
  out.bytes = e.action === "conn" && attrs?.first_sample === true ? 0 : (e.bytes_out ?? 0);
  return true;
}

/** `812 MB`, `1.2 GB`, `340 kB`, `0 B` (decimal units, as network volumes are quoted). */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  const digits = i === 0 || v >= 10 ? 0 : 1;
  return `${v.toFixed(digits)} ${units[i]}`;
}

/** `45 s`, `12 min`, `3.5 h`, `2.6 d`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 2 * HOUR) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * HOUR) return `${(ms / HOUR).toFixed(1)} h`;
  return `${(ms / (24 * HOUR)).toFixed(1)} d`;
}
