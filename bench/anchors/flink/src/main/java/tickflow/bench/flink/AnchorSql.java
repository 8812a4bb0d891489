package tickflow.bench.flink;

import java.nio.file.Path;

/**
 * The SQL of the anchor. Both modes define a table `ticks` with the same
 * columns (the tick fields tickflow reads, `intended_ns` and the event-time
 * attribute `rowtime`) and run the same two INSERTs over it, which mirror the
 * SQLite oracle of test/e2e/sql-oracle.test.ts.
 */
final class AnchorSql {
  private AnchorSql() {}

  /** Throughput mode: the NDJSON file through Flink's own filesystem connector and json format. */
  static String fileTicksTable(Path file, long latenessMs) {
    return "CREATE TEMPORARY TABLE ticks (\n"
        + "  symbol STRING,\n"
        + "  event_type STRING,\n"
        + "  `timestamp` BIGINT,\n"
        + "  price DOUBLE,\n"
        + "  volume BIGINT,\n"
        + "  bid DOUBLE,\n"
        + "  ask DOUBLE,\n"
        // Only the paced source knows when a tick was meant to be sent.
        + "  intended_ns AS CAST(NULL AS BIGINT),\n"
        + "  rowtime AS TO_TIMESTAMP_LTZ(`timestamp`, 3),\n"
        // max timestamp - lateness - 1 ms: Flink takes a row at or below the
        // watermark as late, tickflow accepts a tick exactly at max - lateness.
        + "  WATERMARK FOR rowtime AS rowtime - " + interval(latenessMs + 1) + "\n"
        + ") WITH (\n"
        + "  'connector' = 'filesystem',\n"
        + "  'path' = '" + file.toUri() + "',\n"
        + "  'format' = 'json'\n"
        + ")";
  }

  /** `INTERVAL 'S.mmm' SECOND`: a span in milliseconds as a Flink SQL literal. */
  static String interval(long ms) {
    return String.format("INTERVAL '%d.%03d' SECOND", ms / 1000, ms % 1000);
  }

  static final String BARS_SINK = "CREATE TEMPORARY TABLE bars_out (\n"
      + "  symbol STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3),\n"
      + "  `open` DOUBLE, high DOUBLE, low DOUBLE, `close` DOUBLE,\n"
      + "  volume BIGINT, vwap DOUBLE, trade_count BIGINT\n"
      + ") WITH ('connector' = '" + AnchorSinkFactory.IDENTIFIER + "', 'output' = 'bars'%s)";

  static final String TRADES_SINK = "CREATE TEMPORARY TABLE trades_out (\n"
      + "  symbol STRING, `timestamp` BIGINT, price DOUBLE, volume BIGINT,\n"
      + "  price_zscore DOUBLE, volume_ratio DOUBLE, anomaly_type STRING, intended_ns BIGINT\n"
      + ") WITH ('connector' = '" + AnchorSinkFactory.IDENTIFIER + "', 'output' = 'trades'%s)";

  static String sink(String template, Path recordsFile) {
    return String.format(template, recordsFile == null ? "" : ", 'path' = '" + recordsFile + "'");
  }

  /**
   * (a) 1-minute tumbling bars per symbol over trades, final when the
   * watermark passes the window's end. FIRST_VALUE/LAST_VALUE take arrival
   * order, which is timestamp order for a feed in order per symbol.
   */
  static final String BARS = "INSERT INTO bars_out\n"
      + "SELECT symbol, window_start, window_end,\n"
      + "  FIRST_VALUE(price) AS `open`, MAX(price) AS high, MIN(price) AS low, LAST_VALUE(price) AS `close`,\n"
      + "  SUM(volume) AS volume,\n"
      + "  CASE WHEN SUM(volume) = 0 THEN CAST(NULL AS DOUBLE) ELSE SUM(price * volume) / SUM(volume) END AS vwap,\n"
      + "  COUNT(*) AS trade_count\n"
      + "FROM TABLE(TUMBLE(TABLE ticks, DESCRIPTOR(rowtime), INTERVAL '1' MINUTE))\n"
      + "WHERE event_type = 'TRADE'\n"
      + "GROUP BY symbol, window_start, window_end";

  /**
   * (b) Per trade, the trailing 5 minutes of the symbol's trades, itself
   * included: z-score of the price and ratio of the volume to the mean, then
   * the first matching rule. Every trade is a row (the sink counts the alerts
   * among them), so the latency mode measures each one. MIN = MAX marks a
   * window of equal prices, where the standard deviation is 0 and the
   * z-score is null, as in the oracle.
   */
  static final String TRADES = "INSERT INTO trades_out\n"
      + "SELECT symbol, `timestamp`, price, volume, price_zscore, volume_ratio,\n"
      + "  CASE WHEN price_zscore > 3.0 THEN 'PRICE_SPIKE'\n"
      + "       WHEN volume_ratio > 5.0 THEN 'VOLUME_SURGE'\n"
      + "       WHEN price_zscore > 2.0 AND volume_ratio > 3.0 THEN 'COMBINED_ANOMALY' END AS anomaly_type,\n"
      + "  intended_ns\n"
      + "FROM (\n"
      + "  SELECT symbol, `timestamp`, price, volume, intended_ns,\n"
      + "    CASE WHEN lo = hi THEN CAST(NULL AS DOUBLE) ELSE ABS(price - mean) / std END AS price_zscore,\n"
      + "    CASE WHEN mean_volume = 0 THEN CAST(NULL AS DOUBLE) ELSE volume / mean_volume END AS volume_ratio\n"
      + "  FROM (\n"
      + "    SELECT symbol, `timestamp`, price, volume, intended_ns,\n"
      + "      AVG(price) OVER w AS mean,\n"
      + "      STDDEV_POP(price) OVER w AS std,\n"
      + "      MIN(price) OVER w AS lo,\n"
      + "      MAX(price) OVER w AS hi,\n"
      + "      AVG(CAST(volume AS DOUBLE)) OVER w AS mean_volume\n"
      + "    FROM ticks\n"
      + "    WHERE event_type = 'TRADE'\n"
      + "    WINDOW w AS (PARTITION BY symbol ORDER BY rowtime\n"
      + "                 RANGE BETWEEN INTERVAL '5' MINUTE PRECEDING AND CURRENT ROW)))";
}
