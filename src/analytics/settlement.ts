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

// The entries live in plain arrays of doubles, not Float64Arrays: a typed
// array of more than 64 bytes has its memory outside the heap, and with a
// queue per symbol that cost the live latency of trades (docs/benchmarks.md,
// "The bar family"). Entries move in plain loops: copyWithin on such an
// array took 4.6 % of a replaying worker's time.

/** Trades and quotes are told apart by the sign of `volume`: a quote carries -1. */
const QUOTE = -1;
const INITIAL_CAPACITY = 8;
/** A drained queue this large gives its arrays back. */
const SHRINK_CAPACITY = 256;

/** An array of `length` doubles (filled with a fraction, so its elements are doubles from the start). */
function doubles(length: number): number[] {
  return new Array<number>(length).fill(0.5);
}

export class SettleQueue {
  // Read in place by the engine's settling loop, entries [head, tail).
  ts = doubles(INITIAL_CAPACITY);
  /** A trade's price, or a quote's mid. */
  value = doubles(INITIAL_CAPACITY);
  /** A trade's volume, or -1 for a quote. */
  volume = doubles(INITIAL_CAPACITY);
  head = 0;
  private tail = 0;

  addTrade(ts: number, price: number, volume: number): void {
    this.insert(ts, price, volume);
  }

  addQuote(ts: number, bid: number, ask: number): void {
    this.insert(ts, (bid + ask) / 2, QUOTE);
  }

  /** How many entries from `head` on are stamped before `bound`: they settle now. */
  countBefore(bound: number): number {
    let end = this.head;
    while (end < this.tail && (this.ts[end] as number) < bound) end++;
    return end - this.head;
  }

  /** Removes the first `count` entries, once settled. */
  drop(count: number): void {
    this.head += count;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      if (this.ts.length > SHRINK_CAPACITY) this.resize(INITIAL_CAPACITY);
    }
  }

  /** Drops what is stamped after `bound` (a watermark reset); returns how many. */
  dropAfter(bound: number): number {
    let keep = this.tail;
    while (keep > this.head && (this.ts[keep - 1] as number) > bound) keep--;
    const dropped = this.tail - keep;
    this.tail = keep;
    return dropped;
  }

  /** Entries in settle order as (timestamp, price or mid, volume or -1) triples, for checkpoints. */
  entries(): { ts: Float64Array; value: Float64Array; volume: Float64Array } {
    return {
      ts: Float64Array.from(this.ts.slice(this.head, this.tail)),
      value: Float64Array.from(this.value.slice(this.head, this.tail)),
      volume: Float64Array.from(this.volume.slice(this.head, this.tail)),
    };
  }

  /** Appends an entry as entries() gave it (restoring a checkpoint: already in settle order). */
  restore(ts: number, value: number, volume: number): void {
    if (this.tail === this.ts.length) this.makeRoom();
    this.ts[this.tail] = ts;
    this.value[this.tail] = value;
    this.volume[this.tail] = volume;
    this.tail++;
  }

  private insert(ts: number, value: number, volume: number): void {
    if (this.tail === this.ts.length) this.makeRoom();
    const quote = volume === QUOTE;
    let at = this.tail;
    // Move back past what settles after this entry: a later timestamp, or at
    // the same timestamp a trade when this is a quote.
    while (at > this.head) {
      const before = this.ts[at - 1] as number;
      if (before < ts || (before === ts && (!quote || this.volume[at - 1] === QUOTE))) break;
      at--;
    }
    for (let i = this.tail; i > at; i--) {
      this.ts[i] = this.ts[i - 1] as number;
      this.value[i] = this.value[i - 1] as number;
      this.volume[i] = this.volume[i - 1] as number;
    }
    this.ts[at] = ts;
    this.value[at] = value;
    this.volume[at] = volume;
    this.tail++;
  }

  private makeRoom(): void {
    const live = this.tail - this.head;
    if (this.head > 0 && live <= this.ts.length / 2) {
      const { ts, value, volume, head } = this;
      for (let i = 0; i < live; i++) {
        ts[i] = ts[head + i] as number;
        value[i] = value[head + i] as number;
        volume[i] = volume[head + i] as number;
      }
      this.head = 0;
      this.tail = live;
      return;
    }
    this.resize(this.ts.length * 2);
  }

  private resize(capacity: number): void {
    const live = this.tail - this.head;
    const ts = doubles(capacity);
    const value = doubles(capacity);
    const volume = doubles(capacity);
    for (let i = 0; i < live; i++) {
      ts[i] = this.ts[this.head + i] as number;
      value[i] = this.value[this.head + i] as number;
      volume[i] = this.volume[this.head + i] as number;
    }
    this.ts = ts;
    this.value = value;
    this.volume = volume;
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
