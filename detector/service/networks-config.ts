// The offline network facts from config: internal CIDRs and an ASN table file.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../cli/errors.js";
import { type AsnRow, createNetworkInfo, type NetworkInfo } from "../core/networks.js";

const asnTableSchema = z.array(
  z.object({ cidr: z.string(), asn: z.int().min(0), country: z.string().max(8), name: z.string().optional() }),
);

export function configuredNetworks(cfg: {
  internal?: string[] | undefined;
  asnTable?: string | undefined;
}): NetworkInfo {
  const asnTable = cfg.asnTable ? readAsnTable(cfg.asnTable) : [];
  try {
    return createNetworkInfo({ ...(cfg.internal ? { internal: cfg.internal } : {}), asnTable });
  } catch (e) {
    throw new ConfigError("detector.networks", (e as Error).message);
  }
}

/** The rows of an ASN table file; unreadable or malformed is a ConfigError. */
export function readAsnTable(file: string): AsnRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError("detector.networks.asnTable", `cannot read ${file}: ${(e as Error).message}`);
  }
  // A list of rows, or an object keyed by CIDR (the simulator's networks.json).
  const rows = Array.isArray(parsed)
    ? parsed
    : Object.entries(parsed as Record<string, { asn: number; country: string; org?: string }>).map(([cidr, v]) => ({
        cidr,
        asn: v.asn,
        country: v.country,
        ...(v.org ? { name: v.org } : {}),
      }));
  const r = asnTableSchema.safeParse(rows);
  if (!r.success) throw new ConfigError("detector.networks.asnTable", `${file}: ${r.error.issues[0]?.message}`);
  return r.data.map((row) => ({
    cidr: row.cidr,
    asn: row.asn,
    country: row.country,
    ...(row.name ? { name: row.name } : {}),
  }));
}
