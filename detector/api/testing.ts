// Test helpers for the API: a real embedded store in a temp directory (one
// per test process), tokens for each role, and rows for the tables.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { storeSchema } from "../../config/common.js";
import type { Severity } from "../core/finding.js";
import { openStore, type Store } from "../store/client.js";
import type { ApiDeps } from "./app.js";
import type { ApiRole, ApiToken } from "./config.js";

export const TOKENS: Record<ApiRole, ApiToken> = {
  viewer: { name: "vera", role: "viewer", token: "viewer-token-0123456789abcdef" },
  responder: { name: "rita", role: "responder", token: "responder-token-0123456789abcdef" },
  admin: { name: "adam", role: "admin", token: "admin-token-0123456789abcdef" },
};

export const bearer = (role: ApiRole) => ({ authorization: `Bearer ${TOKENS[role].token}` });

/** A store in a fresh temp directory; closing it removes the directory. */
export async function openTestStore(prefix: string): Promise<Store> {
  const dataDir = mkdtempSync(join(tmpdir(), `mw-${prefix}-`));
  const store = await openStore(storeSchema.parse({ dataDir, retentionDays: 3650 }));
  return {
    ...store,
    close: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function testDeps(store: Store, overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    store: store.client,
    tokens: Object.values(TOKENS),
    metrics: new Registry(),
    readiness: () => ({ ready: true }),
    ...overrides,
  };
}

export const hex32 = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 32);

const SEVERITY_OF: Severity[] = ["low", "medium", "high", "critical"];

export interface FindingRowInput {
  id: string;
  ts: number;
  detection?: string;
  severity?: Severity;
  host?: string;
  user?: string;
  src_ip?: string;
  entity_type?: string;
  entity?: string;
  evidence?: string[];
  incident_id?: string;
  summary?: string;
}

/** A `findings` row as the detector writes it (times in ms). */
export function findingRow(f: FindingRowInput) {
  const severity = f.severity ?? "high";
  return {
    id: f.id,
    ts: f.ts,
    detection: f.detection ?? "auth.stuffing",
    stage: "initial_access",
    entity_type: f.entity_type ?? "src_ip",
    entity: f.entity ?? f.src_ip ?? "203.0.113.7",
    host: f.host ?? "imap1",
    user: f.user ?? "",
    src_ip: f.src_ip ?? "203.0.113.7",
    score: 40 + 15 * SEVERITY_OF.indexOf(severity),
    severity,
    observed: 120,
    expected: 3,
    window_start: f.ts - 300_000,
    window_end: f.ts,
    evidence: f.evidence ?? [],
    summary: f.summary ?? `finding ${f.id}`,
    details: JSON.stringify({ distinct_users: 120 }),
    incident_id: f.incident_id ?? "",
  };
}
