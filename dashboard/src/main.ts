// The dashboard page: wires the views to two /ws connections and to the HTTP
// endpoints of the origin that served it.
//
// Two connections, because the protocol lets a wildcard's throttle govern
// its concrete channels: the overview subscribes `bars.1m.*` conflated to one
// message per symbol per second (and `alerts.*` in full), while the chart
// needs every forming-bar update of its one symbol at full rate, which a
// `bars.1m.<SYM>` on the same connection would not get.
//
// URL parameters: `symbol` and `interval` choose the chart (kept up to date
// as the user picks), `token` authenticates (see endpoints.ts).

import { AlertFeed } from './alert-feed';
import { ChartController } from './chart-controller';
import { ChartPanel } from './chart-panel';
import { endpointsOf } from './endpoints';
import { EnginePanel } from './engine-panel';
import { FeedConnection, MAX_CHANNELS_PER_MESSAGE } from './feed-connection';
import { percent, price } from './format';
import { IntervalButtons, servedIntervals } from './interval-buttons';
import { DEFAULT_INTERVAL, parseInterval } from './intervals';
import { MarketBoard } from './market-board';
import { MoversTable } from './movers-table';
import { StatusBar } from './status-bar';
import { SymbolPicker } from './symbol-picker';
import { isAlert, isBar, isIndicator, type Alert, type DataFrame } from './wire-types';

const RENDER_MS = 250;
/** Alerts per symbol the feed asks for when it starts (fewer when there are many symbols). */
const ALERT_BACKFILL = 2000;
const OVERVIEW_THROTTLE_MS = 1000;

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page lacks #${id}`);
  return found;
}

