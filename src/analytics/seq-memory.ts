// Remembers the (exchange, seq) of a symbol's accepted ticks for de-duplication.
//
// The engine checks lateness before duplication, so a repeat whose timestamp
// is behind the watermark is `late` whatever its seq. The memory therefore
// only has to cover ticks at or after the watermark: a seq is forgotten once
// its tick's timestamp falls behind it, which bounds memory by the lateness
// span. (A repeat of an old seq with a new, non-late timestamp is a different
// tick to this rule; tickflow accepts it. See docs/semantics.md.)
//
// Feeds number their ticks in order, so the common case is a seq above every
// remembered one: that is answered by one comparison and remembered by an
// append, with no hashing (seq-memory was 25 % of a worker's profile of
// `tickflow replay` before this fast path). A seq that arrives out of order
// switches that exchange to a Map until its memory empties again.

import { doubles } from './doubles';

/** Small: most symbols of a large universe hold a few seqs. */
const INITIAL_CAPACITY = 8;

class ExchangeSeqs {
  /** Arrival-ordered queue of remembered (seq, timestamp) pairs, two numbers each, in [head, tail). */
  private e = doubles(2 * INITIAL_CAPACITY);
  private head = 0;
  private tail = 0;
  /** Non-null once a seq arrived out of order: then it answers membership. */
  private index: Map<number, number> | null = null;

  constructor(readonly exchangeId: number) {}

  get size(): number {
    return this.tail - this.head;
  }

  has(seq: number): boolean {
    if (this.index !== null) return this.index.has(seq);
    const e = this.e;
    if (this.tail === this.head || seq > (e[2 * (this.tail - 1)] as number)) return false;
    let lo = this.head;
    let hi = this.tail - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((e[2 * mid] as number) < seq) lo = mid + 1;
      else hi = mid;
    }
    return e[2 * lo] === seq;
  }

  remember(seq: number, ts: number): void {
    if (this.index === null && this.tail > this.head && seq <= (this.e[2 * (this.tail - 1)] as number)) {
      this.index = new Map();
      for (let i = this.head; i < this.tail; i++) this.index.set(this.e[2 * i] as number, this.e[2 * i + 1] as number);
    }
    this.index?.set(seq, ts);
    if (2 * this.tail === this.e.length) this.makeRoom();
    this.e[2 * this.tail] = seq;
    this.e[2 * this.tail + 1] = ts;
    this.tail++;
  }

  /** Remembered (seq, timestamp) pairs in arrival order (copies; typed, so a checkpoint copies them into its buffer in one go). */
  entries(): { seqs: Float64Array; timestamps: Float64Array } {
    const n = this.tail - this.head;
    const seqs = new Float64Array(n);
    const timestamps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      seqs[i] = this.e[2 * (this.head + i)] as number;
      timestamps[i] = this.e[2 * (this.head + i) + 1] as number;
    }
    return { seqs, timestamps };
  }

  forgetBefore(watermark: number): void {
    const { index, e } = this;
    while (this.head < this.tail && (e[2 * this.head + 1] as number) < watermark) {
      const seq = e[2 * this.head] as number;
      if (index !== null && index.get(seq) === e[2 * this.head + 1]) index.delete(seq);
      this.head++;
    }
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      this.index = null;
      // Quiet for the lateness: give back what a burst grew.
      if (e.length > 2 * INITIAL_CAPACITY) this.e = doubles(2 * INITIAL_CAPACITY);
    }
  }

  /** Forgets the seqs of ticks stamped after `bound`, keeping arrival order. */
  forgetAfter(bound: number): void {
    const { seqs, timestamps } = this.entries();
    const kept: Array<[number, number]> = [];
    for (let i = 0; i < seqs.length; i++) {
      if ((timestamps[i] as number) <= bound) kept.push([seqs[i] as number, timestamps[i] as number]);
    }
    if (kept.length === seqs.length) return;
    this.head = 0;
    this.tail = 0;
    this.index = null;
    for (const [seq, ts] of kept) this.remember(seq, ts);
  }

  private makeRoom(): void {
    const { head, tail } = this;
    const live = tail - head;
    // Entries move in plain loops (copyWithin is slow on plain arrays).
    const e = live * 4 > this.e.length ? doubles(this.e.length * 2) : this.e;
    for (let i = 0; i < 2 * live; i++) e[i] = this.e[2 * head + i] as number;
    this.e = e;
    this.head = 0;
    this.tail = live;
  }
}

const NO_EXCHANGES: readonly ExchangeSeqs[] = [];

export class SeqMemory {
  /**
   * The first exchange the symbol trades on (most trade on one: no list to
   * go through on every tick), then the others: a handful, so a list, made
   * again one longer for each by concat(), which makes it at its length (a
   * list pushed to, or spread, holds room for 17).
   */
  private first: ExchangeSeqs | null = null;
  private others = NO_EXCHANGES;

  has(exchangeId: number, seq: number): boolean {
    return this.find(exchangeId)?.has(seq) ?? false;
  }

  remember(exchangeId: number, seq: number, ts: number): void {
    let seqs = this.find(exchangeId);
    if (seqs === undefined) {
      seqs = new ExchangeSeqs(exchangeId);
      if (this.first === null) this.first = seqs;
      else this.others = this.others.concat([seqs]);
    }
    seqs.remember(seq, ts);
  }

  forgetBefore(watermark: number): void {
    this.first?.forgetBefore(watermark);
    for (const seqs of this.others) seqs.forgetBefore(watermark);
  }

  /** Lets go of the exchanges with nothing remembered (a quiet symbol), so they cost nothing until they trade again. */
  dropEmpty(): void {
    const all = this.all();
    if (all.every((seqs) => seqs.size > 0)) return;
    const kept = all.filter((seqs) => seqs.size > 0);
    this.first = kept[0] ?? null;
    // slice(): a filtered list holds room for 17.
    this.others = kept.length > 1 ? kept.slice(1) : NO_EXCHANGES;
  }

  /** Forgets the seqs of ticks stamped after `bound` (a watermark reset). */
  forgetAfter(bound: number): void {
    for (const seqs of this.all()) seqs.forgetAfter(bound);
  }

  /** What each exchange remembers, for checkpoints. */
  exchangesWithEntries(): Array<{ exchangeId: number; seqs: Float64Array; timestamps: Float64Array }> {
    return this.all().map((e) => ({ exchangeId: e.exchangeId, ...e.entries() }));
  }

  private all(): ExchangeSeqs[] {
    return this.first === null ? [] : [this.first, ...this.others];
  }

  private find(exchangeId: number): ExchangeSeqs | undefined {
    const first = this.first;
    if (first === null || first.exchangeId === exchangeId) return first ?? undefined;
    for (const seqs of this.others) if (seqs.exchangeId === exchangeId) return seqs;
    return undefined;
  }
}
