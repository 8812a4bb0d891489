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
import { count, dateTime, price } from './format';
import type { Alert } from './wire-types';

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

function seconds(ms: number): UTCTimestamp {
  return Math.floor(ms / 1000) as UTCTimestamp;
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
      timeScale: { borderColor: '#2a3447', timeVisible: true, secondsVisible: true, rightOffset: 4, maxBarSpacing: MAX_BAR_SPACING },
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
    this.chart.applyOptions({ timeScale: { secondsVisible: book.intervalMs < 60_000 } });
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
    this.candles.setData(bars.map((b) => this.candle(b.window_start)));
    this.volume.setData(bars.map((b) => this.volumeBar(b.window_start)));
    this.average.setData(book.maPoints().map((p) => ({ time: seconds(p.time), value: p.value })));
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

  /** A bar of the current book changed: draws just that bar when it can. */
  barChanged(start: number, change: BookChange): void {
    if (this.book === null || change === 'none' || this.host.dataset.state === 'loading') return;
    if (change === 'inserted' || this.host.dataset.state === 'empty') {
      this.redraw(this.host.dataset.state === 'empty');
      return;
    }
    const historical = change === 'existing';
    this.candles.update(this.candle(start), historical);
    this.volume.update(this.volumeBar(start), historical);
    if (!historical) {
      this.describe();
      this.showLegend(null);
    }
  }

  averagesChanged(): void {
    if (this.book === null || this.host.dataset.state !== 'ready') return;
    this.average.setData(this.book.maPoints().map((p) => ({ time: seconds(p.time), value: p.value })));
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
    const at = book.barAtOrBefore(this.focusTime) ?? book.firstStart();
    if (at === null) return;
    const span = book.intervalMs * 60;
    this.chart.timeScale().setVisibleRange({ from: seconds(at - span), to: seconds(at + span / 2) });
    this.drawMarkers();
  }

  private candle(start: number): CandlestickData<Time> {
    const bar = this.book?.get(start);
    if (bar === undefined) return { time: seconds(start), open: 0, high: 0, low: 0, close: 0 };
    return { time: seconds(start), open: bar.open, high: bar.high, low: bar.low, close: bar.close };
  }

  private volumeBar(start: number): HistogramData<Time> {
    const bar = this.book?.get(start);
    const up = bar === undefined || bar.close >= bar.open;
    return { time: seconds(start), value: bar?.volume ?? 0, color: up ? 'rgba(31, 209, 122, 0.55)' : 'rgba(255, 77, 94, 0.55)' };
  }

  private drawMarkers(): void {
    const book = this.book;
    if (book === null) return;
    const list: Array<SeriesMarker<Time>> = [];
    const seen = new Set<number>();
    for (const alert of this.alerts.slice(0, MAX_MARKERS)) {
      const at = book.barAtOrBefore(alert.timestamp);
      if (at === null || at + book.intervalMs <= alert.timestamp || seen.has(at)) continue;
      seen.add(at);
      list.push({
        time: seconds(at),
        position: 'aboveBar',
        shape: 'arrowDown',
        color: alert.severity === 'CRITICAL' ? DOWN : '#ffb020',
        size: 1,
      });
    }
    if (this.focusTime !== null) {
      const at = book.barAtOrBefore(this.focusTime);
      if (at !== null) {
        const index = list.findIndex((m) => m.time === seconds(at));
        if (index >= 0) list.splice(index, 1);
        list.push({ time: seconds(at), position: 'belowBar', shape: 'arrowUp', color: '#ffffff', size: 2, text: 'alert' });
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
    const first = book.firstStart();
    const last = book.latestStart();
    if (first === null || last === null) {
      delete this.host.dataset.firstStart;
      delete this.host.dataset.lastStart;
    } else {
      this.host.dataset.firstStart = String(first);
      this.host.dataset.lastStart = String(last);
    }
  }

  /** OHLC, volume and MA of the bar under the cursor, or of the latest bar. */
  private showLegend(param: MouseEventParams<Time> | null): void {
    const book = this.book;
    if (book === null) return;
    const time = param?.time;
    const start = typeof time === 'number' ? time * 1000 : book.latestStart();
    const bar = start === null ? undefined : book.get(start);
    const ma = start === null ? undefined : book.maPoints().find((p) => p.time === start)?.value;
    this.legend.replaceChildren();
    const add = (label: string, value: string, cls = ''): void => {
      const span = document.createElement('span');
      span.className = cls;
      span.append(label === '' ? '' : `${label} `);
      const b = document.createElement('b');
      b.textContent = value;
      span.append(b);
      this.legend.append(span);
    };
    add('', `${book.symbol} · ${book.interval}`, 'legend-title');
    if (bar === undefined) return;
    const direction = bar.close >= bar.open ? 'up' : 'down';
    add('', dateTime(bar.window_start), 'legend-time');
    add('O', price(bar.open), direction);
    add('H', price(bar.high), direction);
    add('L', price(bar.low), direction);
    add('C', price(bar.close), direction);
    add('Vol', count(bar.volume));
    if (ma !== undefined) add('MA', price(ma), 'legend-ma');
    if (!bar.final) add('', 'forming', 'legend-forming');
  }
}
