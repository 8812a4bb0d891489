// Sliding windows [k * slide, k * slide + size) over a symbol's trades, built
// from per-slide panes (count, sum, min, max) so that a trade touches one pane,
// not size/slide windows, and a window is a fold over size/slide panes when it
// becomes final. Windows without trades are skipped, never emitted.

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
}

export type IndicatorListener = (window: IndicatorWindow) => void;

export class SlidingIndicators {
  /** Panes in ascending start order. */
  private readonly panes: Pane[] = [];
  private readonly spare: Pane[] = [];
  /** Start of the next window to consider; NaN when no trade is pending. */
  private nextStart = NaN;
  private readonly scratch = new IndicatorWindow();

  constructor(
    readonly sizeMs: number,
    readonly slideMs: number,
  ) {}

  add(ts: number, price: number): void {
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
    // The earliest window holding this trade starts one slide after the
    // window that ends at or before the trade's pane.
    const earliest = paneStart - this.sizeMs + this.slideMs;
    if (!(this.nextStart <= earliest)) this.nextStart = earliest;
  }

  /** Emits, in start order, every window with a trade and end <= watermark. */
  closeUpTo(watermark: number, emit: IndicatorListener): number {
    let emitted = 0;
    while (this.nextStart + this.sizeMs <= watermark) {
      const start = this.nextStart;
      const end = start + this.sizeMs;
      const w = this.scratch;
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
      if (w.count > 0) {
        w.start = start;
        w.end = end;
        w.mean = sum / w.count;
        w.volatility = (max - min) / w.mean;
        emit(w);
        emitted++;
      }
      this.nextStart = start + this.slideMs;
      let drop = 0;
      while (drop < this.panes.length && (this.panes[drop] as Pane).start < this.nextStart) drop++;
      if (drop > 0) releaseFront(this.panes, drop, this.spare);
      const first = this.panes[0];
      if (first === undefined) {
        this.nextStart = NaN;
        break;
      }
      // Skip the empty windows of a gap in the symbol's trading.
      const earliest = first.start - this.sizeMs + this.slideMs;
      if (earliest > this.nextStart) this.nextStart = earliest;
    }
    return emitted;
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
