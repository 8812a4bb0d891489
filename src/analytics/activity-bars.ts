// Activity bars of one symbol and one label (SPEC §1): a bar takes settled
// trades, in settle order, until its trade count, volume or notional reaches
// the size; the trade that reaches it belongs to the bar, and the next trade
// starts the next one. window_start is the first trade's timestamp and
// window_end the last one's + 1. At most one bar is open at a time.

import type { BarKind } from '../config/bar-interval';
import { BarWindow } from './bar-window';

export class ActivityBars {
  /** The bar being filled; meaningful while `filling`. */
  readonly bar = new BarWindow();
  filling = false;
  /** Index of the next bar to start. */
  nextIndex = 0;

  constructor(
    readonly kind: BarKind,
    readonly size: number,
    readonly label: string,
  ) {}

  /**
   * Adds a settled trade and its side; true when the bar reached its size
   * (the caller emits it, then calls `next`).
   */
  add(ts: number, price: number, volume: number, side: number): boolean {
    const bar = this.bar;
    if (!this.filling) {
      bar.reset(ts, ts + 1, ts, price, volume);
      bar.barIndex = this.nextIndex++;
      bar.complete = false;
      this.filling = true;
    } else {
      bar.add(ts, price, volume);
      bar.end = ts + 1;
    }
    bar.addSide(side, volume);
    if (this.reached()) {
      bar.complete = true;
      return true;
    }
    return false;
  }

  /** Starts over after the filled bar was emitted. */
  next(): void {
    this.filling = false;
    this.bar.dirty = false;
  }

  private reached(): boolean {
    const bar = this.bar;
    switch (this.kind) {
      case 'trades':
        return bar.tradeCount >= this.size;
      case 'volume':
        return bar.volume >= this.size;
      default:
        return bar.notional >= this.size;
    }
  }
}
