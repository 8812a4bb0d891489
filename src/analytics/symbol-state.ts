// Everything tickflow knows about one symbol. It lives in exactly one
// partition worker and nothing else touches it.

import type { AnalyticsConfig } from './analytics-config';
import { formatDuration } from '../config/duration';
import { SeqMemory } from './seq-memory';
import { SlidingIndicators } from './sliding-indicators';
import { TrailingSeries } from './trailing-series';
import { TumblingBars } from './tumbling-bars';

/** Interval labels ("1s", "5m"), made once rather than once per symbol. */
const labels = new Map<number, string>();
function labelOf(ms: number): string {
  let label = labels.get(ms);
  if (label === undefined) {
    label = formatDuration(ms);
    labels.set(ms, label);
  }
  return label;
}

export class SymbolState {
  /** Newest accepted event time; -Infinity before the first tick. */
  maxTimestamp = -Infinity;
  /**
   * Ticks older than this are late. max timestamp - lateness, never moving
   * back; in `serve` it also advances with the clock while the symbol is quiet.
   */
  watermark = -Infinity;
  /**
   * The latest end of a window emitted final with at least one trade. Never
   * above the watermark; a watermark reset stops here, so no window is
   * finalised twice.
   */
  finalHorizon = -Infinity;
  /** Processing time (ms) of the last accepted tick, for idle closing. */
  lastArrival = 0;
  readonly seqs = new SeqMemory();
  readonly trades = new TrailingSeries();
  readonly quotes = new TrailingSeries();
  readonly bars: readonly TumblingBars[];
  readonly indicators: SlidingIndicators;
  /** Event time of the last alert per anomaly type, for the cooldown. */
  readonly lastAlert = new Float64Array(5).fill(-Infinity);

  constructor(
    readonly id: number,
    readonly name: string,
    config: AnalyticsConfig,
  ) {
    this.bars = config.intervals.map((ms) => new TumblingBars(ms, labelOf(ms)));
    this.indicators = new SlidingIndicators(config.indicatorWindowMs, config.indicatorSlideMs);
  }
}
