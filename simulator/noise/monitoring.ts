// The external monitoring service logs in every minute: IMAP on every IMAP
// host and SMTP AUTH on every submission host, as monitor@example.jp from
// UptimeWatch's network, plus an LDAP bind check from the internal monitoring
// host. Looks like: a source with a login rate far above any subscriber's.
import { type Activity, entities, type Label, MINUTE_MS, type Sim } from "../context.js";
import { DN_MONITOR, DOMAIN } from "../platform.js";
import { cidrOf, noiseLabel } from "./common.js";

export const MONITOR_USER = `monitor@${DOMAIN}`;
export const MONITOR_IP = "198.51.100.140";
export const MONITOR_INTERNAL_IP = "10.20.0.5";
const PROBE_MX = { name: "mx.uptimewatch.example", ip: "198.51.100.141", domain: "uptimewatch.example" };

export function monitoringNoise(sim: Sim): Activity {
  const p = sim.platform;
  return {
    name: "noise/monitoring",
    hour(t0, t1) {
      for (let m = t0 + 7000; m < t1; m += MINUTE_MS) {
        for (const [i, h] of p.byRole.imap.entries()) {
          sim.svc.mailLogin(m + i * 150, MONITOR_USER, undefined, MONITOR_IP, "imap", 0, true, undefined, h);
        }
        for (const [i, h] of p.byRole.submission.entries()) {
          sim.svc.submitMessage(
            m + 20_000 + i * 150,
            MONITOR_USER,
            MONITOR_IP,
            [{ address: "probe@uptimewatch.example", local: undefined, mx: PROBE_MX }],
            612,
            h,
          );
        }
        for (const [i, l] of p.byRole.ldap.entries()) {
          sim.svc.ldapUserBind(m + 30_000 + i * 150, l, MONITOR_INTERNAL_IP, DN_MONITOR, true);
        }
      }
    },
    labels(): Label[] {
      return [
        noiseLabel(
          "monitoring-probes",
          sim.start,
          sim.end,
          "synthetic IMAP/SMTP logins every minute by the monitoring service, LDAP bind checks from the monitoring host",
          ["dovecot", "postfix", "slapd"],
          ["auth.bruteforce", "auth.takeover", "egress.smtp_exfil"],
          entities({
            accounts: [MONITOR_USER],
            source_ips: [MONITOR_IP, MONITOR_INTERNAL_IP],
            source_networks: [cidrOf(MONITOR_IP), cidrOf(MONITOR_INTERNAL_IP)],
            hosts: [...p.byRole.imap, ...p.byRole.submission, ...p.byRole.ldap].map((h) => h.name),
          }),
        ),
      ];
    },
  };
}
