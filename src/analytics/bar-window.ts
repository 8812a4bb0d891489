// One window of a symbol's bars (time bars, tumbling-bars.ts; activity
// bars, activity-bars.ts): its OHLCV, trade side, and what live mode and
// corrections keep with it.

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
