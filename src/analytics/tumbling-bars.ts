// Tumbling, epoch-aligned OHLCV bars of one symbol and one interval. Windows
// open on their first trade and close when the symbol's watermark reaches
// their end (or on flush); only a handful are open at once (lateness/interval + 1).

import { releaseFront } from './release-front';

export class BarWindow {
  start = 0;
  end = 0;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  /** Exact: the engine refuses a trade that would take it past 2^53 - 1 (PartitionEngine.overflow). */
  volume = 0;
  /** Sum of price * volume, for the VWAP; kept finite the same way. */
  notional = 0;
  tradeCount = 0;
  /** Live mode: changed since its last forming update, and when that was (processing ms). */
  dirty = false;
  lastSentAt = -Infinity;
  /** Timestamps of the trades that set open and close. */
  openTs = 0;
  closeTs = 0;

  reset(start: number, end: number, ts: number, price: number, volume: number): void {
    this.start = start;
    this.end = end;
    this.open = price;
    this.high = price;
    this.low = price;
    this.close = price;
    this.volume = volume;
    this.notional = price * volume;
    this.tradeCount = 1;
    this.openTs = ts;
    this.closeTs = ts;
    this.dirty = false;
    this.lastSentAt = -Infinity;
  }

  add(ts: number, price: number, volume: number): void {
    // open/close: smallest/largest timestamp; ties go to the earlier arrival
    // for open and to the later arrival for close.
    if (ts < this.openTs) {
      this.openTs = ts;
      this.open = price;
    }
    if (ts >= this.closeTs) {
      this.closeTs = ts;
      this.close = price;
    }
    if (price > this.high) this.high = price;
    if (price < this.low) this.low = price;
    this.volume += volume;
    this.notional += price * volume;
    this.tradeCount++;
  }

  /** Null when the window's volume is 0. */
  vwap(): number | null {
    return this.volume > 0 ? this.notional / this.volume : null;
  }
}

export type BarListener = (bar: BarWindow, final: boolean) => void;

export class TumblingBars {
  /** Open windows in ascending start order. */
  private readonly open: BarWindow[] = [];
  private readonly spare: BarWindow[] = [];

  constructor(
    readonly intervalMs: number,
    readonly label: string,
  ) {}

  /** Adds a trade; returns the window it went into. */
  add(ts: number, price: number, volume: number): BarWindow {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    let i = this.open.length;
    while (i > 0 && (this.open[i - 1] as BarWindow).start > start) i--;
    const before = this.open[i - 1];
    if (before !== undefined && before.start === start) {
      before.add(ts, price, volume);
      return before;
    }
    const bar = this.spare.pop() ?? new BarWindow();
    bar.reset(start, start + this.intervalMs, ts, price, volume);
    this.open.splice(i, 0, bar);
    return bar;
  }

  /** The open window a trade at `ts` would go into, or undefined when add would open one. */
  windowAt(ts: number): BarWindow | undefined {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    for (let i = this.open.length - 1; i >= 0; i--) {
      const bar = this.open[i] as BarWindow;
      if (bar.start === start) return bar;
      if (bar.start < start) return undefined;
    }
    return undefined;
  }

  /** Emits and releases, in start order, every open window with end <= watermark. */
  closeUpTo(watermark: number, emit: BarListener): number {
    let closed = 0;
    while (closed < this.open.length && (this.open[closed] as BarWindow).end <= watermark) {
      emit(this.open[closed] as BarWindow, true);
      closed++;
    }
    if (closed > 0) releaseFront(this.open, closed, this.spare);
    return closed;
  }

  /** The end of the latest open window, or -Infinity. */
  lastEnd(): number {
    const last = this.open[this.open.length - 1];
    return last === undefined ? -Infinity : last.end;
  }

  forEachOpen(visit: (bar: BarWindow) => void): void {
    for (const bar of this.open) visit(bar);
  }

  /** Adds an open window as a checkpoint holds it (windows arrive in start order). */
  restoreWindow(
    fields: Readonly<
      Pick<BarWindow, 'start' | 'end' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'notional' | 'tradeCount' | 'openTs' | 'closeTs'>
    >,
  ): void {
    const bar = this.spare.pop() ?? new BarWindow();
    bar.reset(fields.start, fields.end, fields.openTs, fields.open, 0);
    Object.assign(bar, fields);
    this.open.push(bar);
  }

  /**
   * Drops the open windows that start after `bound` (a watermark reset
   * discarding what was stamped ahead of the clock); returns how many.
   */
  discardAfter(bound: number): number {
    let keep = this.open.length;
    while (keep > 0 && (this.open[keep - 1] as BarWindow).start > bound) keep--;
    const dropped = this.open.splice(keep);
    for (const bar of dropped) {
      bar.dirty = false;
      this.spare.push(bar);
    }
    return dropped.length;
  }

  clear(): void {
    for (const bar of this.open.splice(0)) this.spare.push(bar);
  }
}
