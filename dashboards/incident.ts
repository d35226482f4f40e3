// One incident: what it is, its chain of findings in time, the events they
// cite as evidence, and its blast radius (the credentials read, the accounts
// that then logged in from the incident's external networks).
import { INCIDENT_UID, mailwardenDashboard } from "./dashboard.js";
import { table, timeSeries } from "./panels.js";
import { INCIDENT_FINDING_IDS, INCIDENT_STATUS, isInternal, networkOf } from "./sql.js";
import { incidentVariable } from "./variables.js";

const findings = `findings FINAL WHERE id IN ${INCIDENT_FINDING_IDS}`;
/** Evidence lies around the findings' windows; a day either side keeps the scan to a few partitions. */
const evidenceWindow = `ts >= (SELECT min(least(window_start, window_end, ts)) FROM ${findings}) - INTERVAL 1 DAY
  AND ts <= (SELECT max(greatest(window_start, window_end, ts)) FROM ${findings}) + INTERVAL 1 DAY`;
const evidenceIds = `(SELECT arrayJoin(evidence) FROM ${findings})`;

export const incidentDashboard = () =>
  mailwardenDashboard({
    uid: INCIDENT_UID,
    title: "Mailwarden · Incident",
    description: "One incident: its findings on a timeline, their evidence events, its blast radius.",
    variables: [incidentVariable()],
    panels: [
      table({
        title: "Incident",
        description: "The incident as the correlator last wrote it, with its workflow status.",
        w: 24,
        h: 4,
        sql: `SELECT i.id AS id, i.severity AS severity, i.score AS score, if(s.status = '', 'open', s.status) AS status,
  i.opened_at AS opened_at, i.updated_at AS updated_at, arrayStringConcat(i.stages, ' → ') AS chain,
  arrayStringConcat(i.hosts, ', ') AS hosts, length(i.users) AS accounts, arrayStringConcat(i.src_ips, ', ') AS sources,
  i.summary AS summary
FROM incidents AS i FINAL
LEFT JOIN ${INCIDENT_STATUS} AS s ON s.alert_id = i.id
WHERE i.id = '\${incident}'`,
      }),
      timeSeries({
        title: "Chain of findings",
        description: "Each finding at the event time it fired, by stage and detection; the height is its score.",
        w: 24,
        style: "points",
        sql: `SELECT ts AS time, concat(stage, ' · ', detection) AS finding, score
FROM ${findings}
ORDER BY time`,
      }),
      table({
        title: "Findings",
        description: "The findings in order, with the entity each names and its window of evidence.",
        w: 24,
        sql: `SELECT ts, stage, detection, entity_type, entity, severity, score, window_start, window_end,
  length(evidence) AS evidence, summary
FROM ${findings}
ORDER BY ts`,
      }),
      table({
        title: "Evidence events",
        description: "The events the findings cite, in time order (first 1,000).",
        w: 24,
        h: 10,
        sql: `SELECT ts, host, kind, action, outcome, user, src_ip, dst_ip, process_name, object, records, bytes_out, raw
FROM events FINAL
WHERE id IN ${evidenceIds} AND ${evidenceWindow}
ORDER BY ts
LIMIT 1000`,
      }),
      table({
        title: "Blast radius: credentials read",
        description: "Credential reads among the evidence: which store and object, by whom, how many records.",
        sql: `SELECT host, source AS store, object, if(user != '', user, process_name) AS principal, src_ip,
  count() AS reads, sum(ifNull(records, 0)) AS records, min(ts) AS first_seen
FROM events FINAL
WHERE kind = 'cred_access' AND id IN ${evidenceIds} AND ${evidenceWindow}
GROUP BY host, store, object, principal, src_ip
ORDER BY first_seen`,
      }),
      table({
        title: "Blast radius: accounts logged in from the incident's networks",
        description:
          "Accounts with a successful login, from the incident's first evidence on, from an external network it names.",
        sql: `SELECT user AS account, min(ts) AS first_seen, ${networkOf("any(src_ip)")} AS network,
  arrayStringConcat(groupUniqArray(proto), ', ') AS protocols, count() AS logins
FROM events
WHERE kind = 'auth' AND outcome = 'success' AND user != '' AND NOT ${isInternal("src_ip")}
  AND ts >= (SELECT min(least(window_start, window_end, ts)) FROM ${findings})
  AND ${networkOf("src_ip")} IN (
    SELECT ${networkOf("ip")} FROM (SELECT arrayJoin(src_ips) AS ip FROM incidents FINAL
      WHERE id = '\${incident}' OR merged_into = '\${incident}')
    WHERE NOT ${isInternal("ip")}
  )
GROUP BY account
ORDER BY first_seen`,
      }),
    ],
  });
