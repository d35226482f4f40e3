// `mailwarden eval`: scores what the detector found against the simulator's
// ground truth. Pure: labels + findings + incidents in, a report out.
//
// A finding matches a label when it falls in the label's span (plus `graceMs`
// after its end: a slow attack may be caught as it closes) and shares an
// entity with it: an account, a source address or its network, a host, a
// process or a destination. An attack stage is detected when at least one
// finding matches it; its time-to-detect is the event time of the first
// matching finding minus the stage's start. Incidents made only of findings
// that match no attack are false incidents.
import { readFileSync } from "node:fs";
import type { Finding } from "../detector/core/finding.js";
import type { NetworkInfo } from "../detector/core/networks.js";
import type { Incident } from "../detector/correlator/correlator.js";
import type { AttackLabel, Label, NoiseLabel } from "./context.js";

export interface StageResult {
  stage: string;
  start: string;
  end: string;
  detected: boolean;
  ttd_seconds: number | null;
  detection: string | null;
  findings: number;
}

export interface EvalResult {
  recall: number;
  precision: number;
  false_incidents_per_day: number;
  days: number;
  incidents: number;
  findings: number;
  attacks: { attack: string; id: string; stages: StageResult[] }[];
  benign_findings: { noise: string; detection: string; count: number }[];
  false_incidents: { id: string; severity: string; summary: string }[];
}

const ms = (iso: string) => Date.parse(iso);

/** Parsers of authentication logs. */
const AUTH_EVIDENCE = new Set(["dovecot", "postfix", "roundcube", "sshd"]);

/**
 * Accounts, addresses, networks, processes and destinations identify an
 * activity; a host alone does not (many things happen on imap1), so a host
 * counts only for labels that name no account and no source.
 */
function matches(f: Finding, l: Label, networks: NetworkInfo): boolean {
  const e = l.entities;
  const user = f.user?.toLowerCase();
  if (user && e.accounts.includes(user)) return true;
  if (f.entity_type === "user" && e.accounts.includes(f.entity.toLowerCase())) return true;
  for (const ip of [f.src_ip, f.entity_type === "src_ip" ? f.entity : undefined]) {
    if (!ip) continue;
    if (e.source_ips.includes(ip) || e.destination_ips.includes(ip)) return true;
    const net = networks.network(ip);
    if (e.source_networks.includes(net) || e.destination_networks.includes(net)) return true;
  }
  if (f.entity_type === "src_net" && e.source_networks.includes(f.entity)) return true;
  // Domain-keyed findings (auth.spray) name no account: an authentication label with accounts of that domain.
  if (
    f.entity_type === "domain" &&
    l.evidence.some((p) => AUTH_EVIDENCE.has(p)) &&
    e.accounts.some((a) => a.endsWith(`@${f.entity}`))
  ) {
    return true;
  }
  // Composite entities ("webmail1/php-fpm8.2") and summaries name processes and destinations.
  const text = `${f.entity} ${f.summary}`;
  if ([...e.processes, ...e.destination_ips, ...e.destination_networks].some((x) => x.length > 2 && text.includes(x))) {
    return true;
  }
  const anonymous = e.accounts.length === 0 && e.source_ips.length === 0 && e.source_networks.length === 0;
  return anonymous && f.host !== undefined && e.hosts.includes(f.host);
}

function inSpan(f: Finding, l: Label, graceMs: number): boolean {
  const t = ms(f.ts);
  return t >= ms(l.start) && t <= ms(l.end) + graceMs;
}

