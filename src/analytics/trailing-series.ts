// A symbol's trailing event-time series of (timestamp, x, v), kept sorted by
// timestamp (ties in arrival order), answering "count, mean and population
// variance of x, and mean of v, over the entries in [from, entry i]" in O(1).
//
// It holds prefix sums of (x - K), (x - K)^2 and v, where K is a shift chosen
// near the data at each rebuild: with K close to the mean, (x - K) is exact
// (Sterbenz) and the variance S2/n - (S1/n)^2 suffers no cancellation, so
// prices near 1e4 with a variance of 1e-8 stay exact enough for z-scores. A
// prefix count of value changes decides "all values equal" exactly, so such a
// window has variance exactly 0 rather than a rounding residue.
//
// Costs: an in-order insert and a query are O(1) amortised. An out-of-order
// insert shifts, and re-sums, the entries newer than it: at most those within
// the lateness of the newest one. Memory is the entries newer than the
// eviction bound, which the caller keeps at (watermark - window).
//
// A series costs nothing until its first entry, and then one block: its
// seven columns lie end to end in a Float64Array (no view per column: a
// typed array object costs about as much as twelve entries), in a block of a
// shared slab while the series is small (series-blocks.ts), grown as
// entries come. Most
// symbols of a large universe are quiet; with seven preallocated arrays of 64
// each, two series a symbol were the largest part of a symbol's cost (and of
// the collector's work) at 50,000 symbols. Growing the buffer moves nothing
// and re-sums nothing: the rebuilds (and so the shifts, and every rounding)
// follow `limit`, as they did before, and results stay the same to the bit.
//
// Checkpoints write what changed since the one before (`delta()`): entries
// have absolute positions (entries evicted so far + index from `start`),
// which no rebuild, growth or eviction moves. Between two checkpoints the
// front loses entries and inserts land at or after some position; every
// entry before the lowest such position is where it was, so the series is
// the previous one less `evict` entries at the front, its next `keep`
// entries, then the entries from there on.

import { SeriesBlocks } from './series-blocks';

/** Entries before the first rebuild. */
const INITIAL_LIMIT = 64;
/** Entries the first buffer holds. */
const INITIAL_CAPACITY = 8;
/**
 * Columns, in this order in a series' block: timestamp, x, the prefix sums
 * of (x - shift) and of value changes; then, for a weighted series, v and
 * the prefix sums of (x - shift)^2 and of v. A mean-only series (quotes,
 * whose rules read only the mean spread) holds the first four.
 */
const TS = 0;
const X = 1;
const Q1 = 2;
const QC = 3;
const V = 4;
const Q2 = 5;
const QV = 6;
const WEIGHTED_COLUMNS = 7;
const MEAN_COLUMNS = 4;
/** The prefix sums hold one more than the entries. */
const PREFIX = [false, false, true, true, false, true, true];
const NONE = new Float64Array(1);
/** This thread's blocks for small series, by kind. */
const weightedBlocks = new SeriesBlocks(WEIGHTED_COLUMNS);
const meanBlocks = new SeriesBlocks(MEAN_COLUMNS);
/** Weights of a mean-only series, for checkpoints: all 0 (views of this). */
let zeros = new Float64Array(64);

function zeroWeights(length: number): Float64Array {
  if (zeros.length < length) zeros = new Float64Array(Math.max(length, 2 * zeros.length));
  return zeros.subarray(0, length);
}

/** How this series differs from what it held at the last checkpoint (mark()). */
export interface SeriesDelta {
  /** Entries the previous checkpoint held that left the front since. */
  readonly evict: number;
  /** Entries of the previous checkpoint kept after those, in place. */
  readonly keep: number;
  /** The entries after the kept ones (views: copy before the next insert). */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly weights: Float64Array;
}

export class WindowStats {
  count = 0;
  mean = 0;
  variance = 0;
  meanV = 0;
}

