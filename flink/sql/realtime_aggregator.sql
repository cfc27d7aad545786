-- RealTimeAggregator (docs/analytics.md) -> ${AGGREGATES_TOPIC}
-- Tumbling 1-minute event-time windows (UTC) of the prices per GPU-hour, per
-- cell, GPU and region and per cell and GPU over all regions (region 'all'),
-- each emitted once, when the watermark passes the window's end. An
-- observation counts while its window is open (Flink's window semantics).

CREATE TABLE price_aggregates (
  event_id STRING,
  `type` STRING,
  cell STRING,
  `timestamp` STRING,
  gpu STRING,
  region STRING,
  window_start STRING,
  window_end STRING,
  `count` BIGINT,
  min_price DOUBLE,
  avg_price DOUBLE,
  max_price DOUBLE,
  headers MAP<STRING, BYTES> METADATA
) WITH (
  'connector' = 'kafka',
  'topic' = '${AGGREGATES_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'key.format' = 'raw',
  'key.fields' = 'gpu',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

CREATE TEMPORARY VIEW price_windows AS
SELECT
  cell, gpu,
  CASE WHEN GROUPING(region) = 1 THEN 'all' ELSE region END AS region,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS window_end,
  COUNT(*) AS cnt,
  MIN(price) AS min_price,
  AVG(price) AS avg_price,
  MAX(price) AS max_price
FROM TABLE(TUMBLE(TABLE price_observations, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, cell, gpu, GROUPING SETS ((region), ());

INSERT INTO price_aggregates
SELECT
  MD5(CONCAT('price_aggregate:', cell, ':', gpu, ':', region, ':', window_start)), 'price_aggregate', cell,
  window_end, gpu, region, window_start, window_end, cnt, min_price, avg_price, max_price,
  MAP['event_id', CAST(MD5(CONCAT('price_aggregate:', cell, ':', gpu, ':', region, ':', window_start)) AS BYTES),
      'type', CAST('price_aggregate' AS BYTES), 'cell', CAST(cell AS BYTES)]
FROM price_windows;
