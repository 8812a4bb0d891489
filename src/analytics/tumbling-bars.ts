// Tumbling, epoch-aligned OHLCV bars of one symbol and one interval. Windows
// open on their first trade and close when the symbol's watermark reaches
// their end (or on flush); only a handful are open at once (lateness/interval + 1).
// With corrections on (--allowed-lateness-ms), a final window is kept until
// no correction can reach it any more (its end at or below the horizon,
// watermark - allowed lateness), so a correction can revise it.

import { doubles } from './doubles';

/** BarWindow's numbers that are not small integers, by index in its array. */
const START = 0;
const END = 1;
const OPEN = 2;
const HIGH = 3;
const LOW = 4;
const CLOSE = 5;
const VOLUME = 6;
const NOTIONAL = 7;
const LAST_SENT_AT = 8;
const OPEN_TS = 9;
const CLOSE_TS = 10;
const BUY_VOLUME = 11;
const SELL_VOLUME = 12;
const NUMBERS = 13;

/**
 * One window. Its numbers that are not small integers (times, prices,
 * volumes) live in one plain array of doubles behind accessors: a double
 * in a field of its own is a heap number of its own, and at two or three
 * windows a symbol those were about 500 bytes a symbol at 50,000 symbols
 * (docs/benchmarks.md, "State per symbol").
 */
export class BarWindow {
  private readonly n = doubles(NUMBERS, 0);
  tradeCount = 0;
  /** Live mode: changed since its last forming update (lastSentAt: when that was, processing ms). */
  dirty = false;
  /**
   * Trade side (SPEC §1) of the bar's trades (buyVolume and sellVolume
   * too): in an open time bar, as classified so far (settle.ts); final once
   * the bar is, since by then all its trades settled.
   */
  buyCount = 0;
  sellCount = 0;
  /** An activity bar's index per symbol and label; -1 for a time bar. */
  barIndex = -1;
  /** An activity bar that reached its size; false for one cut short by the end of the input or a flush. */
  complete = true;
  /** Final emissions so far beyond the first: a correction emits the bar again, one higher. */
  revision = 0;
  /**
   * How many times the window was reset: windows are reused, by any symbol
   * of the thread, so one filed for a forming update (forming-schedule.ts)
   * is still that window only while this is unchanged.
   */
  epoch = 0;
  /** Neighbours in its symbol's list of windows (TumblingBars); null at either end or outside a list. */
  prev: BarWindow | null = null;
  next: BarWindow | null = null;

  constructor() {
    this.n[LAST_SENT_AT] = -Infinity;
  }

  get start(): number {
    return this.n[START] as number;
  }
  set start(value: number) {
    this.n[START] = value;
  }
  get end(): number {
    return this.n[END] as number;
  }
  set end(value: number) {
    this.n[END] = value;
  }
  get open(): number {
    return this.n[OPEN] as number;
  }
  set open(value: number) {
    this.n[OPEN] = value;
  }
  get high(): number {
    return this.n[HIGH] as number;
  }
  set high(value: number) {
    this.n[HIGH] = value;
  }
  get low(): number {
    return this.n[LOW] as number;
  }
  set low(value: number) {
    this.n[LOW] = value;
  }
  get close(): number {
    return this.n[CLOSE] as number;
  }
  set close(value: number) {
    this.n[CLOSE] = value;
  }
  /** Exact: the engine refuses a trade that would take it past 2^53 - 1 (PartitionEngine.overflow). */
  get volume(): number {
    return this.n[VOLUME] as number;
  }
  set volume(value: number) {
    this.n[VOLUME] = value;
  }
  /** Sum of price * volume, for the VWAP; kept finite the same way. */
  get notional(): number {
    return this.n[NOTIONAL] as number;
  }
  set notional(value: number) {
    this.n[NOTIONAL] = value;
  }
  get lastSentAt(): number {
    return this.n[LAST_SENT_AT] as number;
  }
  set lastSentAt(value: number) {
    this.n[LAST_SENT_AT] = value;
  }
  /** Timestamps of the trades that set open and close. */
  get openTs(): number {
    return this.n[OPEN_TS] as number;
  }
  set openTs(value: number) {
    this.n[OPEN_TS] = value;
  }
  get closeTs(): number {
    return this.n[CLOSE_TS] as number;
  }
  set closeTs(value: number) {
    this.n[CLOSE_TS] = value;
  }
  get buyVolume(): number {
    return this.n[BUY_VOLUME] as number;
  }
  set buyVolume(value: number) {
    this.n[BUY_VOLUME] = value;
  }
  get sellVolume(): number {
    return this.n[SELL_VOLUME] as number;
  }
  set sellVolume(value: number) {
    this.n[SELL_VOLUME] = value;
  }

