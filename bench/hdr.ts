// HDR histograms for the benchmarks: hdr-histogram-js on its WebAssembly
// build, recording nanoseconds with 3 significant digits. Histograms cross
// process boundaries as compressed base64 (the HdrHistogram interchange
// encoding), so a load generator in another process can hand back its
// latencies to be added up.

import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

let ready: Promise<void> | null = null;

/** Loads the WebAssembly module once; every other function here needs it. */
export function initHdr(): Promise<void> {
  ready ??= hdr.initWebAssembly();
  return ready;
}

export function newHistogram(): Histogram {
  return hdr.build({
    useWebAssembly: true,
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(text: string): Histogram {
  return hdr.decodeFromCompressedBase64(text, 'packed', true);
}

/** The percentiles every summary quotes, in microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
  readonly p99_9_us: number;
  readonly p99_99_us: number;
  readonly max_us: number;
}

const us = (ns: number): number => Math.round(ns / 10) / 100;

export function summarize(histogram: Histogram): LatencySummary {
  return {
    count: histogram.totalCount,
    p50_us: us(histogram.getValueAtPercentile(50)),
    p90_us: us(histogram.getValueAtPercentile(90)),
    p99_us: us(histogram.getValueAtPercentile(99)),
    p99_9_us: us(histogram.getValueAtPercentile(99.9)),
    p99_99_us: us(histogram.getValueAtPercentile(99.99)),
    max_us: us(histogram.maxValue),
  };
}

/** The classic .hgrm percentile distribution, values in microseconds. */
export function hgrm(histogram: Histogram): string {
  return histogram.outputPercentileDistribution(5, 1000);
}

/** Percentile-distribution points for plotting: [percentile, microseconds]. */
export function distribution(histogram: Histogram): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (let nines = 0; nines <= 5; nines += 0.125) {
    const percentile = 100 - 100 / 10 ** nines;
    points.push([percentile, histogram.getValueAtPercentile(percentile) / 1000]);
  }
  points.push([100, histogram.maxValue / 1000]);
  return points;
}