export class TrailingSeries {
  private readonly columnCount: number;
  private readonly blocks: SeriesBlocks;
  /** Where a rebuild moves the live entries to the front (and may double it). */
  private limit = INITIAL_LIMIT;
  /** Entries the columns hold (at most `limit`): 0 until the first entry. */
  private capacity = 0;
  /**
   * The columns (TS, X, ...: above), from `base` in `d`, `stride`
   * (capacity + 1) apart. q*[j] sums entries [0, j) (minus whatever was
   * there at the last rebuild); a range [a, b] is q*[b + 1] - q*[a].
   */
  private d = NONE;
  private base = 0;
  private stride = 0;
  private start = 0;
  private end = 0;
  private shift = 0;
  private cursor = 0;
  /** Entries that left the front since the series was made or loaded: the absolute position of `start`. */
  private evicted = 0;
  /** Absolute position of the first entry at the last mark(). */
  private markStart = 0;
  /** The lowest absolute position an insert or a drop touched since the last mark(). */
  private changedFrom = 0;

  /**
   * `weighted`: keeps v and answers variance and the mean of v too; a
   * series that is not answers count and mean only (variance and meanV 0)
   * and takes 3 doubles an entry less.
   */
  constructor(readonly weighted = true) {
    this.columnCount = weighted ? WEIGHTED_COLUMNS : MEAN_COLUMNS;
    this.blocks = weighted ? weightedBlocks : meanBlocks;
  }

  get size(): number {
    return this.end - this.start;
  }

  /** The live entries, oldest first (views: copy before the next insert). */
  entries(): { timestamps: Float64Array; values: Float64Array; weights: Float64Array } {
    return this.columns(this.start);
  }

  /** What changed since the last mark(), for a checkpoint that builds on the one before. */
  delta(): SeriesDelta {
    let evict = this.evicted - this.markStart;
    let keep = this.changedFrom - this.evicted;
    // An entry inserted since the mark already left the front: the whole series, then.
    if (keep < 0) evict = keep = 0;
    return { evict, keep, ...this.columns(this.start + keep) };
  }

  /** Views of the timestamps, values and weights from index `from` to the end. */
  private columns(from: number): { timestamps: Float64Array; values: Float64Array; weights: Float64Array } {
    const { d, base, stride, end } = this;
    const ts = base + TS * stride;
    const v = base + V * stride;
    return {
      timestamps: d.subarray(ts + from, ts + end),
      values: d.subarray(base + X * stride + from, base + X * stride + end),
      weights: this.weighted ? d.subarray(v + from, v + end) : zeroWeights(Math.max(0, end - from)),
    };
  }

  /** The contents now are what the latest checkpoint holds: delta() counts from here. */
  mark(): void {
    this.markStart = this.evicted;
    // Nothing changed yet: the lowest change is past the last entry.
    this.changedFrom = this.evicted + this.end - this.start;
  }

  /**
   * Applies a checkpoint's delta() in place: drops `evict` entries at the
   * front, keeps the next `keep`, and appends the rest (in timestamp order,
   * none before the kept ones). Costs what the delta holds, not the series:
   * a restore applies a rotation of them. False, changing nothing, when this
   * series holds fewer than `evict + keep` entries (the delta does not
   * follow it). The result then counts as marked.
   */
  applyDelta(evict: number, keep: number, timestamps: ArrayLike<number>, values: ArrayLike<number>, weights: ArrayLike<number>): boolean {
    if (evict + keep > this.end - this.start) return false;
    this.start += evict;
    this.evicted += evict;
    this.end = this.start + keep;
    if (this.cursor < this.start) this.cursor = this.start;
    if (this.cursor > this.end) this.cursor = this.end;
    if (this.start === this.end) this.release();
    for (let i = 0; i < timestamps.length; i++) this.insert(timestamps[i] as number, values[i] as number, weights[i] as number);
    this.mark();
    return true;
  }

  /** Replaces the contents with entries in timestamp order (from a checkpoint), which then count as marked. */
  load(timestamps: ArrayLike<number>, values: ArrayLike<number>, weights: ArrayLike<number>): void {
    const n = timestamps.length;
    let limit = INITIAL_LIMIT;
    while (limit < n * 2) limit *= 2;
    this.limit = limit;
    this.release();
    this.allocate(limit);
    const { d, base, stride } = this;
    d.set(timestamps, base);
    d.set(values, base + X * stride);
    if (this.weighted) d.set(weights, base + V * stride);
    this.start = 0;
    this.end = n;
    this.cursor = 0;
    this.shift = n > 0 ? (d[base + X * stride + n - 1] as number) : 0;
    this.resum(0);
    this.evicted = 0;
    this.mark();
  }

