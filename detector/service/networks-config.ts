// The offline network facts from config: internal CIDRs and an ASN table file.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../cli/errors.js";
import { createNetworkInfo, type NetworkInfo } from "../core/networks.js";

const asnTableSchema = z.array(
  z.object({ cidr: z.string(), asn: z.int().min(0), country: z.string().max(8), name: z.string().optional() }),
);

export function configuredNetworks(cfg: {
  internal?: string[] | undefined;
  asnTable?: string | undefined;
}): NetworkInfo {
  let asnTable: z.infer<typeof asnTableSchema> = [];
  if (cfg.asnTable) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(cfg.asnTable, "utf8"));
    } catch (e) {
      throw new ConfigError("detector.networks.asnTable", `cannot read ${cfg.asnTable}: ${(e as Error).message}`);
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
    if (!r.success)
      throw new ConfigError("detector.networks.asnTable", `${cfg.asnTable}: ${r.error.issues[0]?.message}`);
    asnTable = r.data;
  }
  try {
    return createNetworkInfo({ ...(cfg.internal ? { internal: cfg.internal } : {}), asnTable });
  } catch (e) {
    throw new ConfigError("detector.networks", (e as Error).message);
  }
}
