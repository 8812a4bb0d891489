// Per-stage latency of the live pipeline, recorded in HDR histograms (in
// microseconds) from the probes one tick in four carries (PROBE_EVERY): dispatch on the ingest thread,
// dequeue and echo in its worker, drain and publish back on the ingest thread.
// Percentiles cover the last complete interval (default 10 s) so that
// /metrics shows the present, not an average since start-up.

import * as hdr from 'hdr-histogram-js';

export const STAGES = ['ring_in', 'engine', 'ring_out', 'publish', 'tick_to_publish'] as const;
export type Stage = (typeof STAGES)[number];
export const QUANTILES: readonly number[] = [0.5, 0.9, 0.99, 0.999];

function histogram(): hdr.Histogram {
  // 1 us to 60 s at 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export class StageLatency {
  private current = STAGES.map(histogram);
  private previous = STAGES.map(histogram);
  private rotatedAt: number;

  constructor(
    private readonly intervalMs = 10_000,
    now = Date.now(),
  ) {
    this.rotatedAt = now;
  }

  /** Records a duration in milliseconds (clamped to the histogram's range). */
  record(stage: number, ms: number): void {
    const us = Math.round(ms * 1000);
    (this.current[stage] as hdr.Histogram).recordValue(us < 1 ? 1 : us > 60_000_000 ? 60_000_000 : us);
  }

  /** The histograms of the last complete interval (the current one until one completes). */
  snapshot(now = Date.now()): readonly hdr.Histogram[] {
    if (now - this.rotatedAt >= this.intervalMs) {
      const old = this.previous;
      this.previous = this.current;
      for (const h of old) h.reset();
      this.current = old;
      this.rotatedAt = now;
    }
    return this.previous.some((h) => h.totalCount > 0) ? this.previous : this.current;
  }

  /** Seconds at quantile q of a stage. */
  quantileSeconds(histograms: readonly hdr.Histogram[], stage: number, q: number): number {
    const h = histograms[stage] as hdr.Histogram;
    return h.totalCount === 0 ? 0 : h.getValueAtPercentile(q * 100) / 1e6;
  }
}
