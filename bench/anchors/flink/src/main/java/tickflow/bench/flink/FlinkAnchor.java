package tickflow.bench.flink;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.TableConfigOptions;
import org.apache.flink.types.Row;

/**
 * The Flink anchor: tickflow's 1-minute bars and trailing 5-minute trade
 * alerts as Flink SQL on a local mini-cluster, over a tickflow gen NDJSON
 * file, in one of two modes (see README.md beside the pom). Prints one JSON
 * summary line on stdout; Flink's own logging goes to stderr.
 */
public final class FlinkAnchor {
  private FlinkAnchor() {}

  public static void main(String[] args) throws Exception {
    AnchorOptions options;
    try {
      options = AnchorOptions.parse(args);
    } catch (AnchorOptions.BadOption e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    System.out.println(run(options));
    // The mini-cluster leaves non-daemon threads behind after the job.
    System.exit(0);
  }

  static String run(AnchorOptions o) throws Exception {
    Configuration conf = new Configuration();
    conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
    // What a tuned job sets: operators chained in one task hand rows over without copying them.
    conf.set(PipelineOptions.OBJECT_REUSE, true);
    // Every type in this job has a Flink serializer; refusing Kryo's generic
    // fallback keeps it that way, and Kryo is the part of Flink that needs
    // --add-opens flags on Java 17 (see README.md).
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    // Window starts in UTC, so 1-minute windows fall on the epoch-aligned boundaries tickflow uses.
    conf.set(TableConfigOptions.LOCAL_TIME_ZONE, "UTC");
    // Between tasks, records travel in network buffers sent when full or at this
    // timeout: 100 ms (Flink's default) batches for throughput, 0 sends each
    // record at once, which is what a latency-minded deployment chooses.
    conf.set(ExecutionOptions.BUFFER_TIMEOUT, Duration.ofMillis(o.bufferTimeoutMs));
    // The mini-cluster's REST endpoint on loopback and any free port: runs side by side never clash.
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, "0");

    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(o.parallelism, conf);
    StreamTableEnvironment tables = StreamTableEnvironment.create(env,
        EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());

    FeedScan scan = null;
    long watermarkLatenessMs = o.latenessMs;
    if (o.mode == AnchorOptions.Mode.THROUGHPUT) {
      scan = FeedScan.of(o.ticksFile, o.latenessMs);
      watermarkLatenessMs = scan.skewMs;
      tables.executeSql(AnchorSql.fileTicksTable(o.ticksFile, watermarkLatenessMs));
    } else {
      // The paced source sorts the ticks by timestamp, so no skew is left for the watermark to cover.
      tables.createTemporaryView("ticks", pacedTicks(env, o), Schema.newBuilder()
          .columnByMetadata("rowtime", "TIMESTAMP_LTZ(3)")
          .watermark("rowtime", "SOURCE_WATERMARK()")
          .build());
    }
    if (o.records != null) Files.createDirectories(o.records);
    tables.executeSql(AnchorSql.sink(AnchorSql.BARS_SINK, o.records == null ? null : o.records.resolve("bars.ndjson")));
    tables.executeSql(AnchorSql.sink(AnchorSql.TRADES_SINK, o.records == null ? null : o.records.resolve("alerts.ndjson")));
    StatementSet statements = tables.createStatementSet();
    statements.addInsertSql(AnchorSql.BARS);
    statements.addInsertSql(AnchorSql.TRADES);

    final long planned0 = System.nanoTime();
    TableResult submitted = statements.execute();
    final long wall0 = System.nanoTime();
    final long cpu0 = CpuClock.processNanos();
    JobExecutionResult job = submitted.getJobClient().orElseThrow().getJobExecutionResult().get();
    final long wall1 = System.nanoTime();
    final long cpu1 = CpuClock.processNanos();
    Map<String, Object> acc = job.getAllAccumulatorResults();

    long ticks;
    double seconds;
    double cpuSeconds;
    if (o.mode == AnchorOptions.Mode.THROUGHPUT) {
      // From submission to the last output: task start-up included, planning not (startup_seconds).
      ticks = scan.ticks;
      seconds = (wall1 - wall0) / 1e9;
      cpuSeconds = (cpu1 - cpu0) / 1e9;
    } else {
      // While the source was sending: the offered load actually achieved, and what it cost.
      ticks = (Long) acc.get(PacedTickSource.SENT);
      seconds = (Double) acc.get(PacedTickSource.SECONDS);
      cpuSeconds = (Double) acc.get(PacedTickSource.CPU_SECONDS);
    }
    Histogram latency = (Histogram) acc.get(AnchorSink.LATENCY);
    boolean measured = o.mode == AnchorOptions.Mode.LATENCY && latency != null && latency.getTotalCount() > 0;
    if (measured && o.hgrm != null) writeHgrm(latency, o.hgrm);

    Json out = new Json();
    out.put("engine", "flink").put("mode", o.mode.name().toLowerCase())
        .put("ticks", ticks).put("seconds", round(seconds, 3))
        .put("ticks_per_s", Math.round(ticks / seconds))
        .put("cpu_seconds", round(cpuSeconds, 3))
        .put("ticks_per_s_per_core", Math.round(ticks / cpuSeconds));
    if (measured) {
      out.raw("latency_us", new Json()
          .put("p50", us(latency.getValueAtPercentile(50)))
          .put("p90", us(latency.getValueAtPercentile(90)))
          .put("p99", us(latency.getValueAtPercentile(99)))
          .put("p99_9", us(latency.getValueAtPercentile(99.9)))
          .put("p99_99", us(latency.getValueAtPercentile(99.99)))
          .put("max", us(latency.getMaxValue())).toString());
    } else {
      out.raw("latency_us", "null");
    }
    out.put("flink_version", EnvironmentInformation.getVersion()).put("parallelism", o.parallelism)
        .put("lateness_ms", o.latenessMs).put("watermark_lateness_ms", watermarkLatenessMs)
        .put("buffer_timeout_ms", o.bufferTimeoutMs)
        .put("startup_seconds", round((wall0 - planned0) / 1e9, 3));
    if (o.mode == AnchorOptions.Mode.LATENCY) {
      out.put("rate", o.rate).put("duration_s", o.durationS).put("warmup_s", o.warmupS)
          .put("latency_samples", measured ? latency.getTotalCount() : 0)
          .put("sender_max_lag_us", us((Long) acc.get(PacedTickSource.MAX_LAG_NS)));
    }
    Json alerts = new Json();
    for (String type : new String[] {"PRICE_SPIKE", "VOLUME_SURGE", "COMBINED_ANOMALY"}) {
      alerts.put(type, count(acc, AnchorSink.ALERT_PREFIX + type));
    }
    out.raw("outputs", new Json().put("bars_1m", count(acc, AnchorSink.BARS))
        .put("trade_rows", count(acc, AnchorSink.TRADES)).raw("alerts", alerts.toString()).toString());
    out.put("java", System.getProperty("java.version"));
    return out.toString();
  }

