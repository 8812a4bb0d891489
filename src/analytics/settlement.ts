// A symbol's trades and quotes waiting to settle (SPEC §1, "Activity bars,
// trade side and corrections"). A tick settles once the symbol's watermark
// passes it (timestamp < W): from then on no accepted tick can come before
// it, so activity bars and trade-side classification see every symbol's
// ticks in one order whatever order they arrived in.
//
// The queue holds them in settle order: by timestamp; at one timestamp,
// quotes before trades (a trade is classified against the quote with the
// greatest timestamp <= its own, so a quote stamped with the trade's own
// millisecond counts even if it arrived after the trade); otherwise in
// arrival order (the latest quote of a millisecond wins, and trades of a
// millisecond keep their arrival order). Feeds are mostly in order, so an
// insert is almost always an append.

// The entries live in a plain array of doubles (doubles.ts), not Float64Arrays: a typed
// array of more than 64 bytes has its memory outside the heap, and with a
// queue per symbol that cost the live latency of trades (docs/benchmarks.md,
// "The bar family"). Entries move in plain loops: copyWithin on such an
// array took 4.6 % of a replaying worker's time.

import { doubles } from './doubles';

/** Trades and quotes are told apart by the sign of `volume`: a quote carries -1. */
const QUOTE = -1;
const INITIAL_CAPACITY = 8;
/** A drained queue this large gives its arrays back. */
const SHRINK_CAPACITY = 256;
/** The most a queue grows to at once from its entries' rate; past it, it doubles. */
const JUMP_CAPACITY = 256;

/** Told when a queued trade's side changed from `before` to `after` (an earlier entry arrived after it). */
export interface SideListener {
  countSide(ts: number, volume: number, before: Side, after: Side): void;
}

/**
 * Each entry's trade side is known from the moment it is queued: it is the
 * classification of the queue, in settle order, from the settled state on.
 * An entry appended at the end (a feed in order) is classified against the
 * entry before it; one that lands earlier classifies again every trade after
 * it, and the changes are reported, so the bars that count trade side can be
 * kept up to date while the trades are still in their open bars. Settling
 * then only moves the settled state past what the watermark passed.
 */
export class SettleQueue {
  /**
   * Entries [head, tail), four numbers each (one array, not four: a symbol
   * has a queue): timestamp; a trade's price, or a quote's mid; a trade's
   * volume, or -1 for a quote; a trade's side (1 buy, -1 sell, 0 neither),
   * 0 for a quote. Read in place by settle().
   */
  e = doubles(4 * INITIAL_CAPACITY);
  head = 0;
  private tail = 0;
  /** The classification after the last entry. */
  private readonly last = new SideClassifier();

  /**
   * `settled`: the classification after the last settled entry, which
   * settling moves on; `changed`: told of every queued trade whose side
   * changed (the symbol itself: no closure a symbol); `holdMs`: about how long an entry waits to settle (the lateness).
   */
  constructor(
    readonly settled: SideClassifier,
    private readonly changed: SideListener,
    private readonly holdMs = 0,
  ) {
    this.last.copy(settled);
  }

  /** Queues a trade; returns its side. Entries stamped before `settledBefore` may be let go to make room. */
  addTrade(ts: number, price: number, volume: number, settledBefore: number): Side {
    return this.insert(ts, price, volume, settledBefore);
  }

  addQuote(ts: number, bid: number, ask: number, settledBefore: number): void {
    this.insert(ts, (bid + ask) / 2, QUOTE, settledBefore);
  }

  /** Lets go of the entries stamped before `bound`: settled, with no activity bar to feed. */
  letGo(bound: number): void {
    const count = this.countBefore(bound);
    if (count > 0) this.drop(count);
  }

  /** How many entries from `head` on are stamped before `bound`: they settle now. */
  countBefore(bound: number): number {
    let end = this.head;
    while (end < this.tail && (this.e[4 * end] as number) < bound) end++;
    return end - this.head;
  }

