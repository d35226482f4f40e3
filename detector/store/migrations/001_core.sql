-- Core tables (DESIGN §6). Every table is a ReplacingMergeTree whose sorting
-- key ends in the row's deterministic id: a row delivered twice (replay,
-- at-least-once Kafka, a retried batch) collapses to one, and readers use
-- FINAL (or the `final` setting) so they never see the duplicate before the
-- background merge. TTLs are set to the configured retention at start-up.

-- Raw normalized events, one per log line / socket sample. Partitioned by
-- day so retention drops whole parts and time-bounded scans skip the rest;
-- ordered by host then time for host timelines; the projection re-sorts by
-- user for account timelines; bloom filters skip granules for IP pivots.
CREATE TABLE IF NOT EXISTS events (
  id FixedString(32),
  ts DateTime64(3, 'UTC'),
  host LowCardinality(String),
  source LowCardinality(String),
  kind LowCardinality(String),
  action LowCardinality(String),
  outcome LowCardinality(String),
  user String DEFAULT '',
  src_ip String DEFAULT '',
  src_port Nullable(UInt16),
  dst_ip String DEFAULT '',
  dst_port Nullable(UInt16),
  proto LowCardinality(String) DEFAULT '',
  process_name LowCardinality(String) DEFAULT '',
  process_pid Nullable(UInt32),
  process_exe String DEFAULT '',
  process_uid Nullable(UInt32),
  process_auid Nullable(UInt32),
  object String DEFAULT '',
  records Nullable(UInt64),
  bytes_out Nullable(UInt64),
  bytes_in Nullable(UInt64),
  reason LowCardinality(String) DEFAULT '',
  attrs Map(String, String),
  raw String DEFAULT '',
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  INDEX idx_user user TYPE bloom_filter(0.01) GRANULARITY 4,
  INDEX idx_src_ip src_ip TYPE bloom_filter(0.01) GRANULARITY 4,
  INDEX idx_dst_ip dst_ip TYPE bloom_filter(0.01) GRANULARITY 4,
  PROJECTION by_user (SELECT * ORDER BY user, ts, id)
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (host, ts, id)
TTL toDateTime(ts) + toIntervalDay(180)
SETTINGS deduplicate_merge_projection_mode = 'rebuild';

-- What the detections found. `ts` is the event time the finding fired at.
CREATE TABLE IF NOT EXISTS findings (
  id FixedString(32),
  ts DateTime64(3, 'UTC'),
  detection LowCardinality(String),
  stage LowCardinality(String),
  entity_type LowCardinality(String),
  entity String,
  host String DEFAULT '',
  user String DEFAULT '',
  src_ip String DEFAULT '',
  score UInt8,
  severity LowCardinality(String),
  observed Float64,
  expected Float64,
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  evidence Array(FixedString(32)),
  summary String,
  details String DEFAULT '{}',
  incident_id String DEFAULT '',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3),
  INDEX idx_entity entity TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (ts, id)
TTL toDateTime(ts) + toIntervalDay(180);

-- Incidents are updated as findings chain onto them; the highest `version`
-- of an id is the current one.
CREATE TABLE IF NOT EXISTS incidents (
  id FixedString(32),
  version UInt64,
  opened_at DateTime64(3, 'UTC'),
  updated_at DateTime64(3, 'UTC'),
  severity LowCardinality(String),
  score UInt8,
  stages Array(LowCardinality(String)),
  entities Array(String),
  hosts Array(String),
  users Array(String),
  src_ips Array(String),
  finding_ids Array(FixedString(32)),
  summary String
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY id
TTL toDateTime(updated_at) + toIntervalDay(180);

-- Analyst workflow on a finding or incident: the latest row per alert wins;
-- `alert_actions` keeps the history for audit.
CREATE TABLE IF NOT EXISTS alert_state (
  alert_id FixedString(32),
  alert_type LowCardinality(String),
  status LowCardinality(String),
  feedback LowCardinality(String) DEFAULT '',
  actor String,
  note String DEFAULT '',
  updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY alert_id;

CREATE TABLE IF NOT EXISTS alert_actions (
  alert_id FixedString(32),
  action LowCardinality(String),
  actor String,
  note String DEFAULT '',
  at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (alert_id, at);
