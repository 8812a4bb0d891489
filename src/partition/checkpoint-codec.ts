// Per-symbol engine state to and from a PartitionCheckpoint FlatBuffer
// (fbs/checkpoint.fbs): watermark, remembered seqs, the trailing series
// behind alerts, open bars, indicator panes, alert cooldowns and the end of
// the latest final window. Ids are translated to names on the way out and
// back on the way in, because a checkpoint may be restored by another process.

import { Builder, ByteBuffer } from 'flatbuffers';
import type { AnalyticsConfig } from '../analytics/analytics-config';
import type { PartitionEngine } from '../analytics/partition-engine';
import type { SymbolState } from '../analytics/symbol-state';
import type { TrailingSeries } from '../analytics/trailing-series';
import { ExchangeSeqs } from '../fb/generated/tickflow/ring/exchange-seqs';
import { IntervalBars } from '../fb/generated/tickflow/ring/interval-bars';
import { OpenBar } from '../fb/generated/tickflow/ring/open-bar';
import { Pane } from '../fb/generated/tickflow/ring/pane';
import { PartitionCheckpoint } from '../fb/generated/tickflow/ring/partition-checkpoint';
import { Series } from '../fb/generated/tickflow/ring/series';
import { SymbolCheckpoint } from '../fb/generated/tickflow/ring/symbol-checkpoint';

function seriesOffset(b: Builder, series: TrailingSeries): number {
  const { timestamps, values, weights } = series.entries();
  return Series.createSeries(
    b,
    Series.createTimestampsVector(b, timestamps),
    Series.createValuesVector(b, values),
    Series.createWeightsVector(b, weights),
  );
}

function symbolOffset(b: Builder, state: SymbolState, exchangeName: (id: number) => string): number {
  const name = b.createString(state.name);
  const seqs = state.seqs
    .exchangesWithEntries()
    .map((e) =>
      ExchangeSeqs.createExchangeSeqs(
        b,
        b.createString(exchangeName(e.exchangeId)),
        ExchangeSeqs.createSeqsVector(b, e.seqs),
        ExchangeSeqs.createTimestampsVector(b, e.timestamps),
      ),
    );
  const trades = seriesOffset(b, state.trades);
  const quotes = seriesOffset(b, state.quotes);
  const bars = state.bars.map((interval) => {
    const windows: number[][] = [];
    interval.forEachOpen((w) =>
      windows.push([w.start, w.end, w.open, w.high, w.low, w.close, w.volume, w.notional, w.tradeCount, w.openTs, w.closeTs]),
    );
    IntervalBars.startWindowsVector(b, windows.length);
    for (let i = windows.length - 1; i >= 0; i--) {
      const w = windows[i] as number[];
      OpenBar.createOpenBar(
        b,
        w[0] as number,
        w[1] as number,
        w[2] as number,
        w[3] as number,
        w[4] as number,
        w[5] as number,
        w[6] as number,
        w[7] as number,
        w[8] as number,
        w[9] as number,
        w[10] as number,
      );
    }
    return IntervalBars.createIntervalBars(b, interval.intervalMs, b.endVector());
  });
  const { panes, nextStart } = state.indicators.exportState();
  SymbolCheckpoint.startPanesVector(b, panes.length);
  for (let i = panes.length - 1; i >= 0; i--) {
    const [start, count, sum, min, max] = panes[i] as readonly [number, number, number, number, number];
    Pane.createPane(b, start, count, sum, min, max);
  }
  const paneVector = b.endVector();
  const seqVector = SymbolCheckpoint.createSeqsVector(b, seqs);
  const barVector = SymbolCheckpoint.createBarsVector(b, bars);
  const alertVector = SymbolCheckpoint.createLastAlertVector(b, state.lastAlert);
  SymbolCheckpoint.startSymbolCheckpoint(b);
  SymbolCheckpoint.addSymbol(b, name);
  SymbolCheckpoint.addMaxTimestamp(b, state.maxTimestamp);
  SymbolCheckpoint.addWatermark(b, state.watermark);
  SymbolCheckpoint.addSeqs(b, seqVector);
  SymbolCheckpoint.addTrades(b, trades);
  SymbolCheckpoint.addQuotes(b, quotes);
  SymbolCheckpoint.addBars(b, barVector);
  SymbolCheckpoint.addPanes(b, paneVector);
  SymbolCheckpoint.addNextIndicatorStart(b, nextStart);
  SymbolCheckpoint.addLastAlert(b, alertVector);
  SymbolCheckpoint.addFinalHorizon(b, state.finalHorizon);
  return SymbolCheckpoint.endSymbolCheckpoint(b);
}

