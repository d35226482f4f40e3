// SQL fragments the panels share, so that "a source's network" or "this
// host filter" means the same thing on every dashboard.
import { DEFAULT_INTERNAL } from "../detector/core/networks.js";

/**
 * The network of an address as the detector groups it (detector/core/networks.ts):
 * /24 for IPv4 (IPv4-mapped IPv6 included), /48 for IPv6, the text itself when
 * it does not parse. The ASN table is detector config, not stored, so dashboards
 * group by network; findings carry the ASN where a detection used it.
 */
export function networkOf(column: string): string {
  return `multiIf(
    isIPv4String(${column}), concat(IPv4NumToString(bitAnd(toUInt32(toIPv4OrDefault(${column})), 4294967040)), '/24'),
    isIPv6String(${column}) AND startsWith(lower(${column}), '::ffff:') AND isIPv4String(substring(${column}, 8)),
      concat(IPv4NumToString(bitAnd(toUInt32(toIPv4OrDefault(substring(${column}, 8))), 4294967040)), '/24'),
    isIPv6String(${column}), concat(IPv6NumToString(tupleElement(IPv6CIDRToRange(toIPv6OrDefault(${column}), 48), 1)), '/48'),
    ${column})`;
}

/**
 * `column IN (the variable's values)`, or nothing when the variable is All:
 * the plugin's `$__conditionalAll` turns the condition into `1=1`, so "All"
 * never sends a long IN list.
 */
export function inVariable(column: string, variable: string): string {
  return `$__conditionalAll(${column} IN (\${${variable}}), $${variable})`;
}

/** How far back "never seen before" looks from the start of the dashboard's range. */
export const NOVELTY_LOOKBACK_DAYS = 30;

/** `ts` within the range plus the look-back, for first-seen computations. */
export function withLookback(column: string): string {
  return `${column} >= $__fromTime - INTERVAL ${NOVELTY_LOOKBACK_DAYS} DAY AND ${column} <= $__toTime`;
}

/**
 * Addresses the detector treats as ours by default: a blast radius follows the attacker's external networks,
 * never the platform's own.
 */
export function isInternal(column: string): string {
  return `(${column} = '' OR ${DEFAULT_INTERNAL.map((r) => `isIPAddressInRange(${column}, '${r}')`).join(" OR ")})`;
}

/** Orders severities worst first. */
export const SEVERITY_ORDER = "indexOf(['critical', 'high', 'medium', 'low'], severity)";

/** Each incident's workflow status; an incident without a row is open. */
export const INCIDENT_STATUS = "(SELECT alert_id, status FROM alert_state FINAL WHERE alert_type = 'incident')";

/** The findings of the selected incident, including those of incidents merged into it. */
export const INCIDENT_FINDING_IDS = `(SELECT arrayJoin(finding_ids) FROM incidents FINAL WHERE id = '\${incident}' OR merged_into = '\${incident}')`;