  /** One paced sender whatever the parallelism: one feed, as tickflow has one ingest thread. */
  @SuppressWarnings("deprecation") // addSource: see PacedTickSource for why a legacy source.
  private static DataStream<Row> pacedTicks(StreamExecutionEnvironment env, AnchorOptions o) {
    return env
        .addSource(new PacedTickSource(o.ticksFile, o.rate, o.pacedTicks(), o.warmupTicks(), o.latenessMs),
            "paced ticks", PacedTickSource.TYPE)
        .setParallelism(1);
  }

  private static long count(Map<String, Object> acc, String name) {
    Object v = acc.get(name);
    return v == null ? 0 : (Long) v;
  }

  private static void writeHgrm(Histogram h, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (PrintStream out = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
      h.outputPercentileDistribution(out, 1000.0); // nanoseconds recorded, microseconds written
    }
  }

  private static double us(long nanos) {
    return round(nanos / 1000.0, 1);
  }

  private static double round(double v, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(v * scale) / scale;
  }

  /** A flat JSON object in insertion order; enough for one summary line. */
  private static final class Json {
    private final StringBuilder sb = new StringBuilder("{");

    Json put(String key, Object value) {
      String text;
      if (value instanceof String) {
        text = "\"" + ((String) value).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      } else if (value instanceof Double) {
        double d = (Double) value;
        text = Double.isFinite(d) ? new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString() : "null";
      } else {
        text = String.valueOf(value);
      }
      return raw(key, text);
    }

    Json raw(String key, String json) {
      if (sb.length() > 1) sb.append(',');
      sb.append('"').append(key).append("\":").append(json);
      return this;
    }

    @Override
    public String toString() {
      return sb + "}";
    }
  }
}
