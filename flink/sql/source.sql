-- The input of the three jobs (docs/analytics.md): every record of the
-- price-updates topic, docs/events.md `price_update` JSON.
--
-- Event time is the event's `timestamp` ("2026-12-03T10:04:05.123Z"; the
-- json format's ISO-8601 standard takes a UTC time with a trailing Z and 0-9
-- fractional digits). The watermark trails the largest event time by 5 s.
-- Only observations (a price_update with a new price) move it: for any other
-- record the expression is NULL, which Flink's generated watermark generator
-- skips, as the Go detectors skip them. It is emitted on every event, not
-- every 200 ms, so which records are late depends on the input alone, not on
-- timing ('scan.watermark.emit.strategy' = 'on-event'). A partition without
-- records for 1 s stops holding it back (table.exec.source.idle-timeout, set
-- by the runner).
CREATE TABLE price_updates (
  event_id STRING,
  `type` STRING,
  cell STRING,
  `timestamp` TIMESTAMP_LTZ(3),
  provider STRING,
  offer_id STRING,
  gpu STRING,
  region STRING,
  gpu_count DOUBLE,
  old_price DOUBLE,
  new_price DOUBLE,
  ts AS `timestamp`,
  WATERMARK FOR ts AS CASE
    WHEN `type` = 'price_update' AND new_price IS NOT NULL THEN ts - INTERVAL '5' SECOND
  END
) WITH (
  'connector' = 'kafka',
  'topic' = '${INPUT_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.group.id' = '${GROUP_ID}',
  -- committed offsets of the group (committed on every checkpoint); the
  -- earliest offset of a partition the group has none for
  'scan.startup.mode' = 'group-offsets',
  'properties.auto.offset.reset' = 'earliest',
  'scan.watermark.emit.strategy' = 'on-event',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true',
  'json.timestamp-format.standard' = 'ISO-8601'
);

-- The observations of the windowed detectors: price_updates with a new
-- price, priced per GPU-hour. Missing strings are '' (as Go decodes them), so
-- the MD5 event ids are never NULL.
CREATE TEMPORARY VIEW price_observations AS
SELECT
  COALESCE(event_id, '') AS event_id,
  COALESCE(cell, '') AS cell,
  ts,
  COALESCE(provider, '') AS provider,
  COALESCE(offer_id, '') AS offer_id,
  COALESCE(gpu, '') AS gpu,
  COALESCE(region, '') AS region,
  CASE WHEN gpu_count > 0 THEN new_price / gpu_count ELSE new_price END AS price
FROM price_updates
WHERE `type` = 'price_update' AND new_price IS NOT NULL AND ts IS NOT NULL;
