// Sliding windows [k * slide, k * slide + size) over a symbol's trades, built
// from per-slide panes (count, sum, min, max) so that a trade touches one pane,
// not size/slide windows, and a window is a fold over size/slide panes when it
// becomes final. Windows without trades are skipped, never emitted.
// With corrections on, panes stay while a window holding them may still be
// revised (its end after the horizon, watermark - allowed lateness), and so
// does the revision of each final window that a correction may reach.

import { doubles } from './doubles';

/**
 * A pane's numbers in a symbol's array of panes: start, count, sum, min,
 * max. One array of doubles, not an object a pane with a heap number a
 * field (about 120 bytes a pane, ten panes for an active symbol).
 */
const PANE = 5;
const COUNT = 1;
const SUM = 2;
const MIN = 3;
const MAX = 4;
/** Panes room is first made for. */
const INITIAL_PANES = 4;
/** What a symbol without panes holds: nothing of its own (never written: room is made first). */
const NO_PANES: number[] = [];

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
  /** Panes in ascending start order, PANE numbers each; `panes` of them. */
  private p = NO_PANES;
  private panes = 0;
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
    let i = this.panes;
    while (i > 0 && (this.p[(i - 1) * PANE] as number) > paneStart) i--;
    let at = (i - 1) * PANE;
    if (i === 0 || this.p[at] !== paneStart) {
      this.insertPane(i);
      at = i * PANE;
      const p = this.p;
      p[at] = paneStart;
      p[at + COUNT] = 0;
      p[at + SUM] = 0;
      p[at + MIN] = price;
      p[at + MAX] = price;
    }
    const p = this.p;
    p[at + COUNT] = (p[at + COUNT] as number) + 1;
    p[at + SUM] = (p[at + SUM] as number) + price;
    if (price < (p[at + MIN] as number)) p[at + MIN] = price;
    if (price > (p[at + MAX] as number)) p[at + MAX] = price;
    return paneStart;
  }

  /** Makes room for a pane at index `i`, moving the ones from there on up. */
  private insertPane(i: number): void {
    const n = this.panes;
    let p = this.p;
    if ((n + 1) * PANE > p.length) {
      p = doubles(Math.max(INITIAL_PANES, 2 * n) * PANE);
      for (let j = 0; j < i * PANE; j++) p[j] = this.p[j] as number;
    }
    for (let j = n * PANE - 1; j >= i * PANE; j--) p[j + PANE] = this.p[j] as number;
    this.p = p;
    this.panes = n + 1;
  }

  /** Lets go of the first `count` panes; with none left, of the array too. */
  private dropFront(count: number): void {
    const p = this.p;
    const left = this.panes - count;
    for (let j = 0; j < left * PANE; j++) p[j] = p[j + count * PANE] as number;
    this.setPanes(left);
  }

  private setPanes(count: number): void {
    this.panes = count;
    if (count === 0) this.p = NO_PANES;
  }

  /** Panes from the first that start before `bound`: how many. */
  private countBefore(bound: number): number {
    let count = 0;
    while (count < this.panes && (this.p[count * PANE] as number) < bound) count++;
    return count;
  }

  /** Folds the window at `start` into the scratch window; false when it holds no trade. */
  private fold(start: number): boolean {
    const end = start + this.sizeMs;
    const w = scratch;
    w.count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    const p = this.p;
    for (let at = 0; at < this.panes * PANE; at += PANE) {
      const paneStart = p[at] as number;
      if (paneStart >= end) break;
      if (paneStart < start) continue;
      w.count += p[at + COUNT] as number;
      sum += p[at + SUM] as number;
      if ((p[at + MIN] as number) < min) min = p[at + MIN] as number;
      if ((p[at + MAX] as number) > max) max = p[at + MAX] as number;
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
      const drop = this.countBefore(Math.min(this.nextStart, reachable));
      if (drop > 0) this.dropFront(drop);
      const next = this.countBefore(this.nextStart);
      if (next === this.panes) {
        this.nextStart = NaN;
        break;
      }
      // Skip the empty windows of a gap in the symbol's trading.
      const earliest = (this.p[next * PANE] as number) - this.sizeMs + this.slideMs;
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
    const drop = this.countBefore(Number.isNaN(this.nextStart) ? reachable : Math.min(this.nextStart, reachable));
    if (drop > 0) this.dropFront(drop);
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
    const p = this.p;
    const panes = Array.from({ length: this.panes }, (_, i) => {
      const at = i * PANE;
      return [p[at], p[at + COUNT], p[at + SUM], p[at + MIN], p[at + MAX]] as [number, number, number, number, number];
    });
    return { panes, nextStart: this.nextStart };
  }

  importState(panes: ReadonlyArray<readonly [number, number, number, number, number]>, nextStart: number): void {
    this.p = panes.length === 0 ? NO_PANES : doubles(panes.length * PANE);
    panes.forEach((pane, i) => {
      for (let k = 0; k < PANE; k++) this.p[i * PANE + k] = pane[k] as number;
    });
    this.panes = panes.length;
    this.nextStart = nextStart;
  }

  /**
   * Drops the panes that start after `bound` (a watermark reset discarding
   * what was stamped ahead of the clock); returns how many.
   */
  discardAfter(bound: number): number {
    let keep = this.panes;
    while (keep > 0 && (this.p[(keep - 1) * PANE] as number) > bound) keep--;
    const dropped = this.panes - keep;
    this.setPanes(keep);
    if (keep === 0) this.nextStart = NaN;
    return dropped;
  }

  /** The end of the last window that holds a trade, or -Infinity. */
  lastEnd(): number {
    return this.panes === 0 ? -Infinity : (this.p[(this.panes - 1) * PANE] as number) + this.sizeMs;
  }
}
