// How a trailing series (trailing-series.ts) lays out its block, and the
// thread's pools of blocks for small series.
//
// A series costs nothing until its first entry, and then one block: its
// columns lie end to end in a Float64Array (no view per column: a typed
// array object costs about as much as twelve entries), in a block of a
// shared slab while the series is small (series-blocks.ts), and moved or
// resized as entries come and go (series-store.ts). Moving keeps every
// entry's index and re-sums nothing: the rebuilds (and so the shifts, and
// every rounding) follow `limit`.
//

import { SeriesBlocks } from './series-blocks';

export type { SeriesBlocks };

/** Entries between kept prefix sums (a power of 2), and its log. */
export const STEP = 32;
export const STEP_SHIFT = 5;
/**
 * A block holds three sets of prefix sums (q1, qc, q2, qv; q*[j] sums
 * entries [0, j) since the last rebuild): at the end, at the start of the
 * last window asked about, and a scratch set. Then the entries' columns,
 * `capacity` long each (timestamp, x, and v for a weighted series), then
 * one row of prefix sums every STEP entries (q1, qc, and q2, qv for a
 * weighted series). In the block, not in objects of the series: three
 * objects with their heap numbers were about 360 bytes a series.
 */
export const AT_END = 0;
export const AT_FIRST = 4;
export const SCRATCH = 8;
/** Then the x of the entry before the block's first slot (series-store.ts), when it moved on from index 0. */
export const BEFORE_X = 12;
export const HEADER = 13;
export const X = 1;
export const V = 2;
export const Q1 = 0;
export const QC = 1;
export const Q2 = 2;
export const QV = 3;
/** The block of a series without entries: read as zeros, never written. */
export const NONE = new Float64Array(HEADER);

function blockDoubles(entryColumns: number, sumColumns: number): (capacity: number) => number {
  return (capacity) => HEADER + entryColumns * capacity + sumColumns * ((capacity >> STEP_SHIFT) + 1);
}

/** This thread's blocks for small series, by kind. */
const weightedBlocks = new SeriesBlocks(blockDoubles(3, 4));
const meanBlocks = new SeriesBlocks(blockDoubles(2, 2));

/** The pool of blocks for a weighted or a mean-only series. */
export function blocksFor(weighted: boolean): SeriesBlocks {
  return weighted ? weightedBlocks : meanBlocks;
}
/** Weights of a mean-only series, for checkpoints: all 0 (views of this). */
let zeros = new Float64Array(64);

export function zeroWeights(length: number): Float64Array {
  if (zeros.length < length) zeros = new Float64Array(Math.max(length, 2 * zeros.length));
  return zeros.subarray(0, length);
}