  /** Drops entries with timestamp < `bound`; a series left empty (its symbol quiet for a window) gives its buffer back. */
  evictBefore(bound: number): void {
    const start = this.start;
    const { d, base } = this;
    while (this.start < this.end && (d[base + this.start] as number) < bound) this.start++;
    this.evicted += this.start - start;
    if (this.start === this.end) this.release();
    if (this.cursor < this.start) this.cursor = this.start;
  }

  /** Empty, holding no buffer; the next entry starts a small one (the rebuild limit is kept, and with it every rounding). */
  private release(): void {
    this.start = 0;
    this.end = 0;
    this.cursor = 0;
    if (this.capacity === 0) return;
    this.blocks.give(this.capacity, this.d, this.base);
    this.capacity = 0;
    this.stride = 0;
    this.base = 0;
    this.d = NONE;
  }

  /**
   * Drops entries with timestamp > `bound` (a watermark reset discarding
   * what was stamped ahead of the clock); returns how many. The prefix sums
   * of the entries kept stay valid.
   */
  dropAfter(bound: number): number {
    let keep = this.end;
    while (keep > this.start && (this.d[this.base + keep - 1] as number) > bound) keep--;
    const dropped = this.end - keep;
    this.changedFrom = Math.min(this.changedFrom, this.evicted + keep - this.start);
    this.end = keep;
    if (this.start === this.end) this.release();
    if (this.cursor > this.end) this.cursor = this.end;
    return dropped;
  }

  /** Inserts after every entry with timestamp <= t; returns its index for stats(). */
  insert(t: number, xValue: number, vValue: number): number {
    if (this.end === this.limit) this.rebuild();
    if (this.end === this.capacity) this.grow();
    if (this.end === this.start) this.shift = xValue;
    const { d, base, stride, end, weighted } = this;
    const x = base + X * stride;
    const v = base + V * stride;
    let i = end;
    while (i > this.start && (d[base + i - 1] as number) > t) i--;
    if (i < end) {
      d.copyWithin(base + i + 1, base + i, base + end);
      d.copyWithin(x + i + 1, x + i, x + end);
      if (weighted) d.copyWithin(v + i + 1, v + i, v + end);
    }
    d[base + i] = t;
    d[x + i] = xValue;
    if (weighted) d[v + i] = vValue;
    this.end = end + 1;
    const at = this.evicted + i - this.start;
    if (at < this.changedFrom) this.changedFrom = at;
    this.resum(i);
    return i;
  }

  /**
   * Fills `out` with the statistics of the entries with timestamp >= `from`
   * up to and including index `last` (as returned by insert()).
   */
  stats(from: number, last: number, out: WindowStats): WindowStats {
    const first = this.lowerBound(from, last);
    const n = last - first + 1;
    out.count = n;
    if (n <= 0) {
      out.mean = 0;
      out.variance = 0;
      out.meanV = 0;
      return out;
    }
    const { d, base, stride, weighted } = this;
    const q1 = base + Q1 * stride;
    const qc = base + QC * stride;
    const q2 = base + Q2 * stride;
    const qv = base + QV * stride;
    const s1 = (d[q1 + last + 1] as number) - (d[q1 + first] as number);
    const s2 = weighted ? (d[q2 + last + 1] as number) - (d[q2 + first] as number) : 0;
    const sv = weighted ? (d[qv + last + 1] as number) - (d[qv + first] as number) : 0;
    const changes = (d[qc + last + 1] as number) - (d[qc + first + 1] as number);
    out.meanV = sv / n;
    if (changes === 0) {
      out.mean = d[base + X * stride + last] as number;
      out.variance = 0;
    } else {
      const m = s1 / n;
      out.mean = this.shift + m;
      const variance = s2 / n - m * m;
      out.variance = variance > 0 ? variance : 0;
    }
    return out;
  }

