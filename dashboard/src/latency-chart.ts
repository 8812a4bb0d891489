// The latency histogram of the engine panel. /metrics publishes each stage's
// latency as a Prometheus summary (p50, p90, p99, p99.9 over the last 10 s),
// not as buckets, so the chart shows what that summary holds: per stage, a
// bar to each quantile on a shared log scale from 1 µs to 1 s, the p50 bar
// brightest and drawn on top. Reading along a row shows a stage's tail; down
// the column, which stage owns the end-to-end latency. Each track sits in
// the last cell of its stage's row of the percentile table.

import { seconds } from './format';

const LOG_MIN = -6;
const LOG_MAX = 0;
const AXIS: ReadonlyArray<readonly [number, string]> = [
  [1e-6, '1µs'],
  [1e-4, '100µs'],
  [1e-2, '10ms'],
  [1, '1s'],
];

/** "0.999" → "p99.9" */
export function quantileLabel(q: string): string {
  return `p${Number((Number(q) * 100).toFixed(1))}`;
}

/** Position on the log axis, 0 to 100 %. */
function position(value: number): number {
  if (!(value > 0)) return 0;
  const clamped = Math.min(LOG_MAX, Math.max(LOG_MIN, Math.log10(value)));
  return ((clamped - LOG_MIN) / (LOG_MAX - LOG_MIN)) * 100;
}

/** One stage's bars; quantiles ascending, values in seconds. */
export function latencyTrack(stage: string, values: ReadonlyMap<string, number>, quantiles: readonly string[]): HTMLElement {
  const track = document.createElement('div');
  track.className = 'lat-track';
  // Widest (highest quantile) first, so each narrower bar is drawn over it.
  for (let i = quantiles.length - 1; i >= 0; i--) {
    const q = quantiles[i] as string;
    const value = values.get(q) ?? 0;
    const bar = document.createElement('div');
    bar.className = `lat-bar q${i}`;
    bar.style.width = `${position(value)}%`;
    bar.title = `${stage} ${quantileLabel(q)}: ${seconds(value)}`;
    track.append(bar);
  }
  return track;
}

/** The scale under the tracks. */
export function latencyAxis(): HTMLElement {
  const axis = document.createElement('div');
  axis.className = 'lat-track lat-axis';
  for (const [value, label] of AXIS) {
    const mark = document.createElement('span');
    mark.style.left = `${position(value)}%`;
    mark.textContent = label;
    axis.append(mark);
  }
  return axis;
}
