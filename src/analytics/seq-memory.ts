// Remembers the (exchange, seq) of a symbol's accepted ticks for de-duplication.
//
// The engine checks lateness before duplication, so a repeat whose timestamp
// is behind the watermark is `late` whatever its seq. The memory therefore
// only has to cover ticks at or after the watermark: a seq is forgotten once
// its tick's timestamp falls behind it, which bounds memory by the lateness
// span. (A repeat of an old seq with a new, non-late timestamp is a different
// tick to this rule; tickflow accepts it. See docs/semantics.md.)

class ExchangeSeqs {
  readonly seen = new Map<number, number>();
  // Eviction queue in arrival order: seqs[i] was accepted with timestamps[i].
  private seqs: number[] = [];
  private timestamps: number[] = [];
  private head = 0;

  remember(seq: number, ts: number): void {
    this.seen.set(seq, ts);
    this.seqs.push(seq);
    this.timestamps.push(ts);
  }

  forgetBefore(watermark: number): void {
    while (this.head < this.seqs.length && (this.timestamps[this.head] as number) < watermark) {
      const seq = this.seqs[this.head] as number;
      if (this.seen.get(seq) === this.timestamps[this.head]) this.seen.delete(seq);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.timestamps = this.timestamps.slice(this.head);
      this.head = 0;
    }
  }
}

export class SeqMemory {
  private readonly byExchange = new Map<number, ExchangeSeqs>();

  has(exchangeId: number, seq: number): boolean {
    return this.byExchange.get(exchangeId)?.seen.has(seq) ?? false;
  }

  remember(exchangeId: number, seq: number, ts: number): void {
    let seqs = this.byExchange.get(exchangeId);
    if (seqs === undefined) {
      seqs = new ExchangeSeqs();
      this.byExchange.set(exchangeId, seqs);
    }
    seqs.remember(seq, ts);
  }

  forgetBefore(watermark: number): void {
    for (const seqs of this.byExchange.values()) seqs.forgetBefore(watermark);
  }
}
