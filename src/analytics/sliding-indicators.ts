// Sliding windows [k * slide, k * slide + size) over a symbol's trades, built
// from per-slide panes (count, sum, min, max) so that a trade touches one pane,
// not size/slide windows, and a window is a fold over size/slide panes when it
// becomes final. Windows without trades are skipped, never emitted.
// With corrections on, panes stay while a window holding them may still be
// revised (its end after the horizon, watermark - allowed lateness), and so
// does the revision of each final window that a correction may reach.

import { releaseFront } from './release-front';

class Pane {
  start = 0;
  count = 0;
  sum = 0;
  min = 0;
  max = 0;
}

export class IndicatorWindow {
  start = 0;
  end = 0;
  count = 0;
  mean = 0;
  /** (max - min) / mean */
  volatility = 0;
  /** 0 for the window's first record, one higher for each correction. */
  revision = 0;
}

export type IndicatorListener = (window: IndicatorWindow) => void;

/**
 * The window a fold fills and a listener is handed, shared by every symbol
 * of the thread (a listener reads it before returning): one a symbol, with
 * its numbers, cost about 140 bytes a symbol.
 */
const scratch = new IndicatorWindow();

export class SlidingIndicators {
  /** Panes in ascending start order. */
  private readonly panes: Pane[] = [];
  private readonly spare: Pane[] = [];
  /** Start of the next window to consider; NaN when no trade is pending. */
  private nextStart = NaN;
  /** Final windows a correction may still reach: start -> revision. Made on first use. */
  private revisions: Map<number, number> | null = null;

  constructor(
    readonly sizeMs: number,
    readonly slideMs: number,
  ) {}

  add(ts: number, price: number): void {
    const paneStart = this.addToPane(ts, price);
    // The earliest window holding this trade starts one slide after the
    // window that ends at or before the trade's pane.
    const earliest = paneStart - this.sizeMs + this.slideMs;
    if (!(this.nextStart <= earliest)) this.nextStart = earliest;
  }

  /**
   * A correction: a trade stamped behind the watermark. Each final window
   * holding it is emitted again, final, with its revision one higher (0 when
   * it had no trade before); the windows not final yet take it as add does.
   */
  correct(ts: number, price: number, watermark: number, emit: IndicatorListener): number {
    const paneStart = this.addToPane(ts, price);
    let emitted = 0;
    for (let start = paneStart - this.sizeMs + this.slideMs; start <= paneStart; start += this.slideMs) {
      if (start + this.sizeMs > watermark) {
        if (!(this.nextStart <= start)) this.nextStart = start;
        break;
      }
      const revisions = (this.revisions ??= new Map());
      const before = revisions.get(start);
      const revision = before === undefined ? 0 : before + 1;
      revisions.set(start, revision);
      if (this.fold(start)) {
        scratch.revision = revision;
        emit(scratch);
        emitted++;
      }
    }
    return emitted;
  }

  /** Adds a trade to its pane; returns the pane's start. */
  private addToPane(ts: number, price: number): number {
    const paneStart = Math.floor(ts / this.slideMs) * this.slideMs;
    let i = this.panes.length;
    while (i > 0 && (this.panes[i - 1] as Pane).start > paneStart) i--;
    let pane = this.panes[i - 1];
    if (pane === undefined || pane.start !== paneStart) {
      pane = this.spare.pop() ?? new Pane();
      pane.start = paneStart;
      pane.count = 0;
      pane.sum = 0;
      pane.min = price;
      pane.max = price;
      this.panes.splice(i, 0, pane);
    }
    pane.count++;
    pane.sum += price;
    if (price < pane.min) pane.min = price;
    if (price > pane.max) pane.max = price;
    return paneStart;
  }

