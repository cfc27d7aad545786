-- AnomalyDetector (docs/analytics.md) -> ${ANOMALIES_TOPIC}
-- Per cell and GPU, in event-time order, the z-score of each observation in
-- its GPU's last 100 observations (this one included); |z| > 3 with at least
-- 20 of them and a standard deviation above 0 is an anomaly.

CREATE TABLE price_anomalies (
  event_id STRING,
  `type` STRING,
  cell STRING,
  `timestamp` STRING,
  source_event_id STRING,
  offer_id STRING,
  provider STRING,
  gpu STRING,
  region STRING,
  price DOUBLE,
  mean DOUBLE,
  stddev DOUBLE,
  z DOUBLE,
  window_count INT,
  headers MAP<STRING, BYTES> METADATA
) WITH (
  'connector' = 'kafka',
  'topic' = '${ANOMALIES_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'key.format' = 'raw',
  'key.fields' = 'offer_id',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

-- An observation the watermark has already reached when it arrives is late
-- and left out (the OVER operator alone would only drop what is not newer
-- than the last row it emitted for the same GPU).
CREATE TEMPORARY VIEW on_time_observations AS
SELECT * FROM price_observations
WHERE CURRENT_WATERMARK(ts) IS NULL OR ts > CURRENT_WATERMARK(ts);

-- The window's sums are kept by the OVER operator, adding the new row and
-- retracting the one that leaves; the population variance is
-- (Σx² − (Σx)²/n) / n, the form Calcite reduces STDDEV_POP to.
CREATE TEMPORARY VIEW price_zscores AS
SELECT *,
  s / CAST(n AS DOUBLE) AS mean,
  (s2 - s * s / CAST(n AS DOUBLE)) / CAST(n AS DOUBLE) AS variance
FROM (
  SELECT event_id, cell, ts, provider, offer_id, gpu, region, price,
    COUNT(price) OVER w AS n,
    SUM(price) OVER w AS s,
    SUM(price * price) OVER w AS s2
  FROM on_time_observations
  WINDOW w AS (PARTITION BY cell, gpu ORDER BY ts ROWS BETWEEN 99 PRECEDING AND CURRENT ROW)
);

INSERT INTO price_anomalies
SELECT
  MD5(CONCAT('price_anomaly:', event_id)), 'price_anomaly', cell,
  DATE_FORMAT(ts, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  event_id, offer_id, provider, gpu, region,
  price, mean, stddev, z, CAST(n AS INT),
  MAP['event_id', CAST(MD5(CONCAT('price_anomaly:', event_id)) AS BYTES), 'type', CAST('price_anomaly' AS BYTES), 'cell', CAST(cell AS BYTES)]
FROM (
  SELECT *, (price - mean) / stddev AS z
  FROM (SELECT *, SQRT(variance) AS stddev FROM price_zscores WHERE n >= 20 AND variance > 0)
)
WHERE ABS(z) > 3;
