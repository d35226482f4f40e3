// The detector's configuration as the commands that read a detector YAML load
// it: relative file paths in it (the ASN table, API token files) resolve
// against the file's own directory, so a config written next to its data (the
// simulator's detector.yaml) works from any working directory.
import { dirname, isAbsolute, resolve } from "node:path";
import { loadConfig } from "../config/load.js";
import { type DetectorConfig, detectorConfigSchema } from "../config/roles.js";

export function loadDetectorConfig(file?: string): DetectorConfig {
  const cfg = loadConfig(detectorConfigSchema, file ? { file } : {});
  if (!file) return cfg;
  const near = (p: string) => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const table = cfg.detector.networks.asnTable;
  if (table) cfg.detector.networks.asnTable = near(table);
  for (const t of cfg.api.tokens) if (t.tokenFile) t.tokenFile = near(t.tokenFile);
  return cfg;
}
