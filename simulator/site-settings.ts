// The detector settings the simulated platform's operators would write: their
// known backup target and backup host, the admin host that exports the
// directory, the newsletter sender, the monitoring account. Derived from the
// benign activities the simulator created (so the names always match), written
// next to the logs as `detector.yaml` for `mailwarden detect --config`, and
// used by the demo.
import { stringify } from "yaml";
import type { Label, NoiseLabel } from "./context.js";

export function siteDetections(labels: Label[]): Record<string, Record<string, unknown>> {
  const noise = (name: string) => labels.filter((l): l is NoiseLabel => "noise" in l && l.noise === name);
  const unique = <T>(xs: T[]) => [...new Set(xs)];
  const backups = noise("nightly-backup");
  const backupSources = unique(backups.flatMap((l) => l.entities.source_ips));
  const backupTargets = unique(backups.flatMap((l) => l.entities.destination_networks));
  const adminHosts = unique(noise("admin-ldap-export").flatMap((l) => l.entities.source_ips));
  // Senders whose volume is the site's own business: the newsletter, and the
  // monitoring account's probe through every submission host every minute
  // (hundreds an hour from the first hour, above the cold floor on a large platform).
  const senders = unique(
    [...noise("newsletter-burst"), ...noise("monitoring-probes")].flatMap((l) => l.entities.accounts),
  );
  const readers = [...backupSources, ...adminHosts].map((ip) => ({ src_cidr: ip }));
  const destinations = backupTargets.map((cidr) => ({ cidr, note: "off-site backup target" }));
  return {
    ...(readers.length ? { "cred.bulk_read": { allowedPrincipals: readers } } : {}),
    ...(readers.length ? { "cred.slow_read": { allowedPrincipals: readers } } : {}),
    ...(destinations.length
      ? {
          "egress.volume": { allowedDestinations: destinations },
          "egress.new_destination": { allowedDestinations: destinations },
          "egress.rare_process": { allowedDestinations: destinations },
        }
      : {}),
    ...(senders.length ? { "egress.smtp_exfil": { allowedSenders: senders } } : {}),
  };
}

/**
 * A detector config for this simulated platform (relative paths resolve
 * against the config file), with a viewer token for `mailwarden eval`: the
 * token itself is random and lives in `tokenFile`, so the YAML stays the same
 * for the same seed.
 */
export function siteDetectorYaml(labels: Label[], networksFile: string, tokenFile: string): string {
  return `# Detector settings for this simulated platform: its known backup target,\n# admin host and newsletter sender, its IP → ASN table, and the API token\n# mailwarden eval reads the results with.\n${stringify(
    {
      detector: { networks: { asnTable: networksFile }, detections: siteDetections(labels) },
      api: { tokens: [{ name: "eval", role: "viewer", tokenFile }] },
    },
  )}`;
}
