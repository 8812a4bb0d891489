// The price chart: TradingView lightweight-charts with candles and the moving
// average in the top pane and volume in a pane below. It draws what a
// ChartBook holds; the forming bar is redrawn in place with `update`, an
// earlier bar that changes (its final version comes after the next bar has
// started forming) with a historical update, and only a bar inserted into the
// past redraws the whole series.
//
// The host element carries data attributes (data-symbol, data-interval,
// data-candles, data-state, ...) that describe what is drawn, for people
// inspecting the page and for the browser test.
//
// Activity bars (`500t`) sit on a synthetic axis, one step per bar_index
// (chart-book.ts), so the axis and crosshair labels are read from the bars
// themselves: the time of the bar's first trade, not the axis value.

import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  LineStyle,
  createChart,
  createSeriesMarkers,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type MouseEventParams,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { BookChange, ChartBook } from './chart-book';
import { clock, count, dateTime, price } from './format';
import type { Alert, Bar } from './wire-types';

const UP = '#1fd17a';
const DOWN = '#ff4d5e';
const MA_COLOR = '#ffc34d';
const TEXT = '#d6deeb';
const GRID = '#1a2230';
/** Markers drawn for the chosen symbol's alerts; more would hide the candles. */
const MAX_MARKERS = 150;
/** Bars in view after a load: enough to read a trend, few enough to see each candle. */
const BARS_IN_VIEW = 180;
/** With fewer bars than this loaded, they are spaced for this many, leaving room for the bars to come. */
const MIN_BARS_SPACED = 90;
const MAX_BAR_SPACING = 48;

export type ChartState = 'empty' | 'loading' | 'ready';

function axis(time: number): UTCTimestamp {
  return time as UTCTimestamp;
}

export class ChartPanel {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private readonly average: ISeriesApi<'Line'>;
  private readonly markers: ISeriesMarkersPluginApi<Time>;
  private readonly legend: HTMLElement;
  private book: ChartBook | null = null;
  private focusTime: number | null = null;
  private alerts: readonly Alert[] = [];

