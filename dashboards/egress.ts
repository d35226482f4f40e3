// Egress: data leaving the platform over connections the hosts open
// (socket samples with direction `out`), and outbound mail by sender.
import { mailwardenDashboard } from "./dashboard.js";
import { barGauge, table, timeSeries } from "./panels.js";
import { inVariable, networkOf, withLookback } from "./sql.js";
import { hostVariable } from "./variables.js";

const outbound = `kind = 'net' AND attrs['direction'] = 'out' AND ${inVariable("host", "host")}`;
const inRange = `${outbound} AND $__timeFilter(ts)`;
/** Mail relayed off the platform (lmtp is local delivery). */
const mailOut = `kind = 'mail_out' AND proto = 'smtp' AND ${inVariable("host", "host")} AND $__timeFilter(ts)`;

export const egress = () =>
  mailwardenDashboard({
    uid: "mailwarden-egress",
    title: "Mailwarden · Egress",
    description: "Bytes out by host, process and destination network; new destinations; outbound mail by sender.",
    variables: [hostVariable()],
    panels: [
      timeSeries({
        title: "Bytes out by host",
        description: "Bytes sent per interval on connections the host opened.",
        unit: "bytes",
        style: "stacked",
        sql: `SELECT $__timeInterval(ts) AS time, host, sum(ifNull(bytes_out, 0)) AS bytes
FROM events
WHERE ${inRange}
GROUP BY time, host
ORDER BY time`,
      }),
      barGauge({
        title: "Bytes out by process",
        description: "Which daemon sent the bytes (host/process).",
        unit: "bytes",
        sql: `SELECT concat(host, '/', process_name) AS process, sum(ifNull(bytes_out, 0)) AS bytes
FROM events
WHERE ${inRange}
GROUP BY process
ORDER BY bytes DESC
LIMIT 15`,
      }),
      table({
        title: "Bytes out by destination network",
        description: "Destination networks by bytes received from the platform.",
        sql: `SELECT ${networkOf("dst_ip")} AS network, sum(ifNull(bytes_out, 0)) AS bytes, count() AS samples,
  arrayStringConcat(groupUniqArray(concat(host, '/', process_name)), ', ') AS senders, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
WHERE ${inRange} AND dst_ip != ''
GROUP BY network
ORDER BY bytes DESC
LIMIT 20`,
      }),
      table({
        title: "New destinations",
        description: "Destination networks a host/process first sent to during the range (none in the 30 days before).",
        sql: `SELECT host, process_name AS process, ${networkOf("dst_ip")} AS network, min(ts) AS first_seen,
  arrayStringConcat(groupUniqArray(3)(concat(dst_ip, ':', toString(ifNull(dst_port, 0)))), ', ') AS destinations,
  sum(ifNull(bytes_out, 0)) AS bytes
FROM events
WHERE ${outbound} AND dst_ip != '' AND ${withLookback("ts")}
GROUP BY host, process, network
HAVING first_seen >= $__fromTime
ORDER BY first_seen DESC
LIMIT 50`,
      }),
      timeSeries({
        title: "Outbound mail by sender",
        description: "Messages relayed off the platform per interval, for the ten busiest senders of the range.",
        sql: `SELECT $__timeInterval(ts) AS time, user AS sender, count() AS messages
FROM events
WHERE ${mailOut} AND user IN (
  SELECT user FROM events WHERE ${mailOut} AND user != '' GROUP BY user ORDER BY count() DESC LIMIT 10
)
GROUP BY time, sender
ORDER BY time`,
      }),
      table({
        title: "Top senders",
        description: "Senders by messages relayed off the platform, with recipients and size.",
        sql: `SELECT user AS sender, count() AS messages, sum(ifNull(records, 0)) AS recipients,
  formatReadableSize(sum(ifNull(bytes_out, 0))) AS size, uniqExact(dst_ip) AS relays
FROM events
WHERE ${mailOut} AND user != ''
GROUP BY sender
ORDER BY messages DESC
LIMIT 20`,
      }),
    ],
  });
