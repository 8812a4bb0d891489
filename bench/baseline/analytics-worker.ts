// The baseline's one worker thread: tickflow's own PartitionEngine (the same
// math, so a comparison isolates the architecture) fed from the plain objects
// the main thread posts, answering each batch with one postMessage of plain
// result objects, as a worker_threads service usually does.

import { parentPort, workerData } from 'node:worker_threads';
import type { AlertFields } from '../../src/records/anomaly';
import { ANOMALY_NAMES, SEVERITY_NAMES } from '../../src/records/anomaly';
import { PartitionEngine } from '../../src/analytics/partition-engine';
import type { DropReason, ResultSink } from '../../src/analytics/result-sink';
import type { IndicatorWindow } from '../../src/analytics/sliding-indicators';
import type { SymbolState } from '../../src/analytics/symbol-state';
import { EVENT_TYPE_NAMES, EventType, TickFields } from '../../src/records/tick-fields';
import type { BarWindow } from '../../src/analytics/bar-window';
import type { AlertRecord } from '../../src/records/records';
import { barRecord, indicatorRecord } from '../../src/analytics/plain-records';
import type { BaselineTick, FromWorker, TickData, ToWorker, WorkerInit, WorkerRecord } from './messages';

/** How often, in live mode, forming bars and quiet symbols are looked at between batches (as tickflow's worker parks). */
const TIMER_MS = 50;

class PlainSink implements ResultSink {
  records: WorkerRecord[] = [];
  /** Dispatch origin of the tick being processed, for dead letters. */
  origin = 0;

  constructor(private readonly exchangeName: (id: number) => string) {}

  bar(symbol: SymbolState, label: string, bar: BarWindow, final: boolean): void {
    this.records.push(barRecord(symbol.name, label, bar, final));
  }

  indicator(symbol: SymbolState, w: IndicatorWindow): void {
    this.records.push(indicatorRecord(symbol.name, w));
  }

  alert(symbol: SymbolState, a: AlertFields): void {
    this.records.push({
      type: 'alert',
      symbol: symbol.name,
      anomaly_type: ANOMALY_NAMES[a.anomalyType] as AlertRecord['anomaly_type'],
      severity: SEVERITY_NAMES[a.severity] as AlertRecord['severity'],
      timestamp: a.timestamp,
      price: a.price,
      volume: a.volume,
      price_zscore: a.priceZscore,
      volume_ratio: a.volumeRatio,
      spread_ratio: a.spreadRatio,
      volatility: a.volatility,
    });
  }

  dropped(_symbol: SymbolState, reason: DropReason, message: string): void {
    this.records.push({ type: 'dropped', reason, message, origin: this.origin });
  }

  corrected(): void {
    // The baseline runs without corrections.
  }

  accepted(symbol: SymbolState, t: TickFields): void {
    // Field order and presence as tickflow's trades/quotes frames.
    const data: { -readonly [K in keyof TickData]?: TickData[K] } = {
      symbol: symbol.name,
      event_type: EVENT_TYPE_NAMES[t.eventType] as string,
      timestamp: t.timestamp,
    };
    if (t.price > 0) data.price = t.price;
    data.volume = t.volume;
    if (t.bid > 0) data.bid = t.bid;
    if (t.ask > 0) data.ask = t.ask;
    const exchange = this.exchangeName(t.exchangeId);
    if (exchange !== '') data.exchange = exchange;
    if (t.seq >= 0) data.seq = t.seq;
    this.records.push({ type: 'tick', trade: t.eventType === EventType.TRADE, data: data as TickData });
  }

  take(): WorkerRecord[] {
    const taken = this.records;
    this.records = [];
    return taken;
  }
}

function main(init: WorkerInit): void {
  const port = parentPort;
  if (port === null) throw new Error('analytics-worker must run as a worker thread');
  const symbolIds = new Map<string, number>();
  const exchangeIds = new Map<string, number>([['', 0]]);
  const exchangeNames: string[] = [''];
  const sink = new PlainSink((id) => exchangeNames[id] ?? '');
  const engine = new PartitionEngine(init.analytics, sink);
  const live = init.analytics.echoTicks;
  const fields = new TickFields();
  const post = (message: FromWorker): void => port.postMessage(message);

  const feed = (tick: BaselineTick, now: number): void => {
    let symbolId = symbolIds.get(tick.symbol);
    if (symbolId === undefined) {
      symbolId = symbolIds.size;
      symbolIds.set(tick.symbol, symbolId);
      engine.registerSymbol(symbolId, tick.symbol);
    }
    let exchangeId = exchangeIds.get(tick.exchange);
    if (exchangeId === undefined) {
      exchangeId = exchangeNames.length;
      exchangeIds.set(tick.exchange, exchangeId);
      exchangeNames.push(tick.exchange);
    }
    fields.fill(tick, symbolId, exchangeId);
    sink.origin = tick.origin;
    engine.process(fields, now);
  };

  port.on('message', (message: ToWorker) => {
    if (message.kind === 'ticks') {
      const now = live ? Date.now() : 0;
      for (const tick of message.ticks) feed(tick, now);
      if (live) engine.emitForming(now);
      post({ kind: 'results', batches: 1, records: sink.take() });
    } else {
      engine.flush();
      post({ kind: 'results', batches: 0, records: sink.take() });
      const { accepted, duplicate, late } = engine.counters;
      post({ kind: 'flushed', id: message.id, counters: { accepted, duplicate, late } });
    }
  });

  if (live) {
    setInterval(() => {
      const now = Date.now();
      engine.emitForming(now);
      engine.advanceIdle(now);
      if (sink.records.length > 0) post({ kind: 'results', batches: 0, records: sink.take() });
    }, TIMER_MS);
  }
}

main(workerData as WorkerInit);