function main(): void {
  const endpoints = endpointsOf(window.location);
  const params = new URLSearchParams(window.location.search);
  const board = new MarketBoard();
  const status = new StatusBar(
    element('link', HTMLElement),
    element('banner', HTMLElement),
    element('banner-text', HTMLElement),
    element('banner-close', HTMLElement),
  );
  const panel = new ChartPanel(element('chart', HTMLElement));
  const intervalButtons = new IntervalButtons(element('intervals', HTMLElement), (interval) => {
    const symbol = chart.selection?.symbol;
    if (symbol !== undefined) void chart.select(symbol, interval);
  });
  const learnIntervals = async (): Promise<void> => {
    const labels = await servedIntervals(endpoints);
    if (labels !== null) intervalButtons.offer(labels);
  };
  const quote = {
    symbol: element('quote-symbol', HTMLElement),
    last: element('quote-last', HTMLElement),
    change: element('quote-change', HTMLElement),
  };

  const detail = new FeedConnection(endpoints.ws, {
    data: (frame) => routeDetail(frame),
    status: (s) => status.link('chart', s),
    resumed: (missed) => {
      status.missed(missed);
      chart.onResumed(missed);
      // Back after a drop: the server may have been restarted with other intervals.
      void learnIntervals();
    },
    error: (e) => {
      if (e.code === 'bad_channel' && e.channel?.startsWith('bars.') === true) intervalButtons.disable(e.channel.split('.')[1] ?? '');
      status.problem(`server: ${e.message}`);
    },
    roundTrip: () => undefined,
  });
  const chart = new ChartController(detail, endpoints, panel, {
    selected: ({ symbol, interval }) => {
      picker.showChosen(symbol);
      intervalButtons.press(interval);
      const url = new URL(window.location.href);
      url.searchParams.set('symbol', symbol);
      url.searchParams.set('interval', interval);
      window.history.replaceState(null, '', url);
      document.title = `${symbol} ${interval} · tickflow`;
      alertsVersionDrawn = -1;
    },
    problem: (text) => status.problem(text),
  });
  const overview = new FeedConnection(endpoints.ws, {
    data: (frame) => routeOverview(frame),
    status: (s) => status.link('overview', s),
    resumed: (missed) => status.missed(missed),
    error: (e) => status.problem(`server: ${e.message}`),
    roundTrip: (ms) => status.roundTrip(ms),
  });

  const jump = (alert: Alert): void => {
    void chart.select(alert.symbol, chart.selection?.interval ?? DEFAULT_INTERVAL, alert.timestamp);
  };
  const choose = (symbol: string): void => {
    void chart.select(symbol, chart.selection?.interval ?? DEFAULT_INTERVAL);
  };
  const alerts = new AlertFeed(
    element('alerts', HTMLTableSectionElement),
    element('alert-type', HTMLSelectElement),
    element('alert-severity', HTMLSelectElement),
    element('alert-summary', HTMLElement),
    jump,
  );
  const movers = new MoversTable(element('movers', HTMLTableSectionElement), board, choose);
  const picker = new SymbolPicker(element('symbol-search', HTMLInputElement), element('symbol-list', HTMLUListElement), board, choose);
  const engine = new EnginePanel(
    element('engine', HTMLElement),
    endpoints,
    element('latency-table', HTMLTableElement),
    element('engine-note', HTMLElement),
  );

  let alertsVersion = 0;
  /** Set once the snapshot and backfill are in: later alerts are news. */
  let alertsLive = false;
  let alertsVersionDrawn = -1;
  function routeOverview(frame: DataFrame): void {
    if (frame.ch.startsWith('bars.') && isBar(frame.data)) {
      board.onBar(frame.data);
    } else if (frame.ch.startsWith('alerts.') && isAlert(frame.data)) {
      alerts.add(frame.ch, frame.seq, frame.data, alertsLive);
      board.see(frame.data.symbol);
      alertsVersion++;
    }
  }
  function routeDetail(frame: DataFrame): void {
    if (!chart.owns(frame.ch)) return;
    if (isBar(frame.data)) chart.onBar(frame.data, frame.seq);
    else if (isIndicator(frame.data)) chart.onIndicator(frame.data);
  }

  document.addEventListener('keydown', (event) => {
    if (document.activeElement instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return;
    // Digits pick the buttons shown, in order: 1 2 3 are 1s 1m 5m on a server with the default intervals.
    const interval = /^[1-9]$/.test(event.key) ? intervalButtons.shown()[Number(event.key) - 1] : undefined;
    const symbol = chart.selection?.symbol;
    if (interval !== undefined && symbol !== undefined) void chart.select(symbol, interval);
  });

  const wantedInterval = params.get('interval') ?? '';
  const firstInterval = parseInterval(wantedInterval) === null ? DEFAULT_INTERVAL : wantedInterval;
  const wantedSymbol = params.get('symbol');
  if (wantedSymbol !== null && wantedSymbol !== '') void chart.select(wantedSymbol, firstInterval);

  function render(): void {
    if (document.hidden) return;
    const selected = chart.selection;
    if (selected === null) {
      // No symbol in the URL: chart the most active one as soon as there is one.
      const busiest = board.mostActive();
      if (busiest !== null) void chart.select(busiest, firstInterval);
    }
    alerts.render();
    movers.render(selected?.symbol ?? null);
    status.render();
    if (selected !== null) {
      const m = board.mover(selected.symbol);
      quote.symbol.textContent = selected.symbol;
      quote.last.textContent = price(m?.last);
      quote.change.textContent = percent(m?.change);
      quote.change.className = `q-chg num ${m === null ? '' : m.change >= 0 ? 'up' : 'down'}`;
      if (alertsVersionDrawn !== alertsVersion) {
        alertsVersionDrawn = alertsVersion;
        panel.setAlerts(alerts.forSymbol(selected.symbol));
      }
    }
  }

  async function startOverview(): Promise<void> {
    overview.start();
    await overview.subscribe(['bars.1m.*'], { throttleMs: OVERVIEW_THROTTLE_MS });
    await overview.subscribe(['alerts.*']);
    // The snapshot told which symbols have alerts; the recent ones of each
    // come as history (from the store), shared out over the symbols.
    const channels = overview.channelsOf('alerts.*');
    const depth = Math.max(5, Math.floor(ALERT_BACKFILL / Math.max(1, channels.length)));
    if (channels.length > 0 && channels.length <= MAX_CHANNELS_PER_MESSAGE) await overview.subscribe(['alerts.*'], { history: depth });
    alertsLive = true;
  }

  void learnIntervals();
  detail.start();
  void startOverview();
  engine.start();
  render();
  window.setInterval(render, RENDER_MS);
}

main();