export function evaluate(
  labels: Label[],
  findings: Finding[],
  incidents: Incident[],
  opts: { days: number; networks: NetworkInfo; graceMs?: number },
): EvalResult {
  const grace = opts.graceMs ?? 3_600_000;
  const attacks = labels.filter((l): l is AttackLabel => "attack" in l);
  const noise = labels.filter((l): l is NoiseLabel => "noise" in l);
  const sorted = [...findings].sort((a, b) => ms(a.ts) - ms(b.ts) || (a.id < b.id ? -1 : 1));
  const attackFindings = new Set<string>();

  // A stage may be labelled in parts (each chunk of a slow read): one result per attack and stage.
  const parts = new Map<string, AttackLabel[]>();
  for (const l of attacks)
    parts.set(`${l.attack}\u0000${l.stage}`, [...(parts.get(`${l.attack}\u0000${l.stage}`) ?? []), l]);
  const byAttack = new Map<string, { attack: string; id: string; stages: StageResult[] }>();
  for (const labels of parts.values()) {
    const l = labels[0] as AttackLabel;
    const hitIds = new Set<string>();
    for (const part of labels) {
      for (const f of sorted) if (inSpan(f, part, grace) && matches(f, part, opts.networks)) hitIds.add(f.id);
    }
    const hits = sorted.filter((f) => hitIds.has(f.id));
    for (const f of hits) attackFindings.add(f.id);
    const start = Math.min(...labels.map((x) => ms(x.start)));
    const first = hits[0];
    // The attack's kind from its id ("spray-1" → "spray"): in `mixed` the scenario names none.
    const entry = byAttack.get(l.attack) ?? { attack: l.attack.replace(/-\d+$/, ""), id: l.attack, stages: [] };
    entry.stages.push({
      stage: l.stage,
      start: new Date(start).toISOString(),
      end: new Date(Math.max(...labels.map((x) => ms(x.end)))).toISOString(),
      detected: first !== undefined,
      ttd_seconds: first ? Math.max(0, (ms(first.ts) - start) / 1000) : null,
      detection: first?.detection ?? null,
      findings: hits.length,
    });
    byAttack.set(l.attack, entry);
  }

  const benign: EvalResult["benign_findings"] = [];
  for (const n of noise) {
    const hits = sorted.filter((f) => !attackFindings.has(f.id) && inSpan(f, n, grace) && matches(f, n, opts.networks));
    const detections = new Set([...n.resembles, ...hits.map((f) => f.detection)]);
    for (const d of detections) {
      benign.push({ noise: n.noise, detection: d, count: hits.filter((f) => f.detection === d).length });
    }
  }

  const falseIncidents = incidents.filter((i) => !i.finding_ids.some((id) => attackFindings.has(id)));
  const stages = [...byAttack.values()].flatMap((a) => a.stages);
  return {
    recall: stages.length ? stages.filter((s) => s.detected).length / stages.length : 1,
    precision: incidents.length ? (incidents.length - falseIncidents.length) / incidents.length : 1,
    false_incidents_per_day: falseIncidents.length / Math.max(opts.days, 1e-9),
    days: opts.days,
    incidents: incidents.length,
    findings: findings.length,
    attacks: [...byAttack.values()],
    benign_findings: benign,
    false_incidents: falseIncidents.map((i) => ({ id: i.id, severity: i.severity, summary: i.summary })),
  };
}

/** The human table: one row per attack stage, then the totals and the benign look-alikes. */
export function formatEval(r: EvalResult): string {
  const rows = r.attacks.flatMap((a) =>
    a.stages.map((s) => [
      a.id,
      s.stage,
      s.detected ? "yes" : "NO",
      s.ttd_seconds === null ? "-" : `${s.ttd_seconds.toFixed(1)} s`,
      s.detection ?? "-",
    ]),
  );
  const head = ["attack", "stage", "detected", "time to detect", "by"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  const fired = r.benign_findings.filter((b) => b.count > 0);
  return [
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `recall ${(100 * r.recall).toFixed(1)}%  precision ${(100 * r.precision).toFixed(1)}%  false incidents/day ${r.false_incidents_per_day.toFixed(2)}  (${r.incidents} incidents, ${r.findings} findings, ${r.days} days)`,
    fired.length === 0
      ? "benign look-alikes: no findings"
      : `benign look-alikes that fired: ${fired.map((b) => `${b.noise} → ${b.detection} ×${b.count}`).join(", ")}`,
  ].join("\n");
}

export function readLabels(file: string): Label[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Label);
}
