package tickflow.bench.flink;

import org.HdrHistogram.Histogram;
import org.apache.flink.api.common.accumulators.Accumulator;

/** An HdrHistogram of nanoseconds as a Flink accumulator, so each sink subtask's histogram reaches the client merged. */
final class HistogramAccumulator implements Accumulator<Long, Histogram> {
  private static final long serialVersionUID = 1L;

  /** Three significant digits, resizing itself to whatever maximum shows up. */
  private Histogram histogram = new Histogram(3);

  /** The hot-path entry: no boxing. */
  void record(long nanos) {
    histogram.recordValue(Math.max(0L, nanos));
  }

  @Override
  public void add(Long nanos) {
    record(nanos);
  }

  @Override
  public Histogram getLocalValue() {
    return histogram;
  }

  @Override
  public void resetLocal() {
    histogram.reset();
  }

  @Override
  public void merge(Accumulator<Long, Histogram> other) {
    histogram.add(other.getLocalValue());
  }

  @Override
  public HistogramAccumulator clone() {
    HistogramAccumulator copy = new HistogramAccumulator();
    copy.histogram = histogram.copy();
    return copy;
  }
}
