// SOC overview: what is open, what fires, who it is about, and whether every
// collector is still reporting (a silent agent is itself a signal, agent.silent).
import { incidentUrl, mailwardenDashboard } from "./dashboard.js";
import { stat, table, timeSeries } from "./panels.js";
import { INCIDENT_STATUS, inVariable, SEVERITY_ORDER } from "./sql.js";
import { detectionVariable, hostVariable, severityVariable } from "./variables.js";

const findingFilters = `$__timeFilter(ts)
  AND ${inVariable("detection", "detection")}
  AND ${inVariable("severity", "severity")}`;

export const socOverview = () =>
  mailwardenDashboard({
    uid: "mailwarden-soc-overview",
    title: "Mailwarden · SOC overview",
    description: "Open incidents, findings by detection, the entities they name, collector health.",
    variables: [severityVariable(), detectionVariable(), hostVariable()],
    panels: [
      stat({
        title: "Open incidents by severity",
        description: "Live incidents opened before the end of the range and not resolved in the alert workflow.",
        w: 8,
        sql: `SELECT i.severity AS severity, count() AS incidents
FROM incidents AS i FINAL
LEFT JOIN ${INCIDENT_STATUS} AS s ON s.alert_id = i.id
WHERE i.merged_into = '' AND s.status != 'resolved' AND i.opened_at <= $__toTime
  AND ${inVariable("i.severity", "severity")}
GROUP BY severity
ORDER BY ${SEVERITY_ORDER}`,
      }),
      timeSeries({
        title: "Findings over time by detection",
        description: "Findings per interval, stacked by detection.",
        w: 16,
        style: "stacked",
        sql: `SELECT $__timeInterval(ts) AS time, detection, count() AS findings
FROM findings FINAL
WHERE ${findingFilters}
GROUP BY time, detection
ORDER BY time`,
      }),
      table({
        title: "Incidents",
        description: "Live incidents active in the range, worst first. The id opens the Incident dashboard.",
        w: 24,
        link: { field: "id", title: "Open incident", url: incidentUrl("__value.raw") },
        sql: `SELECT i.id AS id, i.severity AS severity, i.score AS score, if(s.status = '', 'open', s.status) AS status,
  i.opened_at AS opened_at, i.updated_at AS updated_at, arrayStringConcat(i.stages, ' → ') AS chain, i.summary AS summary
FROM incidents AS i FINAL
LEFT JOIN ${INCIDENT_STATUS} AS s ON s.alert_id = i.id
WHERE i.merged_into = '' AND i.opened_at <= $__toTime AND i.updated_at >= $__fromTime
  AND ${inVariable("i.severity", "severity")}
ORDER BY i.score DESC, i.updated_at DESC
LIMIT 100`,
      }),
      table({
        title: "Top entities",
        description: "The accounts, sources, hosts and processes findings name most, by highest score.",
        sql: `SELECT entity_type, entity, count() AS findings, max(score) AS max_score,
  arrayStringConcat(groupUniqArray(detection), ', ') AS detections, max(ts) AS last_seen
FROM findings FINAL
WHERE ${findingFilters}
GROUP BY entity_type, entity
ORDER BY max_score DESC, findings DESC
LIMIT 20`,
      }),
      table({
        title: "Collector health",
        description:
          "Last heartbeat per host before the end of the range (SILENT: none for three of the agent's own intervals), longest gap, and silences agent.silent flagged in the range.",
        sql: `SELECT h.host AS host, h.last_heartbeat AS last_heartbeat, h.silent_for_s AS silent_for_s,
  h.interval_s AS interval_s, h.longest_gap_s AS longest_gap_s, s.silences AS silences_flagged,
  if(h.silent_for_s > 3 * greatest(h.interval_s, 1), 'SILENT', 'ok') AS status
FROM (
  SELECT host, max(ts) AS last_heartbeat, dateDiff('second', max(ts), $__toTime) AS silent_for_s,
    toUInt32OrZero(argMax(attrs['interval_s'], ts)) AS interval_s,
    arrayMax(arrayDifference(arraySort(groupArray(toUnixTimestamp(ts))))) AS longest_gap_s
  FROM events
  WHERE kind = 'agent' AND action = 'heartbeat' AND $__timeFilter(ts) AND ${inVariable("host", "host")}
  GROUP BY host
) AS h
LEFT JOIN (
  SELECT host, count() AS silences FROM findings FINAL
  WHERE detection = 'agent.silent' AND $__timeFilter(ts) GROUP BY host
) AS s ON s.host = h.host
ORDER BY silent_for_s DESC, silences_flagged DESC, longest_gap_s DESC`,
      }),
    ],
  });