  constructor(private readonly host: HTMLElement) {
    this.chart = createChart(host, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: '#0a0e15' },
        textColor: TEXT,
        // The page's root size, which grows on large screens (styles.css), so axis labels grow with it.
        fontSize: Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize) || 14),
        panes: { separatorColor: '#2a3447', enableResize: true },
      },
      grid: { vertLines: { color: GRID }, horzLines: { color: GRID } },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderColor: '#2a3447' },
      timeScale: {
        borderColor: '#2a3447',
        timeVisible: true,
        secondsVisible: true,
        rightOffset: 4,
        maxBarSpacing: MAX_BAR_SPACING,
        tickMarkFormatter: (time: Time) => this.tickLabel(time),
      },
      localization: { timeFormatter: (time: Time) => this.crosshairLabel(time) },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderUpColor: UP,
      borderDownColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    this.average = this.chart.addSeries(LineSeries, {
      color: MA_COLOR,
      lineWidth: 2,
      lineStyle: LineStyle.Solid,
      priceLineVisible: false,
      lastValueVisible: true,
      crosshairMarkerVisible: false,
      title: 'MA 5m',
    });
    this.volume = this.chart.addSeries(
      HistogramSeries,
      {
        priceFormat: { type: 'volume' },
        priceLineVisible: false,
        lastValueVisible: false,
      },
      1,
    );
    const [pricePane, volumePane] = this.chart.panes();
    pricePane?.setStretchFactor(3);
    volumePane?.setStretchFactor(1);
    this.markers = createSeriesMarkers(this.candles, []);
    this.legend = document.createElement('div');
    this.legend.className = 'chart-legend';
    host.appendChild(this.legend);
    this.chart.subscribeCrosshairMove((param: MouseEventParams<Time>) => this.showLegend(param));
    this.setState('empty');
  }

  /** Starts drawing another book: clears the series until it is loaded. */
  show(book: ChartBook): void {
    this.book = book;
    this.focusTime = null;
    this.host.dataset.symbol = book.symbol;
    this.host.dataset.interval = book.interval;
    delete this.host.dataset.focusTime;
    this.chart.applyOptions({ timeScale: { secondsVisible: book.spec.kind === 'activity' || book.spec.ms < 60_000 } });
    this.candles.setData([]);
    this.volume.setData([]);
    this.average.setData([]);
    this.markers.setMarkers([]);
    this.setState('loading');
    this.describe();
  }

  /** Draws the whole book; `fit` (after a load) also brings the latest bars into view. */
  redraw(fit = false): void {
    const book = this.book;
    if (book === null) return;
    const bars = book.allBars();
    this.candles.setData(bars.map((b) => this.candle(b)));
    this.volume.setData(bars.map((b) => this.volumeBar(b)));
    this.average.setData(book.maPoints().map((p) => ({ time: axis(book.axisTime(p.time)), value: p.value })));
    this.drawMarkers();
    if (fit && bars.length > 0) this.fit(bars.length);
    this.setState(bars.length > 0 ? 'ready' : 'empty');
    this.describe();
    this.showLegend(null);
  }

  /**
   * Brings the latest bars into view. Fitting a handful of bars to the width
   * would make them huge and keep them so as live bars arrive, so a short
   * history is spaced as if MIN_BARS_SPACED bars were there.
   */
  private fit(count: number): void {
    const timeScale = this.chart.timeScale();
    if (count > BARS_IN_VIEW) {
      timeScale.setVisibleLogicalRange({ from: count - BARS_IN_VIEW, to: count + 4 });
      return;
    }
    const width = Math.max(200, this.host.clientWidth - 90);
    const spacing = Math.min(MAX_BAR_SPACING, Math.max(3, width / Math.max(count + 4, MIN_BARS_SPACED)));
    timeScale.applyOptions({ barSpacing: spacing });
    timeScale.scrollToRealTime();
  }

  /** A bar of the current book changed (by its key): draws just that bar when it can. */
  barChanged(key: number, change: BookChange): void {
    if (this.book === null || change === 'none' || this.host.dataset.state === 'loading') return;
    if (change === 'inserted' || this.host.dataset.state === 'empty') {
      this.redraw(this.host.dataset.state === 'empty');
      return;
    }
    const bar = this.book.get(key);
    if (bar === undefined) return;
    const historical = change === 'existing';
    this.candles.update(this.candle(bar), historical);
    this.volume.update(this.volumeBar(bar), historical);
    if (!historical) {
      this.describe();
      this.showLegend(null);
    }
  }

  averagesChanged(): void {
    if (this.book === null || this.host.dataset.state !== 'ready') return;
    const book = this.book;
    this.average.setData(book.maPoints().map((p) => ({ time: axis(book.axisTime(p.time)), value: p.value })));
    this.describe();
  }

  /** The chosen symbol's alerts, newest first, drawn as markers on their bars. */
  setAlerts(alerts: readonly Alert[]): void {
    this.alerts = alerts;
    if (this.host.dataset.state === 'ready') this.drawMarkers();
  }

  /** Scrolls to an event time (an alert's) once the bars are there and marks it. */
  focus(time: number): void {
    this.focusTime = time;
    this.host.dataset.focusTime = String(time);
    this.applyFocus();
  }

  /** Called when the book has loaded: a pending focus can now be applied. */
  applyFocus(): void {
    const book = this.book;
    if (book === null || this.focusTime === null || this.host.dataset.state !== 'ready') return;
    const at = book.barAtOrBefore(this.focusTime) ?? book.firstKey();
    if (at === null) return;
    const middle = book.axisTime(at);
    this.chart.timeScale().setVisibleRange({
      from: axis(Math.max(0, middle - book.axisSpan(60))),
      to: axis(middle + book.axisSpan(30)),
    });
    this.drawMarkers();
  }

  /** Where a bar of the current book sits on the axis. */
  private timeOf(bar: Bar): UTCTimestamp {
    const book = this.book as ChartBook;
    return axis(book.axisTime(book.keyOf(bar) as number));
  }

  private candle(bar: Bar): CandlestickData<Time> {
    return { time: this.timeOf(bar), open: bar.open, high: bar.high, low: bar.low, close: bar.close };
  }

  private volumeBar(bar: Bar): HistogramData<Time> {
    const up = bar.close >= bar.open;
    return { time: this.timeOf(bar), value: bar.volume, color: up ? 'rgba(31, 209, 122, 0.55)' : 'rgba(255, 77, 94, 0.55)' };
  }

  /** The bar drawn at an axis time of the current book. */
  private barAt(time: Time): Bar | undefined {
    const book = this.book;
    return book === null || typeof time !== 'number' ? undefined : book.get(book.keyAt(time));
  }

  /** Time-axis labels: the library's own for time bars; the first trade's time for activity bars. */
  private tickLabel(time: Time): string | null {
    if (this.book?.activity !== true) return null;
    const bar = this.barAt(time);
    return bar === undefined ? `#${String(time)}` : clock(bar.window_start).slice(0, 8);
  }

  /** The crosshair's time label, in UTC like the legend; an activity bar's index and first trade's time. */
  private crosshairLabel(time: Time): string {
    const book = this.book;
    if (typeof time !== 'number' || book === null) return String(time);
    if (!book.activity) return dateTime(book.keyAt(time));
    const bar = this.barAt(time);
    return bar === undefined ? `#${time}` : `#${time} ${dateTime(bar.window_start)}.${clock(bar.window_start).slice(9)}`;
  }

  private drawMarkers(): void {
    const book = this.book;
    if (book === null) return;
    const list: Array<SeriesMarker<Time>> = [];
    const seen = new Set<number>();
    for (const alert of this.alerts.slice(0, MAX_MARKERS)) {
      const at = book.barAtOrBefore(alert.timestamp);
      if (at === null || (book.get(at) as Bar).window_end <= alert.timestamp || seen.has(at)) continue;
      seen.add(at);
      list.push({
        time: axis(book.axisTime(at)),
        position: 'aboveBar',
        shape: 'arrowDown',
        color: alert.severity === 'CRITICAL' ? DOWN : '#ffb020',
        size: 1,
      });
    }
    if (this.focusTime !== null) {
      const at = book.barAtOrBefore(this.focusTime);
      if (at !== null) {
        const time = axis(book.axisTime(at));
        const index = list.findIndex((m) => m.time === time);
        if (index >= 0) list.splice(index, 1);
        list.push({ time, position: 'belowBar', shape: 'arrowUp', color: '#ffffff', size: 2, text: 'alert' });
      }
    }
    list.sort((a, b) => (a.time as number) - (b.time as number));
    this.markers.setMarkers(list);
  }

  private setState(state: ChartState): void {
    this.host.dataset.state = state;
  }

  private describe(): void {
    const book = this.book;
    if (book === null) return;
    this.host.dataset.candles = String(book.size);
    this.host.dataset.maPoints = String(book.maPoints().length);
    this.host.dataset.keyedBy = book.activity ? 'bar_index' : 'window_start';
    const first = book.firstKey();
    const last = book.latestKey();
    if (first === null || last === null) {
      for (const name of ['firstStart', 'lastStart', 'firstKey', 'lastKey']) delete this.host.dataset[name];
    } else {
      this.host.dataset.firstStart = String(book.firstStart());
      this.host.dataset.lastStart = String(book.latestStart());
      this.host.dataset.firstKey = String(first);
      this.host.dataset.lastKey = String(last);
    }
  }

  /**
   * OHLC, volume, MA and trade side of the bar under the cursor, or of the
   * latest bar. Its spans carry data-field, and the legend data-key.
   */
  private showLegend(param: MouseEventParams<Time> | null): void {
    const book = this.book;
    if (book === null) return;
    const time = param?.time;
    const key = typeof time === 'number' ? book.keyAt(time) : book.latestKey();
    const bar = key === null ? undefined : book.get(key);
    const ma = key === null ? undefined : book.maPoints().find((p) => p.time === key)?.value;
    this.legend.replaceChildren();
    if (bar === undefined) delete this.legend.dataset.key;
    else this.legend.dataset.key = String(key);
    const add = (label: string, value: string, cls = '', field = '', raw: number | null = null): void => {
      const span = document.createElement('span');
      span.className = cls;
      if (field !== '') span.dataset.field = field;
      if (raw !== null) span.dataset.value = String(raw);
      span.append(label === '' ? '' : `${label} `);
      const b = document.createElement('b');
      b.textContent = value;
      span.append(b);
      this.legend.append(span);
    };
    add('', `${book.symbol} · ${book.interval}`, 'legend-title');
    if (bar === undefined) return;
    const direction = bar.close >= bar.open ? 'up' : 'down';
    if (book.activity) {
      // Activity bars are told apart by index; their window is the first to the last trade.
      add('', `#${bar.bar_index ?? ''}`, 'legend-index', 'index');
      add('', `${dateTime(bar.window_start)}.${clock(bar.window_start).slice(9)} → ${clock(bar.window_end - 1)}`, 'legend-time');
    } else {
      add('', dateTime(bar.window_start), 'legend-time');
    }
    add('O', price(bar.open), direction);
    add('H', price(bar.high), direction);
    add('L', price(bar.low), direction);
    add('C', price(bar.close), direction);
    add('Vol', count(bar.volume));
    if (ma !== undefined) add('MA', price(ma), 'legend-ma');
    // Trade side is set on final bars only (null while forming, absent from older servers).
    if (bar.final && typeof bar.buy_volume === 'number' && typeof bar.sell_volume === 'number') {
      add('Buy', `${count(bar.buy_volume)} (${count(bar.buy_count)})`, 'up', 'buy', bar.buy_volume);
      add('Sell', `${count(bar.sell_volume)} (${count(bar.sell_count)})`, 'down', 'sell', bar.sell_volume);
    }
    if (bar.final && book.activity && bar.complete === false) add('', 'cut short', 'legend-forming', 'incomplete');
    if (bar.final && (bar.revision ?? 0) > 0) add('rev', String(bar.revision), '', 'revision');
    if (!bar.final) add('', 'forming', 'legend-forming');
  }
}
