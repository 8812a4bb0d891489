// Searching a column of timestamps sorted ascending, as trailing series keep
// them, for the start of a window.

/** First index in [lo, hi) whose value (at `offset` + index in `values`) is >= bound; hi if none. */
function binarySearch(values: Float64Array, offset: number, lo: number, hi: number, bound: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[offset + mid] as number) >= bound) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * First index in [start, last] whose timestamp is >= from (last + 1 if
 * none), searched from `cursor`, where the last search ended: a window's
 * start mostly moves forward by a few entries, so a few steps find it, and
 * a binary search the rest of the time (moving back for an out-of-order
 * tick, or far forward).
 */
export function firstAtOrAfter(ts: Float64Array, offset: number, start: number, last: number, cursor: number, from: number): number {
  let c = Math.min(Math.max(cursor, start), last + 1);
  if (c > start && (ts[offset + c - 1] as number) >= from) return binarySearch(ts, offset, start, c - 1, from);
  for (let steps = 0; c <= last && (ts[offset + c] as number) < from && steps < 16; steps++) c++;
  if (c <= last && (ts[offset + c] as number) < from) return binarySearch(ts, offset, c, last + 1, from);
  return c;
}
