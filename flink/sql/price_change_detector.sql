-- PriceChangeDetector (docs/analytics.md) -> ${ALERTS_TOPIC}
-- A price_update whose instance price moved by more than 5 %. No window, no
-- watermark: every such record answers at once, late or not.

CREATE TABLE price_alerts (
  event_id STRING,
  `type` STRING,
  cell STRING,
  `timestamp` STRING,
  source_event_id STRING,
  offer_id STRING,
  provider STRING,
  gpu STRING,
  region STRING,
  old_price DOUBLE,
  new_price DOUBLE,
  change_percent DOUBLE,
  headers MAP<STRING, BYTES> METADATA
) WITH (
  'connector' = 'kafka',
  'topic' = '${ALERTS_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'key.format' = 'raw',
  'key.fields' = 'offer_id',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

-- change_percent is (new - old) / old * 100 rounded to 4 decimals half away
-- from zero, as Go's math.Round(x*1e4)/1e4: SIGN(v) * FLOOR(ABS(v) + 0.5) is
-- math.Round(v) for every |v| >= 0.5 (v here is above 5e4). Flink's ROUND
-- rounds the decimal string of the double instead and can differ on ties.
CREATE TEMPORARY VIEW price_changes AS
SELECT
  MD5(CONCAT('price_change:', event_id)) AS event_id,
  cell, ts, event_id AS source_event_id, offer_id, provider, gpu, region, old_price, new_price,
  SIGN(v) * FLOOR(ABS(v) + CAST(0.5 AS DOUBLE)) / 10000 AS change_percent
FROM (
  SELECT
    COALESCE(event_id, '') AS event_id,
    COALESCE(cell, '') AS cell,
    ts,
    COALESCE(offer_id, '') AS offer_id,
    COALESCE(provider, '') AS provider,
    COALESCE(gpu, '') AS gpu,
    COALESCE(region, '') AS region,
    old_price, new_price,
    (new_price - old_price) / old_price * 100 * 10000 AS v
  FROM price_updates
  WHERE `type` = 'price_update' AND ts IS NOT NULL
    AND old_price IS NOT NULL AND new_price IS NOT NULL AND old_price > 0
    AND ABS(new_price - old_price) / old_price > CAST(0.05 AS DOUBLE)
);

INSERT INTO price_alerts
SELECT
  event_id, 'price_change', cell,
  DATE_FORMAT(ts, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  source_event_id, offer_id, provider, gpu, region, old_price, new_price, change_percent,
  MAP['event_id', CAST(event_id AS BYTES), 'type', CAST('price_change' AS BYTES), 'cell', CAST(cell AS BYTES)]
FROM price_changes;
