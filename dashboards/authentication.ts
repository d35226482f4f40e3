// Authentication: guessing (failures), stuffing and spraying (one source, many
// accounts), distributed guessing (one account, many sources) and takeover
// (accounts logging in from networks new to them). Events hold addresses, not
// ASNs (the ASN table is detector config), so sources group by network as the
// detector does; the ASN and country appear where a detection named them.
import { mailwardenDashboard } from "./dashboard.js";
import { barGauge, table, timeSeries } from "./panels.js";
import { inVariable, networkOf, withLookback } from "./sql.js";
import { hostVariable, protocolVariable } from "./variables.js";

const scope = `kind = 'auth' AND ${inVariable("host", "host")} AND ${inVariable("proto", "protocol")}`;
const inRange = `${scope} AND $__timeFilter(ts)`;

const byProtocol = (outcome: "success" | "failure", title: string) =>
  timeSeries({
    title,
    description: `Authentication ${outcome === "success" ? "successes" : "failures"} per interval by protocol.`,
    sql: `SELECT $__timeInterval(ts) AS time, if(proto = '', 'unknown', proto) AS protocol, count() AS events
FROM events
WHERE ${inRange} AND outcome = '${outcome}'
GROUP BY time, protocol
ORDER BY time`,
  });

export const authentication = () =>
  mailwardenDashboard({
    uid: "mailwarden-authentication",
    title: "Mailwarden · Authentication",
    description: "Logins and failures, top sources, accounts per source, sources per account, new networks.",
    variables: [hostVariable(), protocolVariable()],
    panels: [
      byProtocol("failure", "Failures by protocol"),
      byProtocol("success", "Successes by protocol"),
      table({
        title: "Top sources by address",
        description: "Source addresses with the most failures, with their network and how many accounts they tried.",
        sql: `SELECT src_ip, ${networkOf("src_ip")} AS network, countIf(outcome = 'failure') AS failures,
  countIf(outcome = 'success') AS successes, uniqExact(user) AS accounts, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
WHERE ${inRange} AND src_ip != ''
GROUP BY src_ip
ORDER BY failures DESC, accounts DESC
LIMIT 20`,
      }),
      barGauge({
        title: "Top source networks by failures",
        description: "Failures per source network (/24 for IPv4, /48 for IPv6: the unit attackers rent and rotate in).",
        sql: `SELECT ${networkOf("src_ip")} AS network, count() AS failures
FROM events
WHERE ${inRange} AND outcome = 'failure' AND src_ip != ''
GROUP BY network
ORDER BY failures DESC
LIMIT 15`,
      }),
      table({
        title: "Sources named by detections (ASN, country)",
        description:
          "Authentication findings in the range: the source, network or ASN they name, with the detector's ASN and country.",
        sql: `SELECT ts, detection, entity_type, entity, src_ip, severity, score, summary
FROM findings FINAL
WHERE $__timeFilter(ts) AND startsWith(detection, 'auth.')
ORDER BY ts DESC
LIMIT 100`,
      }),
      barGauge({
        title: "Accounts per source",
        description: "Distinct accounts each source address tried: stuffing and spraying try many.",
        sql: `SELECT src_ip, uniqExact(user) AS accounts
FROM events
WHERE ${inRange} AND src_ip != '' AND user != ''
GROUP BY src_ip
ORDER BY accounts DESC
LIMIT 15`,
      }),
      table({
        title: "Sources per account",
        description:
          "Accounts tried from the most distinct sources and networks: distributed guessing against one account.",
        sql: `SELECT user AS account, uniqExact(src_ip) AS sources, uniqExact(${networkOf("src_ip")}) AS networks,
  countIf(outcome = 'failure') AS failures, countIf(outcome = 'success') AS successes
FROM events
WHERE ${inRange} AND src_ip != '' AND user != ''
GROUP BY account
ORDER BY networks DESC, failures DESC
LIMIT 20`,
      }),
      table({
        title: "New networks for accounts",
        description:
          "Networks that accounts first logged in from during the range (nothing from them in the 30 days before), by how many accounts: one network new to many accounts is a takeover.",
        w: 24,
        sql: `SELECT network, uniqExact(user) AS accounts, min(first_login) AS first_seen, max(first_login) AS last_new,
  arrayStringConcat(groupUniqArray(5)(user), ', ') AS example_accounts
FROM (
  SELECT user, ${networkOf("src_ip")} AS network, min(ts) AS first_login
  FROM events
  WHERE ${scope} AND outcome = 'success' AND user != '' AND src_ip != '' AND ${withLookback("ts")}
  GROUP BY user, network
  HAVING first_login >= $__fromTime
)
GROUP BY network
ORDER BY accounts DESC, first_seen DESC
LIMIT 20`,
      }),
    ],
  });
