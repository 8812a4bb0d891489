package tickflow.bench.flink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.accumulators.DoubleCounter;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.accumulators.LongMaximum;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.functions.source.RichSourceFunction;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.types.Row;

/**
 * Latency mode's feed: the ticks of a file sent at a fixed rate, open loop.
 * Tick i is due at `start + i / rate` and carries that time as
 * `intended_ns`; when the job falls behind, the source sends the overdue
 * ticks at once and never moves the schedule, so queueing shows up in the
 * measured latency instead of slowing the offered load (no coordinated
 * omission). The file repeats, shifted by its own span of event time, for
 * as long as the duration asks.
 *
 * A legacy SourceFunction runs in a thread of its own, which is what exact
 * pacing wants; it is deprecated in Flink 1.x and gone in 2.0, and this
 * anchor is pinned to 1.20.
 */
@SuppressWarnings("deprecation")
final class PacedTickSource extends RichSourceFunction<Row> {
  private static final long serialVersionUID = 1L;

  static final String SENT = "paced.sent";
  static final String SECONDS = "paced.seconds";
  static final String CPU_SECONDS = "paced.cpu_seconds";
  static final String MAX_LAG_NS = "paced.max_lag_ns";

  /** The columns of the `ticks` view, in the order of Row's fields. */
  static final RowTypeInfo TYPE = new RowTypeInfo(
      new TypeInformation<?>[] {Types.STRING, Types.STRING, Types.LONG, Types.DOUBLE, Types.LONG, Types.DOUBLE,
          Types.DOUBLE, Types.LONG},
      new String[] {"symbol", "event_type", "timestamp", "price", "volume", "bid", "ask", "intended_ns"});

  private final String file;
  private final double rate;
  private final long total;
  private final long warmup;
  private final long latenessMs;

  private volatile boolean running = true;
  private transient TickFile ticks;

  PacedTickSource(Path file, double rate, long total, long warmup, long latenessMs) {
    this.file = file.toString();
    this.rate = rate;
    this.total = total;
    this.warmup = warmup;
    this.latenessMs = latenessMs;
  }

  @Override
  public void open(OpenContext context) throws IOException {
    ticks = TickFile.read(Path.of(file), true);
    if (ticks.size == 0) throw new IOException("no ticks in " + file);
  }

  @Override
  public void run(SourceContext<Row> ctx) {
    final Object lock = ctx.getCheckpointLock();
    final TickFile f = ticks;
    final long span = f.span();
    final double periodNs = 1e9 / rate;
    long maxLag = 0;
    long watermark = Long.MIN_VALUE;
    long sent = 0;
    final long cpuStart = CpuClock.processNanos();
    final long start = System.nanoTime();
    for (long i = 0; i < total && running; i++) {
      final long intended = start + (long) (i * periodNs);
      long now = System.nanoTime();
      // Park rather than spin: a spinning sender would take one of the
      // machine's cores from the engine it measures. The wake-up slack
      // (tens of microseconds) is counted against the engine.
      while (now < intended) {
        LockSupport.parkNanos(intended - now);
        now = System.nanoTime();
      }
      maxLag = Math.max(maxLag, now - intended);
      final int k = (int) (i % f.size);
      final long ts = f.timestamp[k] + (i / f.size) * span;
      final Row row = Row.of(f.symbol[k], f.eventType[k], ts, orNull(f.price[k]), f.volume[k], orNull(f.bid[k]),
          orNull(f.ask[k]), i < warmup ? null : intended);
      synchronized (lock) {
        ctx.collectWithTimestamp(row, ts);
        // A watermark after every tick that moves it, so no row waits for a
        // periodic timer: max timestamp - lateness - 1 ms (Flink takes a row
        // at or below the watermark as late; tickflow accepts one exactly at
        // max - lateness).
        final long next = ts - latenessMs - 1;
        if (next > watermark) {
          watermark = next;
          ctx.emitWatermark(new Watermark(next));
        }
      }
      sent++;
    }
    final double seconds = (System.nanoTime() - start) / 1e9;
    final double cpuSeconds = (CpuClock.processNanos() - cpuStart) / 1e9;
    getRuntimeContext().addAccumulator(SENT, new LongCounter(sent));
    getRuntimeContext().addAccumulator(SECONDS, new DoubleCounter(seconds));
    getRuntimeContext().addAccumulator(CPU_SECONDS, new DoubleCounter(cpuSeconds));
    getRuntimeContext().addAccumulator(MAX_LAG_NS, new LongMaximum(maxLag));
  }

  private static Double orNull(double v) {
    return Double.isNaN(v) ? null : v;
  }

  @Override
  public void cancel() {
    running = false;
  }
}
