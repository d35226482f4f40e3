// An administrator's legitimate bulk LDAP export from the allow-listed bastion:
// `ldapsearch -D cn=admin,... '(objectClass=*)' '*' userPassword` over the
// whole directory, once, early one morning. Looks like: an LDAP search returning
// password attributes in bulk (cred.bulk_read) — by the admin, from the bastion.
import { type Activity, at, entities, HOUR_MS, type Label, type Sim } from "../context.js";
import { BASTION_IP, DN_ADMIN, LDAP_SUFFIX } from "../platform.js";
import { cidrOf, noiseLabel } from "./common.js";

export function adminExportNoise(sim: Sim): Activity {
  const when = at(sim, 0.4) + 17 * 60_000;
  let done: { start: number; end: number; host: string; entries: number } | undefined;
  return {
    name: "noise/admin-export",
    hour(t0, t1) {
      if (when < t0 || when >= t1) return;
      const ldap = sim.platform.byRole.ldap[0];
      if (ldap === undefined) return;
      const bastion = { ...ldap, name: "bastion", internalIp: BASTION_IP };
      const lc = sim.svc.openLdap(when, bastion, ldap, DN_ADMIN, undefined, BASTION_IP);
      const entries = sim.platform.accounts.length + 12;
      const etime = 0.5 + entries * 0.00003;
      const end = sim.svc.ldapSearch(
        when + 100,
        ldap,
        lc,
        LDAP_SUFFIX,
        "(objectClass=*)",
        ["*", "userPassword"],
        entries,
        etime,
      );
      sim.svc.closeLdap(end + 50, ldap, lc);
      done = { start: when, end: Math.min(end + 1000, t1 + HOUR_MS), host: ldap.name, entries };
    },
    labels(): Label[] {
      if (done === undefined) return [];
      return [
        noiseLabel(
          "admin-ldap-export",
          done.start,
          done.end,
          `administrator's bulk LDAP export (${done.entries} entries with userPassword) from the allow-listed bastion`,
          ["slapd"],
          ["cred.bulk_read"],
          entities({
            accounts: [DN_ADMIN],
            all_accounts: true,
            source_ips: [BASTION_IP],
            source_networks: [cidrOf(BASTION_IP)],
            hosts: [done.host],
          }),
        ),
      ];
    },
  };
}