/** A PartitionCheckpoint of the given symbols. */
export function encodeCheckpoint(states: readonly SymbolState[], exchangeName: (id: number) => string): Uint8Array {
  const b = new Builder(1 << 16);
  b.forceDefaults(true);
  const symbols = states.map((state) => symbolOffset(b, state, exchangeName));
  b.finish(PartitionCheckpoint.createPartitionCheckpoint(b, PartitionCheckpoint.createSymbolsVector(b, symbols)));
  return b.asUint8Array().slice();
}

/** The symbol names a checkpoint holds. */
export function checkpointSymbols(bytes: Uint8Array): string[] {
  const cp = PartitionCheckpoint.getRootAsPartitionCheckpoint(new ByteBuffer(bytes));
  return Array.from({ length: cp.symbolsLength() }, (_, i) => cp.symbols(i)?.symbol() ?? '');
}

/** The exchange names a checkpoint uses, so they can be registered first. */
export function checkpointExchanges(bytes: Uint8Array): string[] {
  const cp = PartitionCheckpoint.getRootAsPartitionCheckpoint(new ByteBuffer(bytes));
  const names = new Set<string>();
  for (let i = 0; i < cp.symbolsLength(); i++) {
    const s = cp.symbols(i);
    for (let j = 0; j < (s?.seqsLength() ?? 0); j++) names.add(s?.seqs(j)?.exchange() ?? '');
  }
  return [...names];
}

function array(length: number, at: (i: number) => number | null): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = at(i) ?? 0;
  return out;
}

/**
 * Restores every symbol of the checkpoint that `symbolId` knows (this
 * partition's symbols), replacing their state; `now` is the processing time
 * (ms) their idle clocks start from. Returns how many it restored.
 */
export function restoreCheckpoint(
  engine: PartitionEngine,
  config: AnalyticsConfig,
  bytes: Uint8Array,
  symbolId: (name: string) => number | undefined,
  exchangeId: (name: string) => number,
  now = 0,
): number {
  const cp = PartitionCheckpoint.getRootAsPartitionCheckpoint(new ByteBuffer(bytes));
  let restored = 0;
  for (let i = 0; i < cp.symbolsLength(); i++) {
    const view = cp.symbols(i);
    const name = view?.symbol() ?? '';
    const id = symbolId(name);
    if (view === null || id === undefined) continue;
    const state = engine.resetSymbol(id, name);
    state.maxTimestamp = view.maxTimestamp();
    state.watermark = view.watermark();
    state.finalHorizon = view.finalHorizon();
    // Quiet since the restore, not since the clock's origin: otherwise idle
    // closing would take the symbol for idle forever and close everything.
    state.lastArrival = now;
    for (let j = 0; j < view.seqsLength(); j++) {
      const e = view.seqs(j);
      if (e === null) continue;
      const exchange = exchangeId(e.exchange() ?? '');
      for (let k = 0; k < e.seqsLength(); k++) state.seqs.remember(exchange, e.seqs(k) ?? 0, e.timestamps(k) ?? 0);
    }
    for (const [series, target] of [
      [view.trades(), state.trades],
      [view.quotes(), state.quotes],
    ] as const) {
      if (series === null) continue;
      target.load(
        array(series.timestampsLength(), (k) => series.timestamps(k)),
        array(series.valuesLength(), (k) => series.values(k)),
        array(series.weightsLength(), (k) => series.weights(k)),
      );
    }
    for (let j = 0; j < view.barsLength(); j++) {
      const interval = view.bars(j);
      const bars = state.bars.find((b) => b.intervalMs === interval?.intervalMs());
      if (interval === null || bars === undefined) continue;
      for (let k = 0; k < interval.windowsLength(); k++) {
        const w = interval.windows(k);
        if (w === null) continue;
        bars.restoreWindow({
          start: w.start(),
          end: w.end(),
          open: w.open(),
          high: w.high(),
          low: w.low(),
          close: w.close(),
          volume: w.volume(),
          notional: w.notional(),
          tradeCount: w.tradeCount(),
          openTs: w.openTs(),
          closeTs: w.closeTs(),
        });
      }
    }
    const panes: Array<readonly [number, number, number, number, number]> = [];
    for (let j = 0; j < view.panesLength(); j++) {
      const p = view.panes(j);
      if (p !== null) panes.push([p.start(), p.count(), p.sum(), p.min(), p.max()]);
    }
    if (config.indicatorSlideMs > 0) state.indicators.importState(panes, view.nextIndicatorStart());
    for (let j = 0; j < Math.min(view.lastAlertLength(), state.lastAlert.length); j++) state.lastAlert[j] = view.lastAlert(j) ?? -Infinity;
    restored++;
  }
  return restored;
}
