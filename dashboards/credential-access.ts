// Credential access: who reads the account store (LDAP userPassword searches,
// SQL selects of password columns, reads of passwd/shadow files), how much,
// and which readers were never seen before.
import { mailwardenDashboard } from "./dashboard.js";
import { table, timeSeries } from "./panels.js";
import { inVariable, withLookback } from "./sql.js";
import { hostVariable } from "./variables.js";

/** Who read: the bind DN / database user at its address, else the process and its uid. */
const principal = `multiIf(user != '' AND src_ip != '', concat(user, '@', src_ip), user != '', user,
  concat(process_name, ' (uid ', ifNull(toString(process_uid), '?'), ')'))`;
const scope = `kind = 'cred_access' AND ${inVariable("host", "host")}`;
const inRange = `${scope} AND $__timeFilter(ts)`;

const readsOverTime = (title: string, description: string, series: string, value: string) =>
  timeSeries({
    title,
    description,
    sql: `SELECT $__timeInterval(ts) AS time, ${series} AS series, ${value} AS value
FROM events
WHERE ${inRange}
GROUP BY time, series
ORDER BY time`,
  });

export const credentialAccess = () =>
  mailwardenDashboard({
    uid: "mailwarden-credential-access",
    title: "Mailwarden · Credential access",
    description: "Records read from the account stores by principal, process and object; readers never seen before.",
    variables: [hostVariable()],
    panels: [
      readsOverTime(
        "Records read by principal",
        "Credential records (LDAP entries, SQL rows) returned per interval, by who asked.",
        principal,
        "sum(ifNull(records, 0))",
      ),
      readsOverTime(
        "Reads by process",
        "Credential reads per interval by the reading process (the daemon for LDAP and SQL, the process for files).",
        "concat(host, '/', if(process_name != '', process_name, source))",
        "count()",
      ),
      table({
        title: "Reads by object",
        description: "What was read (file, table.column, LDAP base and filter), by records returned.",
        sql: `SELECT object, source AS store, count() AS reads, sum(ifNull(records, 0)) AS records,
  uniqExact(${principal}) AS principals, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
WHERE ${inRange} AND object != ''
GROUP BY object, store
ORDER BY records DESC, reads DESC
LIMIT 20`,
      }),
      table({
        title: "Reads by never-seen principals",
        description:
          "Principals whose first credential read on a host falls in the range (none in the 30 days before).",
        sql: `SELECT host, ${principal} AS principal, min(ts) AS first_seen, count() AS reads,
  sum(ifNull(records, 0)) AS records, arrayStringConcat(groupUniqArray(3)(object), ' | ') AS objects
FROM events
WHERE ${scope} AND ${withLookback("ts")}
GROUP BY host, principal
HAVING first_seen >= $__fromTime
ORDER BY first_seen DESC
LIMIT 50`,
      }),
    ],
  });
