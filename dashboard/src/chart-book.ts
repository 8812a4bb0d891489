// What the chart holds for one (symbol, interval): bars by key and the moving
// averages of the indicator channel. Bars arrive from three places in no
// fixed order — the subscribe snapshot, live frames (forming and final) and
// /api/bars history — so every merge is idempotent: a final bar is never
// replaced by a forming one nor by a lower revision, a correction (a final
// bar with a higher revision) replaces the one held, and a live frame
// replaces an older frame of the same bar only when its seq is higher.
//
// A time bar's key is its window_start. An activity bar's is its bar_index
// (SPEC §1): several of them can start in one millisecond. The chart's axis
// needs strictly increasing times, so each book also says where a key sits
// on it: a time bar at its start in seconds, an activity bar at its index,
// a synthetic axis whose labels the chart panel reads from the bars.

import type { IntervalSpec } from './intervals';
import type { Bar, Indicator } from './wire-types';

interface Held {
  readonly bar: Bar;
  /** The channel seq it came with; 0 for history, which carries none. */
  readonly seq: number;
}

/** How a bar changed the book: the chart redraws in place, or from scratch. */
export type BookChange = 'none' | 'latest' | 'existing' | 'inserted';

export interface Offer {
  readonly change: BookChange;
  /** The bar's key, null when the bar has none (an activity bar without bar_index). */
  readonly key: number | null;
}

export interface MaPoint {
  /** The key of the bar the average is drawn at. */
  readonly time: number;
  readonly value: number;
}

/** A record's revision; records from before corrections existed carry none and count as the first. */
function revisionOf(record: { readonly revision?: number }): number {
  return typeof record.revision === 'number' ? record.revision : 0;
}

export class ChartBook {
  private readonly bars = new Map<number, Held>();
  private readonly averages = new Map<number, Indicator>();
  private sorted: number[] | null = [];

  constructor(
    readonly symbol: string,
    readonly spec: IntervalSpec,
  ) {}

  get interval(): string {
    return this.spec.label;
  }

  /** Activity bars are keyed and placed by bar_index, time bars by window_start. */
  get activity(): boolean {
    return this.spec.kind === 'activity';
  }

  get size(): number {
    return this.bars.size;
  }

  get indicatorCount(): number {
    return this.averages.size;
  }

  keyOf(bar: Bar): number | null {
    if (!this.activity) return bar.window_start;
    return typeof bar.bar_index === 'number' && Number.isSafeInteger(bar.bar_index) ? bar.bar_index : null;
  }

  /** Where a key sits on the chart's time axis (whole seconds for time bars, the index for activity bars). */
  axisTime(key: number): number {
    return this.activity ? key : Math.floor(key / 1000);
  }

  /** The key of the bar drawn at an axis time. */
  keyAt(axisTime: number): number {
    return this.activity ? axisTime : axisTime * 1000;
  }

  /** How much of the axis n bars take. */
  axisSpan(bars: number): number {
    return this.spec.kind === 'activity' ? bars : (bars * this.spec.ms) / 1000;
  }

  /**
   * Milliseconds of event time per bar: the interval for time bars; for
   * activity bars the average over the bars held, null with fewer than two.
   */
  msPerBar(): number | null {
    if (this.spec.kind === 'time') return this.spec.ms;
    const keys = this.keys();
    if (keys.length < 2) return null;
    const first = this.get(keys[0] as number) as Bar;
    const last = this.get(keys[keys.length - 1] as number) as Bar;
    return Math.max(1, (last.window_start - first.window_start) / (keys.length - 1));
  }

  /** A bar from the channel (snapshot, resume or live). */
  offerLive(bar: Bar, seq: number): Offer {
    const key = this.keyOf(bar);
    if (key === null) return { change: 'none', key };
    const held = this.bars.get(key);
    if (held !== undefined) {
      if (held.bar.final && !bar.final) return { change: 'none', key };
      if (held.bar.final && revisionOf(bar) !== revisionOf(held.bar)) {
        return revisionOf(bar) > revisionOf(held.bar) ? this.put(key, bar, seq) : { change: 'none', key };
      }
      if (held.seq > 0 && seq <= held.seq) return { change: 'none', key };
    }
    return this.put(key, bar, seq);
  }

  /** A final bar from /api/bars. */
  offerHistory(bar: Bar): Offer {
    const key = this.keyOf(bar);
    if (key === null) return { change: 'none', key };
    const held = this.bars.get(key);
    if (held !== undefined && held.bar.final && revisionOf(bar) <= revisionOf(held.bar)) return { change: 'none', key };
    return this.put(key, bar, held?.seq ?? 0);
  }

  private put(key: number, bar: Bar, seq: number): Offer {
    const existed = this.bars.has(key);
    const latest = this.latestKey();
    this.bars.set(key, { bar, seq });
    if (existed) return { change: key === latest ? 'latest' : 'existing', key };
    this.sorted = null;
    return { change: latest === null || key > latest ? 'latest' : 'inserted', key };
  }

  offerIndicator(indicator: Indicator): boolean {
    const held = this.averages.get(indicator.window_end);
    if (held !== undefined && revisionOf(held) >= revisionOf(indicator)) return false;
    this.averages.set(indicator.window_end, indicator);
    return true;
  }

  private keys(): number[] {
    this.sorted ??= [...this.bars.keys()].sort((a, b) => a - b);
    return this.sorted;
  }

  latestKey(): number | null {
    const keys = this.keys();
    return keys.length === 0 ? null : (keys[keys.length - 1] as number);
  }

  firstKey(): number | null {
    return this.keys()[0] ?? null;
  }

  /** The window_start of the latest bar. */
  latestStart(): number | null {
    const key = this.latestKey();
    return key === null ? null : (this.get(key) as Bar).window_start;
  }

  /** The window_start of the first bar. */
  firstStart(): number | null {
    const key = this.firstKey();
    return key === null ? null : (this.get(key) as Bar).window_start;
  }

  allBars(): Bar[] {
    return this.keys().map((key) => (this.bars.get(key) as Held).bar);
  }

  get(key: number): Bar | undefined {
    return this.bars.get(key)?.bar;
  }

  /**
   * The key of the bar that holds an event time, or of the nearest earlier
   * bar: the last one that starts at or before it. Activity bars take
   * trades in time order, so their starts rise with their index too.
   */
  barAtOrBefore(time: number): number | null {
    const keys = this.keys();
    let lo = 0;
    let hi = keys.length - 1;
    let found: number | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const key = keys[mid] as number;
      if ((this.bars.get(key) as Held).bar.window_start <= time) {
        found = key;
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
      const key = this.barAtOrBefore(end - 1);
      if (key !== null) byBar.set(key, (this.averages.get(end) as Indicator).ma);
    }
    return [...byBar].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
  }
}