  /** First index in [start, last] with timestamp >= from (last + 1 if none). */
  private lowerBound(from: number, last: number): number {
    // The timestamps, from their column's start.
    const ts = this.d;
    const t = this.base;
    let c = this.cursor;
    if (c < this.start) c = this.start;
    if (c > last + 1) c = last + 1;
    if (c > this.start && (ts[t + c - 1] as number) >= from) {
      // Moving back (an out-of-order tick): binary search below the cursor.
      let lo = this.start;
      let hi = c - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((ts[t + mid] as number) >= from) hi = mid;
        else lo = mid + 1;
      }
      c = lo;
    } else {
      let steps = 0;
      while (c <= last && (ts[t + c] as number) < from && steps < 16) {
        c++;
        steps++;
      }
      if (c <= last && (ts[t + c] as number) < from) {
        let lo = c;
        let hi = last + 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((ts[t + mid] as number) >= from) hi = mid;
          else lo = mid + 1;
        }
        c = lo;
      }
    }
    this.cursor = c;
    return c;
  }

  /** Recomputes the prefix sums from index `from` to the end. */
  private resum(from: number): void {
    const { d, base, stride, shift, start, end } = this;
    const x = base + X * stride;
    const q1 = base + Q1 * stride;
    const qc = base + QC * stride;
    for (let j = from; j < end; j++) {
      const xj = d[x + j] as number;
      d[q1 + j + 1] = (d[q1 + j] as number) + (xj - shift);
      d[qc + j + 1] = (d[qc + j] as number) + (j > start && xj !== d[x + j - 1] ? 1 : 0);
    }
    if (!this.weighted) return;
    const v = base + V * stride;
    const q2 = base + Q2 * stride;
    const qv = base + QV * stride;
    for (let j = from; j < end; j++) {
      const dx = (d[x + j] as number) - shift;
      d[q2 + j + 1] = (d[q2 + j] as number) + dx * dx;
      d[qv + j + 1] = (d[qv + j] as number) + (d[v + j] as number);
    }
  }

  /**
   * Makes room at the end: moves the live entries to index 0 (doubling the
   * limit when they are more than three quarters of it), re-centres the
   * shift on the newest value and re-sums from scratch. Runs once per limit/4
   * inserts at most, so its cost is O(1) amortised; it also bounds the growth
   * of the prefix sums, and with it their rounding. Doubling at three
   * quarters rather than half keeps the columns under 2.7x the live entries
   * (measured on an 8-million-tick replay: 3x with the half rule).
   */
  private rebuild(): void {
    const live = this.end - this.start;
    if (live * 4 > this.limit * 3) this.limit *= 2;
    const { d, base, stride, start, end } = this;
    for (let column = 0; column < this.columnCount; column++) {
      const at = base + column * stride;
      if (PREFIX[column]) d[at] = 0;
      else d.copyWithin(at, at + start, at + end);
    }
    this.cursor = Math.max(0, this.cursor - start);
    this.start = 0;
    this.end = live;
    this.shift = live > 0 ? (d[base + X * stride + live - 1] as number) : 0;
    this.resum(0);
  }

  /** More room in place: every entry and prefix sum stays at its index. */
  private grow(): void {
    const { d, base, stride, end, capacity } = this;
    this.allocate(Math.min(this.limit, Math.max(INITIAL_CAPACITY, capacity * 2)));
    if (capacity === 0) return;
    for (let column = 0; column < this.columnCount; column++) {
      const at = base + column * stride;
      this.d.set(d.subarray(at, at + (PREFIX[column] ? end + 1 : end)), this.base + column * this.stride);
    }
    this.blocks.give(capacity, d, base);
  }

  /** Fresh, zeroed columns of `capacity` entries (prefix sums one more), in one block (a series holding one gives it back first). */
  private allocate(capacity: number): void {
    const block = this.blocks.take(capacity);
    this.d = block.d;
    this.base = block.base;
    this.stride = capacity + 1;
    this.capacity = capacity;
  }
}
