// Tumbling, epoch-aligned OHLCV bars of one symbol and one interval. Windows
// open on their first trade and close when the symbol's watermark reaches
// their end (or on flush); only a handful are open at once (lateness/interval + 1).
// With corrections on (--allowed-lateness-ms), a final window is kept until
// no correction can reach it any more (its end at or below the horizon,
// watermark - allowed lateness), so a correction can revise it.

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
  /**
   * Trade side (SPEC §1) of the bar's trades: in an open time bar, as classified
   * so far (settle.ts); final once the bar is, since by then all its trades settled.
   */
  buyVolume = 0;
  sellVolume = 0;
  buyCount = 0;
  sellCount = 0;
  /** An activity bar's index per symbol and label; -1 for a time bar. */
  barIndex = -1;
  /** An activity bar that reached its size; false for one cut short by the end of the input or a flush. */
  complete = true;
  /** Final emissions so far beyond the first: a correction emits the bar again, one higher. */
  revision = 0;

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
    this.buyVolume = 0;
    this.sellVolume = 0;
    this.buyCount = 0;
    this.sellCount = 0;
    this.revision = 0;
    this.dirty = false;
    this.lastSentAt = -Infinity;
  }

  /** Counts a trade's side (1 buy, -1 sell, 0 neither). */
  addSide(side: number, volume: number): void {
    if (side > 0) {
      this.buyVolume += volume;
      this.buyCount++;
    } else if (side < 0) {
      this.sellVolume += volume;
      this.sellCount++;
    }
  }

  /** Takes back what addSide counted. */
  removeSide(side: number, volume: number): void {
    if (side > 0) {
      this.buyVolume -= volume;
      this.buyCount--;
    } else if (side < 0) {
      this.sellVolume -= volume;
      this.sellCount--;
    }
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
  /** Final windows a correction may still revise, in ascending start order. */
  private readonly closed: BarWindow[] = [];
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

  /**
   * A correction into a final window: the kept window at `ts`, revised
   * (revision one higher), or a new final window of revision 0 when the
   * window had no trade before. The caller emits it.
   */
  correct(ts: number, price: number, volume: number): BarWindow {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    let i = this.closed.length;
    while (i > 0 && (this.closed[i - 1] as BarWindow).start > start) i--;
    const before = this.closed[i - 1];
    if (before !== undefined && before.start === start) {
      before.add(ts, price, volume);
      before.revision++;
      return before;
    }
    const bar = this.spare.pop() ?? new BarWindow();
    bar.reset(start, start + this.intervalMs, ts, price, volume);
    this.closed.splice(i, 0, bar);
    return bar;
  }

  /** The window a trade at `ts` would go into (open, or final and kept), or undefined when there is none yet. */
  windowAt(ts: number): BarWindow | undefined {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    return find(this.open, start) ?? find(this.closed, start);
  }

  /**
   * A queued trade's side changed from `before` to `after` (0 when it had
   * none, or has none any more): its open window counts the change. Queued
   * trades are stamped at or after the watermark, where the newest windows
   * are: searched from the end.
   */
  changeSide(ts: number, volume: number, before: number, after: number): void {
    const bar = find(this.open, Math.floor(ts / this.intervalMs) * this.intervalMs);
    if (bar === undefined) return;
    bar.removeSide(before, volume);
    bar.addSide(after, volume);
  }

  /**
   * Emits, in start order, every open window with end <= watermark; keeps
   * those ending after `horizon` for corrections, and lets go of the kept
   * ones that no correction can reach any more.
   */
  closeUpTo(watermark: number, emit: BarListener, horizon = watermark): number {
    let closed = 0;
    while (closed < this.open.length && (this.open[closed] as BarWindow).end <= watermark) {
      const bar = this.open[closed] as BarWindow;
      emit(bar, true);
      if (bar.end > horizon) this.closed.push(bar);
      else this.spare.push(bar);
      closed++;
    }
    if (closed > 0) {
      for (let i = closed; i < this.open.length; i++) this.open[i - closed] = this.open[i] as BarWindow;
      this.open.length -= closed;
    }
    let expired = 0;
    while (expired < this.closed.length && (this.closed[expired] as BarWindow).end <= horizon) expired++;
    if (expired > 0) releaseFront(this.closed, expired, this.spare);
    if (this.open.length === 0 && this.closed.length === 0) this.spare.length = 0;
    return closed;
  }

  /** Final windows kept for corrections, in start order. */
  forEachClosed(visit: (bar: BarWindow) => void): void {
    for (const bar of this.closed) visit(bar);
  }

  /** The end of the earliest open window (the next to close), or Infinity. */
  firstEnd(): number {
    const first = this.open[0];
    return first === undefined ? Infinity : first.end;
  }

  /** The end of the latest open window, or -Infinity. */
  lastEnd(): number {
    const last = this.open[this.open.length - 1];
    return last === undefined ? -Infinity : last.end;
  }

  forEachOpen(visit: (bar: BarWindow) => void): void {
    for (const bar of this.open) visit(bar);
  }

  /** Adds a window as a checkpoint holds it (windows arrive in start order): open, or final and kept. */
  restoreWindow(fields: Readonly<BarFields>, final = false): void {
    const bar = this.spare.pop() ?? new BarWindow();
    bar.reset(fields.start, fields.end, fields.openTs, fields.open, 0);
    Object.assign(bar, fields);
    (final ? this.closed : this.open).push(bar);
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

  /** Lets go of the final windows kept for corrections (a flush ends them). */
  forgetClosed(): void {
    for (const bar of this.closed.splice(0)) this.spare.push(bar);
  }

  clear(): void {
    for (const bar of this.open.splice(0)) this.spare.push(bar);
    this.forgetClosed();
  }
}

/** What a checkpoint keeps of a window. */
export type BarFields = Pick<
  BarWindow,
  | 'start'
  | 'end'
  | 'open'
  | 'high'
  | 'low'
  | 'close'
  | 'volume'
  | 'notional'
  | 'tradeCount'
  | 'openTs'
  | 'closeTs'
  | 'buyVolume'
  | 'sellVolume'
  | 'buyCount'
  | 'sellCount'
  | 'revision'
>;

/** The window starting at `start` in a list in ascending start order, searched from the end. */
function find(windows: readonly BarWindow[], start: number): BarWindow | undefined {
  for (let i = windows.length - 1; i >= 0; i--) {
    const bar = windows[i] as BarWindow;
    if (bar.start === start) return bar;
    if (bar.start < start) return undefined;
  }
  return undefined;
}