  reset(start: number, end: number, ts: number, price: number, volume: number): void {
    this.epoch++;
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

/** Spare windows, shared by every symbol of the thread, up to this many. */
const SPARES = 4096;
const spares: BarWindow[] = [];

function spare(): BarWindow {
  return spares.pop() ?? new BarWindow();
}

function giveBack(bar: BarWindow): void {
  bar.prev = bar.next = null;
  bar.dirty = false;
  if (spares.length < SPARES) spares.push(bar);
}

/**
 * A symbol's windows of one interval, in ascending start order, as a list
 * linked through the windows themselves. A handful at most are open at once,
 * and a large universe has three or more lists per symbol: JS arrays (three
 * per interval, each 17 slots once pushed to) cost a symbol about 650 bytes
 * at 50,000 symbols, where two links a window cost nothing more
 * (docs/benchmarks.md, "State per symbol").
 */
class WindowList {
  first: BarWindow | null = null;
  last: BarWindow | null = null;

  /** The window starting at `start`, searched from the newest; undefined when there is none. */
  find(start: number): BarWindow | undefined {
    for (let bar = this.last; bar !== null; bar = bar.prev) {
      if (bar.start === start) return bar;
      if (bar.start < start) return undefined;
    }
    return undefined;
  }

  /** Puts `bar` after every window starting before it (from the newest). */
  insert(bar: BarWindow): void {
    let after = this.last;
    while (after !== null && after.start > bar.start) after = after.prev;
    bar.prev = after;
    bar.next = after === null ? this.first : after.next;
    if (bar.next === null) this.last = bar;
    else bar.next.prev = bar;
    if (after === null) this.first = bar;
    else after.next = bar;
  }

  /** Takes out the oldest window, which the caller holds. */
  shift(): void {
    const bar = this.first as BarWindow;
    this.first = bar.next;
    if (this.first === null) this.last = null;
    else this.first.prev = null;
    bar.prev = bar.next = null;
  }

  /** Gives back every window. */
  clear(): void {
    for (let bar = this.first; bar !== null;) {
      const next = bar.next;
      giveBack(bar);
      bar = next;
    }
    this.first = this.last = null;
  }
}

export class TumblingBars {
  /** Open windows. */
  private readonly open = new WindowList();
  /** Final windows a correction may still revise; made when corrections first keep one. */
  private closed: WindowList | null = null;

  constructor(
    readonly intervalMs: number,
    readonly label: string,
  ) {}

  /** Adds a trade; returns the window it went into. */
  add(ts: number, price: number, volume: number): BarWindow {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    const found = this.open.find(start);
    if (found !== undefined) {
      found.add(ts, price, volume);
      return found;
    }
    const bar = spare();
    bar.reset(start, start + this.intervalMs, ts, price, volume);
    this.open.insert(bar);
    return bar;
  }

  /**
   * A correction into a final window: the kept window at `ts`, revised
   * (revision one higher), or a new final window of revision 0 when the
   * window had no trade before. The caller emits it.
   */
  correct(ts: number, price: number, volume: number): BarWindow {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    const found = this.closed?.find(start);
    if (found !== undefined) {
      found.add(ts, price, volume);
      found.revision++;
      return found;
    }
    const bar = spare();
    bar.reset(start, start + this.intervalMs, ts, price, volume);
    this.kept().insert(bar);
    return bar;
  }

  /** The window a trade at `ts` would go into (open, or final and kept), or undefined when there is none yet. */
  windowAt(ts: number): BarWindow | undefined {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    return this.open.find(start) ?? this.closed?.find(start);
  }

  /**
   * A queued trade's side changed from `before` to `after` (0 when it had
   * none, or has none any more): its open window counts the change. Queued
   * trades are stamped at or after the watermark, where the newest windows
   * are: searched from the end.
   */
  changeSide(ts: number, volume: number, before: number, after: number): void {
    const bar = this.open.find(Math.floor(ts / this.intervalMs) * this.intervalMs);
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
    for (let bar = this.open.first; bar !== null && bar.end <= watermark; bar = this.open.first) {
      this.open.shift();
      emit(bar, true);
      if (bar.end > horizon) this.kept().insert(bar);
      else giveBack(bar);
      closed++;
    }
    const kept = this.closed;
    if (kept === null) return closed;
    for (let bar = kept.first; bar !== null && bar.end <= horizon; bar = kept.first) {
      kept.shift();
      giveBack(bar);
    }
    return closed;
  }

  /** Final windows kept for corrections, in start order. */
  forEachClosed(visit: (bar: BarWindow) => void): void {
    for (let bar = this.closed?.first ?? null; bar !== null; bar = bar.next) visit(bar);
  }

  /** The end of the earliest open window (the next to close), or Infinity. */
  firstEnd(): number {
    return this.open.first === null ? Infinity : this.open.first.end;
  }

  /** The end of the latest open window, or -Infinity. */
  lastEnd(): number {
    return this.open.last === null ? -Infinity : this.open.last.end;
  }

  forEachOpen(visit: (bar: BarWindow) => void): void {
    for (let bar = this.open.first; bar !== null; bar = bar.next) visit(bar);
  }

  /** Adds a window as a checkpoint holds it (windows arrive in start order): open, or final and kept. */
  restoreWindow(fields: Readonly<BarFields>, final = false): void {
    const bar = spare();
    bar.reset(fields.start, fields.end, fields.openTs, fields.open, 0);
    Object.assign(bar, fields);
    (final ? this.kept() : this.open).insert(bar);
  }

  /**
   * Drops the open windows that start after `bound` (a watermark reset
   * discarding what was stamped ahead of the clock); returns how many.
   */
  discardAfter(bound: number): number {
    let dropped = 0;
    for (let bar = this.open.last; bar !== null && bar.start > bound; bar = this.open.last) {
      this.open.last = bar.prev;
      if (bar.prev === null) this.open.first = null;
      else bar.prev.next = null;
      giveBack(bar);
      dropped++;
    }
    return dropped;
  }

  /** Lets go of the final windows kept for corrections (a flush ends them). */
  forgetClosed(): void {
    this.closed?.clear();
  }

  clear(): void {
    this.open.clear();
    this.forgetClosed();
  }

  private kept(): WindowList {
    return (this.closed ??= new WindowList());
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