  /** Removes the first `count` entries, once settled, moving the settled classification past them. */
  drop(count: number): void {
    const settled = this.settled;
    const end = this.head + count;
    for (let i = this.head; i < end; i++) {
      const volume = this.e[4 * i + 2] as number;
      if (volume === QUOTE) settled.quote(this.e[4 * i + 1] as number);
      else settled.settle(this.e[4 * i + 1] as number, this.e[4 * i + 3] as Side);
    }
    this.head = end;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      if (this.capacity > SHRINK_CAPACITY) this.resize(INITIAL_CAPACITY);
    }
  }

  /** Drops what is stamped after `bound` (a watermark reset), reporting each trade's side as gone; returns how many. */
  dropAfter(bound: number): number {
    let keep = this.tail;
    while (keep > this.head && (this.e[4 * (keep - 1)] as number) > bound) keep--;
    for (let i = keep; i < this.tail; i++) {
      const volume = this.e[4 * i + 2] as number;
      const side = this.e[4 * i + 3] as Side;
      if (volume !== QUOTE && side !== 0) this.changed.countSide(this.e[4 * i] as number, volume, side, 0);
    }
    const dropped = this.tail - keep;
    this.tail = keep;
    this.classifyBefore(keep, this.last);
    return dropped;
  }

  /** Entries queued. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Entries it can hold. */
  get capacity(): number {
    return this.e.length >> 2;
  }

  /** Entries in settle order: timestamp, price or mid, volume or -1, and side (checkpoints keep the first three). */
  entries(): { ts: Float64Array; value: Float64Array; volume: Float64Array; side: Float64Array } {
    const n = this.tail - this.head;
    const columns = { ts: new Float64Array(n), value: new Float64Array(n), volume: new Float64Array(n), side: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const at = 4 * (this.head + i);
      columns.ts[i] = this.e[at] as number;
      columns.value[i] = this.e[at + 1] as number;
      columns.volume[i] = this.e[at + 2] as number;
      columns.side[i] = this.e[at + 3] as number;
    }
    return columns;
  }

  /**
   * Appends an entry as entries() gave it (restoring a checkpoint: already in
   * settle order, after the settled classification was restored); returns a
   * trade's side.
   */
  restore(ts: number, value: number, volume: number): Side {
    if (this.tail === this.capacity) this.makeRoom(-Infinity);
    return this.classifyAppended(this.write(this.tail++, ts, value, volume));
  }

  private insert(ts: number, value: number, volume: number, settledBefore: number): Side {
    if (this.tail === this.capacity) this.makeRoom(settledBefore);
    const quote = volume === QUOTE;
    let at = this.tail;
    // Move back past what settles after this entry: a later timestamp, or at
    // the same timestamp a trade when this is a quote.
    while (at > this.head) {
      const before = this.e[4 * (at - 1)] as number;
      if (before < ts || (before === ts && (!quote || this.e[4 * (at - 1) + 2] === QUOTE))) break;
      at--;
    }
    const e = this.e;
    for (let j = 4 * this.tail + 3; j >= 4 * (at + 1); j--) e[j] = e[j - 4] as number;
    this.write(at, ts, value, volume);
    this.tail++;
    if (at === this.tail - 1) return this.classifyAppended(at);
    return this.classifyFrom(at);
  }

  private write(at: number, ts: number, value: number, volume: number): number {
    this.e[4 * at] = ts;
    this.e[4 * at + 1] = value;
    this.e[4 * at + 2] = volume;
    this.e[4 * at + 3] = 0;
    return at;
  }

  private classifyAppended(at: number): Side {
    const value = this.e[4 * at + 1] as number;
    if (this.e[4 * at + 2] === QUOTE) {
      this.last.quote(value);
      return 0;
    }
    const side = this.last.trade(value);
    this.e[4 * at + 3] = side;
    return side;
  }

  /**
   * Classifies again every entry from `from` on (a new entry landed there),
   * reporting the trades whose side changed; returns the new entry's side.
   */
  private classifyFrom(from: number): Side {
    const last = this.last;
    this.classifyBefore(from, last);
    for (let i = from; i < this.tail; i++) {
      const value = this.e[4 * i + 1] as number;
      const volume = this.e[4 * i + 2] as number;
      if (volume === QUOTE) {
        last.quote(value);
        continue;
      }
      const side = last.trade(value);
      const before = this.e[4 * i + 3] as Side;
      this.e[4 * i + 3] = side;
      if (i !== from && side !== before) this.changed.countSide(this.e[4 * i] as number, volume, before, side);
    }
    return this.e[4 * from + 3] as Side;
  }

  /** Sets `into` to the classification after the entries before `end`. */
  private classifyBefore(end: number, into: SideClassifier): void {
    into.copy(this.settled);
    let quoteFound = false;
    let tradeFound = false;
    for (let i = end - 1; i >= this.head && !(quoteFound && tradeFound); i--) {
      const volume = this.e[4 * i + 2] as number;
      if (volume === QUOTE) {
        if (!quoteFound) into.mid = this.e[4 * i + 1] as number;
        quoteFound = true;
      } else if (!tradeFound) {
        into.settle(this.e[4 * i + 1] as number, this.e[4 * i + 3] as Side);
        tradeFound = true;
      }
    }
  }

  /** Lets go of settled entries (stamped before `settledBefore`) and, failing that, grows. */
  private makeRoom(settledBefore: number): void {
    this.letGo(settledBefore);
    const live = this.tail - this.head;
    if (this.tail < this.capacity) return;
    if (this.head > 0 && live <= this.capacity / 2) {
      const { e, head } = this;
      for (let i = 0; i < 4 * live; i++) e[i] = e[4 * head + i] as number;
      this.head = 0;
      this.tail = live;
      return;
    }
    this.resize(this.grownCapacity(live));
  }

  /**
   * Twice the capacity, or at once (up to JUMP_CAPACITY) what the entries'
   * rate needs to hold `holdMs` of ticks twice over. A queue filling up after
   * start then reallocates once or twice, not at every doubling: each array
   * it lets go of had lived long enough to be promoted to the old generation,
   * so every symbol's queue growing in the first seconds brought a major
   * collection into the live tail of trades (docs/benchmarks.md, "The bar family").
   */
  private grownCapacity(live: number): number {
    let capacity = this.capacity * 2;
    const span = (this.e[4 * (this.tail - 1)] as number) - (this.e[4 * this.head] as number);
    if (live < 2 || !(span > 0) || span >= this.holdMs) return capacity;
    const wanted = Math.min(JUMP_CAPACITY, (2 * live * this.holdMs) / span);
    while (capacity < wanted) capacity *= 2;
    return capacity;
  }

  private resize(capacity: number): void {
    const live = this.tail - this.head;
    const e = doubles(4 * capacity);
    for (let i = 0; i < 4 * live; i++) e[i] = this.e[4 * this.head + i] as number;
    this.e = e;
    this.head = 0;
    this.tail = live;
  }
}

/** A settled trade's side: 1 buy, -1 sell, 0 neither. */
export type Side = 1 | -1 | 0;

/**
 * Classifies settled trades: by the quote rule against the latest settled
 * quote's mid, then by the tick rule against the previous settled trade.
 */
export class SideClassifier {
  /** Mid of the settled quote with the greatest timestamp; NaN before the first. */
  mid = NaN;
  /** Price and side of the previous settled trade; NaN before the first. */
  lastPrice = NaN;
  lastSide: Side = 0;

  quote(mid: number): void {
    this.mid = mid;
  }

  /** A trade whose side is known: the next trade's tick rule compares with it. */
  settle(price: number, side: Side): void {
    this.lastPrice = price;
    this.lastSide = side;
  }

  copy(from: SideClassifier): void {
    this.mid = from.mid;
    this.lastPrice = from.lastPrice;
    this.lastSide = from.lastSide;
  }

  trade(price: number): Side {
    let side: Side;
    if (price > this.mid) side = 1;
    else if (price < this.mid) side = -1;
    else if (price > this.lastPrice) side = 1;
    else if (price < this.lastPrice) side = -1;
    else side = this.lastSide;
    this.lastPrice = price;
    this.lastSide = side;
    return side;
  }
}