  /** Folds the window at `start` into the scratch window; false when it holds no trade. */
  private fold(start: number): boolean {
    const end = start + this.sizeMs;
    const w = scratch;
    w.count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const pane of this.panes) {
      if (pane.start >= end) break;
      if (pane.start < start) continue;
      w.count += pane.count;
      sum += pane.sum;
      if (pane.min < min) min = pane.min;
      if (pane.max > max) max = pane.max;
    }
    if (w.count === 0) return false;
    w.start = start;
    w.end = end;
    w.mean = sum / w.count;
    w.volatility = (max - min) / w.mean;
    w.revision = 0;
    return true;
  }

  /** The end of the next window closeUpTo would look at, or Infinity when no trade is pending. */
  nextEnd(): number {
    return Number.isNaN(this.nextStart) ? Infinity : this.nextStart + this.sizeMs;
  }

  /**
   * Emits, in start order, every window with a trade and end <= watermark.
   * Keeps what a correction stamped at or after `horizon` may still need.
   */
  closeUpTo(watermark: number, emit: IndicatorListener, horizon = watermark): number {
    let emitted = 0;
    // The first window a correction can still reach: end > horizon.
    const reachable = Math.floor((horizon - this.sizeMs) / this.slideMs) * this.slideMs + this.slideMs;
    while (this.nextStart + this.sizeMs <= watermark) {
      const start = this.nextStart;
      if (this.fold(start)) {
        if (start >= reachable) (this.revisions ??= new Map()).set(start, 0);
        emit(scratch);
        emitted++;
      }
      this.nextStart = start + this.slideMs;
      // Panes of windows past: those before both the next window and the reachable ones.
      const keepFrom = Math.min(this.nextStart, reachable);
      let drop = 0;
      while (drop < this.panes.length && (this.panes[drop] as Pane).start < keepFrom) drop++;
      if (drop > 0) releaseFront(this.panes, drop, this.spare);
      let next = 0;
      while (next < this.panes.length && (this.panes[next] as Pane).start < this.nextStart) next++;
      const first = this.panes[next];
      if (first === undefined) {
        this.nextStart = NaN;
        break;
      }
      // Skip the empty windows of a gap in the symbol's trading.
      const earliest = first.start - this.sizeMs + this.slideMs;
      if (earliest > this.nextStart) this.nextStart = earliest;
    }
    this.forgetBefore(reachable);
    return emitted;
  }

  /** Lets go of what no correction can reach: panes and revisions of windows ending at or before the horizon. */
  private forgetBefore(reachable: number): void {
    if (this.revisions !== null) {
      for (const start of this.revisions.keys()) if (start < reachable) this.revisions.delete(start);
      if (this.revisions.size === 0) this.revisions = null;
    }
    const keepFrom = Number.isNaN(this.nextStart) ? reachable : Math.min(this.nextStart, reachable);
    let drop = 0;
    while (drop < this.panes.length && (this.panes[drop] as Pane).start < keepFrom) drop++;
    if (drop > 0) releaseFront(this.panes, drop, this.spare);
  }

  /** Revisions of the final windows a correction may still reach, as [start, revision] pairs in start order. */
  exportRevisions(): Array<readonly [number, number]> {
    return this.revisions === null ? [] : [...this.revisions].sort((a, b) => a[0] - b[0]);
  }

  importRevisions(pairs: ReadonlyArray<readonly [number, number]>): void {
    this.revisions = pairs.length === 0 ? null : new Map(pairs);
  }

  /** Panes (start, count, sum, min, max) and the next window start, for checkpoints. */
  exportState(): { panes: Array<readonly [number, number, number, number, number]>; nextStart: number } {
    return { panes: this.panes.map((p) => [p.start, p.count, p.sum, p.min, p.max] as const), nextStart: this.nextStart };
  }

  importState(panes: ReadonlyArray<readonly [number, number, number, number, number]>, nextStart: number): void {
    for (const pane of this.panes.splice(0)) this.spare.push(pane);
    for (const [start, count, sum, min, max] of panes) {
      const pane = this.spare.pop() ?? new Pane();
      Object.assign(pane, { start, count, sum, min, max });
      this.panes.push(pane);
    }
    this.nextStart = nextStart;
  }

  /**
   * Drops the panes that start after `bound` (a watermark reset discarding
   * what was stamped ahead of the clock); returns how many.
   */
  discardAfter(bound: number): number {
    let keep = this.panes.length;
    while (keep > 0 && (this.panes[keep - 1] as Pane).start > bound) keep--;
    const dropped = this.panes.splice(keep);
    for (const pane of dropped) this.spare.push(pane);
    if (this.panes.length === 0) this.nextStart = NaN;
    return dropped.length;
  }

  /** The end of the last window that holds a trade, or -Infinity. */
  lastEnd(): number {
    const last = this.panes[this.panes.length - 1];
    return last === undefined ? -Infinity : last.start + this.sizeMs;
  }
}
