// A symbol's trailing event-time series of (timestamp, x, v), kept sorted by
// timestamp (ties in arrival order), answering "count, mean and population
// variance of x, and mean of v, over the entries in [from, entry i]" in O(1)
// amortised.
//
// It works from prefix sums of (x - K), (x - K)^2 and v, where K is a shift
// chosen near the data at each rebuild: with K close to the mean, (x - K) is
// exact (Sterbenz) and the variance S2/n - (S1/n)^2 suffers no cancellation,
// so prices near 1e4 with a variance of 1e-8 stay exact enough for z-scores.
// A prefix count of value changes decides "all values equal" exactly, so
// such a window has variance exactly 0 rather than a rounding residue.
//
// The prefix sums are kept only every STEP entries, and for the end of the
// series and the start of the last window asked about; the others are
// summed again from the nearest kept one when needed. Each is the same
// sequence of additions from the last rebuild as when every prefix sum was
// kept, so every result is the same to the bit, and an entry costs its three
// numbers (two for a mean-only series) instead of seven: at the windows'
// length (5 minutes of every symbol's trades and quotes) the series are
// nearly all of the state.
//
// Costs: an in-order insert is O(1), and so is a query whose window starts
// where the last one did or a little later (the usual case, as time moves
// on); any other query adds at most STEP additions. An out-of-order insert
// shifts, and re-sums, the entries newer than it: at most those within the
// lateness of the newest one. Memory is the entries newer than the eviction
// bound, which the caller keeps at (watermark - window).
//
// Checkpoints write what changed since the one before (`delta()`): entries
// have absolute positions (entries evicted so far + index from `start`),
// which no rebuild, growth or eviction moves. Between two checkpoints the
// front loses entries and inserts land at or after some position; every
// entry before the lowest such position is where it was, so the series is
// the previous one less `evict` entries at the front, its next `keep`
// entries, then the entries from there on.

import { firstAtOrAfter } from './sorted-search';
import { AT_END, AT_FIRST, BEFORE_X, Q1, Q2, QC, QV, SCRATCH, STEP, STEP_SHIFT, V, X, zeroWeights } from './series-layout';
import { INITIAL_LIMIT, SeriesStore } from './series-store';

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

export class TrailingSeries extends SeriesStore {
  private shift = 0;
  private cursor = 0;
  /** Where the block's AT_FIRST sums are for: the start of the last window asked about; -1: none kept. */
  private firstAt = -1;
  /** Entries that left the front since the series was made or loaded: the absolute position of `start`. */
  private evicted = 0;
  /** Absolute position of the first entry at the last mark(). */
  private markStart = 0;
  /** The lowest absolute position an insert or a drop touched since the last mark(). */
  private changedFrom = 0;

