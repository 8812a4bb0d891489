// What the chart holds for one (symbol, interval): bars by window start and
// the moving averages of the indicator channel. Bars arrive from three places
// in no fixed order — the subscribe snapshot, live frames (forming and final)
// and /api/bars history — so every merge is idempotent: a final bar is never
// replaced by a forming one, and a live frame replaces an older frame of the
// same window only when its seq is higher.

import type { Bar, Indicator } from './wire-types';

interface Held {
  readonly bar: Bar;
  /** The channel seq it came with; 0 for history, which carries none. */
  readonly seq: number;
}

/** How a bar changed the book: the chart redraws in place, or from scratch. */
export type BookChange = 'none' | 'latest' | 'existing' | 'inserted';

export interface MaPoint {
  /** The start of the bar the average is drawn at, ms. */
  readonly time: number;
  readonly value: number;
}

export class ChartBook {
  private readonly bars = new Map<number, Held>();
  private readonly averages = new Map<number, Indicator>();
  private sorted: number[] | null = [];

  constructor(
    readonly symbol: string,
    readonly interval: string,
    readonly intervalMs: number,
  ) {}

  get size(): number {
    return this.bars.size;
  }

  get indicatorCount(): number {
    return this.averages.size;
  }

  /** A bar from the channel (snapshot, resume or live). */
  offerLive(bar: Bar, seq: number): BookChange {
    const held = this.bars.get(bar.window_start);
    if (held !== undefined && ((held.bar.final && !bar.final) || (held.seq > 0 && seq <= held.seq))) return 'none';
    return this.put(bar, seq);
  }

  /** A final bar from /api/bars. */
  offerHistory(bar: Bar): BookChange {
    const held = this.bars.get(bar.window_start);
    if (held !== undefined && held.bar.final) return 'none';
    return this.put(bar, held?.seq ?? 0);
  }

  private put(bar: Bar, seq: number): BookChange {
    const existed = this.bars.has(bar.window_start);
    const latest = this.latestStart();
    this.bars.set(bar.window_start, { bar, seq });
    if (existed) return bar.window_start === latest ? 'latest' : 'existing';
    this.sorted = null;
    return latest === null || bar.window_start > latest ? 'latest' : 'inserted';
  }

  offerIndicator(indicator: Indicator): boolean {
    if (this.averages.has(indicator.window_end)) return false;
    this.averages.set(indicator.window_end, indicator);
    return true;
  }

  private starts(): number[] {
    this.sorted ??= [...this.bars.keys()].sort((a, b) => a - b);
    return this.sorted;
  }

  latestStart(): number | null {
    const starts = this.starts();
    return starts.length === 0 ? null : (starts[starts.length - 1] as number);
  }

  firstStart(): number | null {
    return this.starts()[0] ?? null;
  }

  allBars(): Bar[] {
    return this.starts().map((start) => (this.bars.get(start) as Held).bar);
  }

  get(start: number): Bar | undefined {
    return this.bars.get(start)?.bar;
  }

  /** The start of the bar that holds an event time, or the nearest earlier bar. */
  barAtOrBefore(time: number): number | null {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    let found: number | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const start = starts[mid] as number;
      if (start <= time) {
        found = start;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * One average per bar, drawn at the bar whose window holds the indicator's
   * last millisecond: the average as it stood when that bar closed. Points
   * sit on existing bars only, because a point at a time without a candle
   * would open an empty slot in the candle series.
   */
  maPoints(): MaPoint[] {
    const byBar = new Map<number, number>();
    const ends = [...this.averages.keys()].sort((a, b) => a - b);
    for (const end of ends) {
      const start = this.barAtOrBefore(end - 1);
      if (start !== null) byBar.set(start, (this.averages.get(end) as Indicator).ma);
    }
    return [...byBar].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
  }
}
