// Choosing what the chart shows. Picking a symbol or an interval:
//
//   1. unsubscribe the old chart channels, start an empty ChartBook;
//   2. subscribe `bars.<iv>.<SYM>` with `history` 1000 and, for time bars,
//      `indicators.<SYM>` with the windows those bars span: the server sends
//      the stored records, then what followed them, then live data, with no
//      gap and no duplicate (no HTTP request racing the stream); activity
//      bars (`500t`) get no moving average, whose 30 s windows do not line up
//      with bars cut by trade count, volume or notional;
//   3. for a jump to an alert older than that history, GET /api/bars around
//      the alert's time as well; after a reconnect whose gap the server could
//      not fill, GET /api/bars again (the book merges idempotently).
//
// A generation number makes a slow answer for an old choice harmless.

import { ChartBook } from './chart-book';
import type { ChartPanel } from './chart-panel';
import type { Endpoints } from './endpoints';
import type { FeedConnection } from './feed-connection';
import { HISTORY_BARS, fetchBars } from './history-api';
import { parseInterval } from './intervals';
import type { Bar, Indicator } from './wire-types';

/** Sliding indicator windows start every 30 s (SPEC §1). */
const INDICATOR_STEP_MS = 30_000;
/** The most indicator windows one backfill asks for. */
const MAX_AVERAGES = 2000;

export interface Selection {
  readonly symbol: string;
  readonly interval: string;
}

export interface ChartEvents {
  /** The selection changed (before its data has loaded). */
  selected(selection: Selection): void;
  /** Something the user should know: history failed, an interval is missing. */
  problem(text: string): void;
}

export class ChartController {
  private book: ChartBook | null = null;
  private channels: string[] = [];
  private generation = 0;
  private loaded = false;
  private focusTime: number | null = null;

  constructor(
    private readonly feed: FeedConnection,
    private readonly endpoints: Endpoints,
    private readonly panel: ChartPanel,
    private readonly events: ChartEvents,
  ) {}

  get selection(): Selection | null {
    return this.book === null ? null : { symbol: this.book.symbol, interval: this.book.interval };
  }

  /** Shows a symbol and interval; with a focus time, scrolls there once loaded. */
  async select(symbol: string, interval: string, focusTime: number | null = null): Promise<void> {
    const current = this.book;
    if (current !== null && current.symbol === symbol && current.interval === interval) {
      if (focusTime !== null) {
        this.focusTime = focusTime;
        this.panel.focus(focusTime);
        if (this.loaded) await this.loadAround(current, focusTime, this.generation);
      }
      return;
    }
    const spec = parseInterval(interval);
    if (spec === null) {
      this.events.problem(`unknown interval ${interval}`);
      return;
    }
    const generation = ++this.generation;
    if (this.channels.length > 0) this.feed.unsubscribe(this.channels);
    const book = new ChartBook(symbol, spec);
    this.book = book;
    this.loaded = false;
    this.channels = spec.kind === 'time' ? [`bars.${interval}.${symbol}`, `indicators.${symbol}`] : [`bars.${interval}.${symbol}`];
    this.focusTime = focusTime;
    this.panel.show(book);
    if (focusTime !== null) this.panel.focus(focusTime);
    this.events.selected({ symbol, interval });
    const [bars] = await Promise.all([
      this.feed.subscribe([`bars.${interval}.${symbol}`], { history: HISTORY_BARS }),
      spec.kind === 'time'
        ? this.feed.subscribe([`indicators.${symbol}`], {
            history: Math.min(MAX_AVERAGES, Math.ceil((HISTORY_BARS * spec.ms) / INDICATOR_STEP_MS) + 10),
          })
        : null,
    ]);
    if (generation !== this.generation) return;
    if (bars === null) {
      // No reply (the link went down): the resubscribe asks for the history again; drawn as it comes.
      this.events.problem(`history for ${symbol} ${interval} did not load: no answer from the server`);
    }
    this.loaded = true;
    this.panel.redraw(true);
    this.panel.applyFocus();
    if (focusTime !== null) await this.loadAround(book, focusTime, generation);
  }

  /**
   * Final bars over HTTP from 999 bars before the latest one: after a gap the
   * server could not fill. How long 999 activity bars took is estimated from
   * the bars held.
   */
  private async load(generation: number): Promise<void> {
    const book = this.book;
    if (book === null) return;
    const latest = book.latestStart();
    const perBar = book.msPerBar();
    let bars: Bar[] = [];
    try {
      bars = await fetchBars(
        this.endpoints,
        book.symbol,
        book.interval,
        latest === null ? null : latest - (HISTORY_BARS - 1) * (perBar ?? 0),
      );
    } catch (err) {
      this.events.problem(`history for ${book.symbol} ${book.interval} did not load: ${(err as Error).message}`);
    }
    if (generation !== this.generation) return;
    for (const bar of bars) book.offerHistory(bar);
    const first = !this.loaded;
    this.loaded = true;
    this.panel.redraw(first);
    this.panel.applyFocus();
    if (this.focusTime !== null) await this.loadAround(book, this.focusTime, generation);
  }

  /** Bars around an event time the book does not reach back to (an old alert). */
  private async loadAround(book: ChartBook, time: number, generation: number): Promise<void> {
    const first = book.firstStart();
    if (first !== null && time >= first) return;
    const perBar = book.msPerBar() ?? 0;
    const start = book.spec.kind === 'time' ? Math.floor(time / book.spec.ms) * book.spec.ms : time;
    let bars: Bar[] = [];
    try {
      bars = await fetchBars(this.endpoints, book.symbol, book.interval, start - (HISTORY_BARS / 2) * perBar);
    } catch (err) {
      this.events.problem(`history around the alert did not load: ${(err as Error).message}`);
    }
    if (generation !== this.generation) return;
    for (const bar of bars) book.offerHistory(bar);
    this.panel.redraw();
    this.panel.applyFocus();
  }

  onBar(bar: Bar, seq: number): void {
    const book = this.book;
    if (book === null || bar.symbol !== book.symbol || bar.interval !== book.interval) return;
    const { change, key } = book.offerLive(bar, seq);
    if (key !== null) this.panel.barChanged(key, change);
  }

  onIndicator(indicator: Indicator): void {
    const book = this.book;
    if (book === null || book.activity || indicator.symbol !== book.symbol) return;
    if (book.offerIndicator(indicator)) this.panel.averagesChanged();
  }

  /** After a reconnect: reloads history when a chart channel had a gap the server could not fill. */
  onResumed(missed: readonly string[]): void {
    if (this.book === null) return;
    if (!this.loaded || missed.some((channel) => this.channels.includes(channel))) void this.load(this.generation);
  }

  /** The channels the chart subscribes to, to tell its frames apart. */
  owns(channel: string): boolean {
    return this.channels.includes(channel);
  }
}