  /**
   * `weighted`: keeps v and answers variance and the mean of v too; a
   * series that is not answers count and mean only (variance and meanV 0)
   * and takes one number an entry less.
   */
  constructor(weighted = true) {
    super(weighted);
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
    return {
      timestamps: this.column(0, from),
      values: this.column(X, from),
      weights: this.weighted ? this.column(V, from) : zeroWeights(Math.max(0, this.end - from)),
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
    this.truncate(this.start + keep);
    if (this.cursor < this.start) this.cursor = this.start;
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
    this.allocateFor(n);
    const { d, cols, capacity } = this;
    d.set(timestamps, cols);
    d.set(values, cols + X * capacity);
    if (this.weighted) d.set(weights, cols + V * capacity);
    this.end = n;
    this.cursor = 0;
    this.shift = n > 0 ? (d[cols + X * capacity + n - 1] as number) : 0;
    this.resum(0);
    this.evicted = 0;
    this.mark();
  }

  /** Drops entries with timestamp < `bound`; a series left empty (its symbol quiet for a window) gives its buffer back. */
  evictBefore(bound: number): void {
    const start = this.start;
    const { d, cols } = this;
    while (this.start < this.end && (d[cols + this.start] as number) < bound) this.start++;
    this.evicted += this.start - start;
    if (this.start === this.end) this.release();
    if (this.cursor < this.start) this.cursor = this.start;
  }

  /** Empty, holding no block; the next entry starts a small one (the rebuild limit is kept, and with it every rounding). */
  protected override release(): void {
    super.release();
    this.cursor = 0;
    this.firstAt = -1;
  }

  /**
   * Drops entries with timestamp > `bound` (a watermark reset discarding
   * what was stamped ahead of the clock); returns how many. The prefix sums
   * of the entries kept stay valid.
   */
  dropAfter(bound: number): number {
    let keep = this.end;
    while (keep > this.start && (this.d[this.cols + keep - 1] as number) > bound) keep--;
    const dropped = this.end - keep;
    this.changedFrom = Math.min(this.changedFrom, this.evicted + keep - this.start);
    this.truncate(keep);
    if (this.start === this.end) this.release();
    return dropped;
  }

  /** Ends the series at index `end` (at most its end): the sums at the end are those before it. */
  private truncate(end: number): void {
    if (end === this.end) return;
    this.sumsAt(end, this.base + AT_END);
    this.end = end;
    if (this.cursor > end) this.cursor = end;
    if (this.firstAt > end) this.firstAt = -1;
  }

  /** Inserts after every entry with timestamp <= t; returns its index for stats(). */
  insert(t: number, xValue: number, vValue: number): number {
    if (this.end === this.limit) this.rebuild();
    if (this.end === this.off + this.capacity) this.makeRoom();
    if (this.end === this.start) this.shift = xValue;
    const { d, cols, capacity, end, weighted } = this;
    const x = cols + X * capacity;
    const v = cols + V * capacity;
    let i = end;
    while (i > this.start && (d[cols + i - 1] as number) > t) i--;
    if (i < end) {
      d.copyWithin(cols + i + 1, cols + i, cols + end);
      d.copyWithin(x + i + 1, x + i, x + end);
      if (weighted) d.copyWithin(v + i + 1, v + i, v + end);
    }
    d[cols + i] = t;
    d[x + i] = xValue;
    if (weighted) d[v + i] = vValue;
    this.end = end + 1;
    const at = this.evicted + i - this.start;
    if (at < this.changedFrom) this.changedFrom = at;
    // The sums before i are as they were; from i on they are summed again.
    if (this.firstAt > i) this.firstAt = -1;
    if (i === end) this.append(i, this.base + AT_END);
    else this.resum(i);
    return i;
  }

  /**
   * Fills `out` with the statistics of the entries with timestamp >= `from`
   * up to and including index `last` (as returned by insert()).
   */
  stats(from: number, last: number, out: WindowStats): WindowStats {
    // The window's first entry, searched from where the last search ended.
    const first = firstAtOrAfter(this.d, this.cols, this.start, last, this.cursor, from);
    this.cursor = first;
    const n = last - first + 1;
    out.count = n;
    if (n <= 0) {
      out.mean = 0;
      out.variance = 0;
      out.meanV = 0;
      return out;
    }
    const atFirst = this.base + AT_FIRST;
    // Sums at `first`, from those at the last window's start when it is at or a little before.
    if (this.firstAt < this.off || this.firstAt > first || first - this.firstAt > STEP) {
      this.sumsAt(first, atFirst);
    } else {
      for (let j = this.firstAt; j < first; j++) this.append(j, atFirst);
    }
    this.firstAt = first;
    const at = this.base + SCRATCH;
    this.sumsAt(last + 1, at);
    const { d, cols, capacity } = this;
    const s1 = (d[at + Q1] as number) - (d[atFirst + Q1] as number);
    const s2 = (d[at + Q2] as number) - (d[atFirst + Q2] as number);
    const sv = (d[at + QV] as number) - (d[atFirst + QV] as number);
    // Value changes among entries first + 1 .. last: the change at `first` itself does not count.
    const changes = (d[at + QC] as number) - (d[atFirst + QC] as number) - this.changeAt(first);
    out.meanV = sv / n;
    if (changes === 0) {
      out.mean = d[cols + X * capacity + last] as number;
      out.variance = 0;
    } else {
      const m = s1 / n;
      out.mean = this.shift + m;
      const variance = s2 / n - m * m;
      out.variance = variance > 0 ? variance : 0;
    }
    return out;
  }

  /** 1 when entry j's x differs from the entry before it, else 0. */
  private changeAt(j: number): number {
    const { d, off } = this;
    const x = this.cols + X * this.capacity;
    if (j > off) return d[x + j] !== d[x + j - 1] ? 1 : 0;
    // The block's first entry: the one before it is no longer in the block.
    return off > 0 && d[x + j] !== d[this.base + BEFORE_X] ? 1 : 0;
  }

  /** Adds entry j to the sums at `s` in the block (the sums before j become those after it). */
  private append(j: number, s: number): void {
    const { d, cols, capacity } = this;
    const xj = d[cols + X * capacity + j] as number;
    const dx = xj - this.shift;
    d[s + Q1] = (d[s + Q1] as number) + dx;
    d[s + QC] = (d[s + QC] as number) + this.changeAt(j);
    if (this.weighted) {
      d[s + Q2] = (d[s + Q2] as number) + dx * dx;
      d[s + QV] = (d[s + QV] as number) + (d[cols + V * capacity + j] as number);
    }
    // A row of kept sums every STEP entries.
    if (((j + 1) & (STEP - 1)) === 0) this.keepRow((j + 1) >> STEP_SHIFT, s);
  }

  private keepRow(row: number, s: number): void {
    const { d, sumColumns } = this;
    const at = this.rows + row * sumColumns;
    for (let k = 0; k < sumColumns; k++) d[at + k] = d[s + k] as number;
  }

  /** Sets the sums at `s` in the block to those at index j (at most `end`): from the kept row at or before it, and the entries after. */
  private sumsAt(j: number, s: number): void {
    const d = this.d;
    if (j === this.end) {
      const atEnd = this.base + AT_END;
      if (s !== atEnd) for (let k = 0; k < 4; k++) d[s + k] = d[atEnd + k] as number;
      return;
    }
    const row = j >> STEP_SHIFT;
    const at = this.rows + row * this.sumColumns;
    for (let k = 0; k < 4; k++) d[s + k] = k < this.sumColumns ? (d[at + k] as number) : 0;
    for (let i = row << STEP_SHIFT; i < j; i++) this.append(i, s);
  }

  /** Sums again from index `from` (whose sums are unchanged) to the end, keeping a row every STEP entries. */
  private resum(from: number): void {
    const sums = this.base + AT_END;
    if (from === 0) {
      for (let k = 0; k < 4; k++) this.d[sums + k] = 0;
      this.keepRow(0, sums);
    } else {
      this.sumsAt(from, sums);
    }
    for (let j = from; j < this.end; j++) this.append(j, sums);
  }

  /**
   * Starts the indices again: moves the live entries to index 0 (doubling
   * the limit when they are more than three quarters of it), re-centres the
   * shift on the newest value and re-sums from scratch. Runs once per
   * limit/4 inserts at most, so its cost is O(1) amortised; it bounds the
   * growth of the prefix sums, and with it their rounding.
   */
  private rebuild(): void {
    const live = this.end - this.start;
    if (live * 4 > this.limit * 3) this.limit *= 2;
    this.cursor = Math.max(0, this.cursor - this.start);
    this.moveToFront();
    this.firstAt = -1;
    this.shift = live > 0 ? (this.d[this.cols + X * this.capacity + live - 1] as number) : 0;
    this.resum(0);
  }
}
