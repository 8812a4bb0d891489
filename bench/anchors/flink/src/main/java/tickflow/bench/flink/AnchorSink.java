package tickflow.bench.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.table.data.RowData;

/**
 * Receives the rows of one query. Counts go back to the client as
 * accumulators (merged over the sink's subtasks by Flink); for a trade row
 * that carries `intended_ns`, the latency `System.nanoTime() - intended_ns`
 * goes into an HdrHistogram. nanoTime is comparable with the source's
 * because the mini-cluster runs in this one JVM.
 */
@SuppressWarnings("deprecation") // RichSinkFunction: see AnchorSinkFactory.
final class AnchorSink extends RichSinkFunction<RowData> {
  private static final long serialVersionUID = 1L;

  enum Kind { BARS, TRADES }

  static final String BARS = "bars";
  static final String TRADES = "trades";
  static final String LATENCY = "latency_ns";
  static final String ALERT_PREFIX = "alert.";
  static final Map<String, String> SEVERITY = Map.of(
      "PRICE_SPIKE", "CRITICAL", "VOLUME_SURGE", "WARNING", "COMBINED_ANOMALY", "HIGH");

  private final Kind kind;
  private final String[] columns;
  private final String path;

  private transient LongCounter rows;
  private transient Map<String, LongCounter> alerts;
  private transient HistogramAccumulator latency;
  private transient BufferedWriter records;
  private transient int intendedAt;
  private transient int anomalyAt;

  AnchorSink(Kind kind, String[] columns, String path) {
    this.kind = kind;
    this.columns = columns.clone();
    this.path = path;
  }

  private int column(String name) {
    int at = Arrays.asList(columns).indexOf(name);
    if (at < 0) throw new IllegalStateException(kind + " sink has no column " + name);
    return at;
  }

  @Override
  public void open(OpenContext context) throws IOException {
    rows = new LongCounter();
    getRuntimeContext().addAccumulator(kind == Kind.BARS ? BARS : TRADES, rows);
    if (kind == Kind.TRADES) {
      intendedAt = column("intended_ns");
      anomalyAt = column("anomaly_type");
      alerts = Map.of("PRICE_SPIKE", new LongCounter(), "VOLUME_SURGE", new LongCounter(),
          "COMBINED_ANOMALY", new LongCounter());
      for (Map.Entry<String, LongCounter> e : alerts.entrySet()) {
        getRuntimeContext().addAccumulator(ALERT_PREFIX + e.getKey(), e.getValue());
      }
      latency = new HistogramAccumulator();
      getRuntimeContext().addAccumulator(LATENCY, latency);
    }
    if (path != null) records = Files.newBufferedWriter(Path.of(path), StandardCharsets.UTF_8);
  }

  @Override
  public void invoke(RowData row, Context context) throws IOException {
    if (kind == Kind.TRADES) {
      // Read the clock first: nothing this sink does should count as the engine's latency.
      long now = System.nanoTime();
      if (!row.isNullAt(intendedAt)) latency.record(now - row.getLong(intendedAt));
      rows.add(1L);
      if (row.isNullAt(anomalyAt)) return;
      String type = row.getString(anomalyAt).toString();
      alerts.get(type).add(1L);
      if (records != null) writeAlert(row, type);
    } else {
      rows.add(1L);
      if (records != null) writeBar(row);
    }
  }

  @Override
  public void close() throws IOException {
    if (records != null) records.close();
  }

  // Columns as declared in AnchorSql.BARS_SINK and AnchorSql.TRADES_SINK.

  private void writeBar(RowData r) throws IOException {
    records.write("{\"type\":\"bar\",\"symbol\":\"" + r.getString(0) + "\",\"interval\":\"1m\""
        + ",\"window_start\":" + r.getTimestamp(1, 3).getMillisecond()
        + ",\"window_end\":" + r.getTimestamp(2, 3).getMillisecond()
        + ",\"open\":" + num(r, 3) + ",\"high\":" + num(r, 4) + ",\"low\":" + num(r, 5) + ",\"close\":" + num(r, 6)
        + ",\"volume\":" + r.getLong(7) + ",\"vwap\":" + num(r, 8) + ",\"trade_count\":" + r.getLong(9)
        + ",\"final\":true}\n");
  }

  private void writeAlert(RowData r, String type) throws IOException {
    records.write("{\"type\":\"alert\",\"symbol\":\"" + r.getString(0) + "\",\"anomaly_type\":\"" + type
        + "\",\"severity\":\"" + SEVERITY.get(type) + "\",\"timestamp\":" + r.getLong(1)
        + ",\"price\":" + num(r, 2) + ",\"volume\":" + r.getLong(3)
        + ",\"price_zscore\":" + num(r, 4) + ",\"volume_ratio\":" + num(r, 5)
        + ",\"spread_ratio\":null,\"volatility\":null}\n");
  }

  private static String num(RowData r, int at) {
    if (r.isNullAt(at)) return "null";
    double v = r.getDouble(at);
    return Double.isFinite(v) ? Double.toString(v) : "null";
  }
}
