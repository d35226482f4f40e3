-- Alert workflow (detector/api): suppressions, and what the analyst workflow
-- needs beyond 001's alert_state / alert_actions. Only additions: 001 stays as
-- it shipped.

-- "Do not alert on this entity for this detection until then." Rows are
-- versioned (`version` = ms of the change, latest wins under FINAL); a delete
-- writes a new version with `deleted = 1`, so the history stays in the table
-- and in alert_actions.
CREATE TABLE IF NOT EXISTS suppressions (
  id FixedString(32),
  version UInt64,
  detection LowCardinality(String),
  entity_type LowCardinality(String) DEFAULT '',
  entity String,
  starts_at DateTime64(3, 'UTC'),
  ends_at DateTime64(3, 'UTC'),
  reason String,
  created_by String,
  created_at DateTime64(3, 'UTC'),
  deleted UInt8 DEFAULT 0,
  deleted_by String DEFAULT '',
  deleted_at DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- The analyst's verdict is kept apart from the note of the last status change.
ALTER TABLE alert_state ADD COLUMN IF NOT EXISTS feedback_note String DEFAULT '';
ALTER TABLE alert_state ADD COLUMN IF NOT EXISTS feedback_actor String DEFAULT '';

-- Audit rows say what kind of thing was acted on (finding, incident,
-- suppression) and, for feedback, the verdict.
ALTER TABLE alert_actions ADD COLUMN IF NOT EXISTS target LowCardinality(String) DEFAULT '';
ALTER TABLE alert_actions ADD COLUMN IF NOT EXISTS verdict LowCardinality(String) DEFAULT '';
