// Per-symbol engine state to and from a PartitionCheckpoint FlatBuffer
// (fbs/checkpoint.fbs): watermark, remembered seqs, the trailing series
// behind alerts, open bars (and final ones kept for corrections), indicator
// panes and revisions, alert cooldowns, the end of the latest final window,
// the trades and quotes waiting to settle, trade-side state and activity bars. Ids are translated to names on the way out and
// back on the way in, because a checkpoint may be restored by another process.
//
// Incremental checkpoints: the trailing series (five minutes of ticks, most
// of the state) are written as what changed since the checkpoint before,
// and whole once in every `rotation` checkpoints per symbol, symbols spread
// over the rotation; the rest of a symbol's state is small and written
// whole every time. So the last `rotation` checkpoints hold, for every
// symbol, a whole series and the deltas after it: a restore applies them in
// order, and a delta whose base is not the state restored so far (written
// before the symbol's whole series in that run of checkpoints) is passed
// over. No checkpoint copies the whole state, and none holds a partition
// for longer than a rotation's share of it takes.

import { Builder, ByteBuffer } from 'flatbuffers';
import { doubleVector } from '../fb/bulk-vectors';
import { SeriesWriter } from './checkpoint-series';
import type { AnalyticsConfig } from '../analytics/analytics-config';
import type { PartitionEngine } from '../analytics/partition-engine';
import { SymbolState } from '../analytics/symbol-state';
import type { BarFields, BarWindow } from '../analytics/bar-window';
import { ActivityBar } from '../fb/generated/tickflow/ring/activity-bar';
import { BarSide } from '../fb/generated/tickflow/ring/bar-side';
import { ExchangeSeqs } from '../fb/generated/tickflow/ring/exchange-seqs';
import { IntervalBars } from '../fb/generated/tickflow/ring/interval-bars';
import { OpenBar } from '../fb/generated/tickflow/ring/open-bar';
import { Pane } from '../fb/generated/tickflow/ring/pane';
import { PartitionCheckpoint } from '../fb/generated/tickflow/ring/partition-checkpoint';
import { SymbolCheckpoint } from '../fb/generated/tickflow/ring/symbol-checkpoint';

function symbolOffset(b: Builder, state: SymbolState, exchangeName: (id: number) => string, series: SeriesWriter): number {
  const delta = series.takesDelta(state);
  const name = b.createString(state.name);
  const seqs = state.seqs
    .exchangesWithEntries()
    .map((e) =>
      ExchangeSeqs.createExchangeSeqs(
        b,
        b.createString(exchangeName(e.exchangeId)),
        doubleVector(b, e.seqs),
        doubleVector(b, e.timestamps),
      ),
    );
  const trades = series.trailing(b, state.trades, delta);
  const quotes = series.trailing(b, state.quotes, delta);
  const bars = state.bars.map((interval) => {
    const open: BarWindow[] = [];
    const closed: BarWindow[] = [];
    interval.forEachOpen((w) => open.push(w));
    interval.forEachClosed((w) => closed.push(w));
    const windows = structVector(b, open, OpenBar.sizeOf(), writeOpenBar);
    const sides = structVector(b, open, BarSide.sizeOf(), writeBarSide);
    const closedWindows = structVector(b, closed, OpenBar.sizeOf(), writeOpenBar);
    const closedSides = structVector(b, closed, BarSide.sizeOf(), writeBarSide);
    IntervalBars.startIntervalBars(b);
    IntervalBars.addIntervalMs(b, interval.intervalMs);
    IntervalBars.addWindows(b, windows);
    IntervalBars.addSides(b, sides);
    IntervalBars.addClosed(b, closedWindows);
    IntervalBars.addClosedSides(b, closedSides);
    return IntervalBars.endIntervalBars(b);
  });
  const activity = state.activity.map((bars) => {
    const label = b.createString(bars.label);
    ActivityBar.startActivityBar(b);
    ActivityBar.addLabel(b, label);
    ActivityBar.addNextIndex(b, bars.nextIndex);
    ActivityBar.addFilling(b, bars.filling);
    ActivityBar.addBar(b, writeOpenBar(b, bars.bar));
    ActivityBar.addSide(b, writeBarSide(b, bars.bar));
    return ActivityBar.endActivityBar(b);
  });
  // Settled ticks may wait in the queue for room (settle.ts): they are not pending.
  state.settling?.letGo(state.watermark);
  const pending = state.settling === null ? 0 : series.whole(b, { entries: () => settleEntries(state) });
  const revisions = state.indicators.exportRevisions().flat();
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
  const activityVector = SymbolCheckpoint.createActivityVector(b, activity);
  const revisionVector = SymbolCheckpoint.createIndicatorRevisionsVector(b, revisions);
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
  if (pending !== 0) SymbolCheckpoint.addPending(b, pending);
  if (!Number.isNaN(state.side.mid)) SymbolCheckpoint.addMid(b, state.side.mid);
  if (!Number.isNaN(state.side.lastPrice)) SymbolCheckpoint.addLastPrice(b, state.side.lastPrice);
  SymbolCheckpoint.addLastSide(b, state.side.lastSide);
  SymbolCheckpoint.addPendingSidesCounted(b, true);
  SymbolCheckpoint.addBaseId(b, state.checkpointBase);
  SymbolCheckpoint.addDeltasSinceBase(b, state.deltasSinceBase);
  SymbolCheckpoint.addActivity(b, activityVector);
  SymbolCheckpoint.addIndicatorRevisions(b, revisionVector);
  if (state.correctionFloor !== -Infinity) SymbolCheckpoint.addCorrectionFloor(b, state.correctionFloor);
  return SymbolCheckpoint.endSymbolCheckpoint(b);
}

function settleEntries(state: SymbolState): { timestamps: Float64Array; values: Float64Array; weights: Float64Array } {
  const { ts, value, volume } = (state.settling as NonNullable<SymbolState['settling']>).entries();
  return { timestamps: ts, values: value, weights: volume };
}

function writeOpenBar(b: Builder, w: BarWindow): number {
  return OpenBar.createOpenBar(b, w.start, w.end, w.open, w.high, w.low, w.close, w.volume, w.notional, w.tradeCount, w.openTs, w.closeTs);
}

function writeBarSide(b: Builder, w: BarWindow): number {
  return BarSide.createBarSide(b, w.buyVolume, w.sellVolume, w.buyCount, w.sellCount, w.revision);
}

/** A vector of structs, one per window, written back to front as FlatBuffers builds them. */
function structVector(b: Builder, windows: readonly BarWindow[], size: number, write: (b: Builder, w: BarWindow) => number): number {
  // OpenBar and BarSide are structs of doubles, 8-byte aligned.
  b.startVector(size, windows.length, 8);
  for (let i = windows.length - 1; i >= 0; i--) write(b, windows[i] as BarWindow);
  return b.endVector();
}

function barFields(w: OpenBar, side: BarSide | null): BarFields {
  return {
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
    buyVolume: side?.buyVolume() ?? 0,
    sellVolume: side?.sellVolume() ?? 0,
    buyCount: side?.buyCount() ?? 0,
    sellCount: side?.sellCount() ?? 0,
    revision: side?.revision() ?? 0,
  };
}

/**
 * A PartitionCheckpoint of the given symbols: everything whole when
 * `rotation` is 0, incremental otherwise (above).
 */
export function encodeCheckpoint(states: readonly SymbolState[], exchangeName: (id: number) => string, rotation = 0): Uint8Array {
  return encodeCheckpointSized(states, exchangeName, rotation).data.slice();
}

/**
 * The builder of the last checkpoint, kept for the next one at the same
 * size: growing a builder from small copies every byte several times over,
 * which was a fifth of an incremental checkpoint's encoding. One whole
 * checkpoint of a big state is not kept.
 */
let kept: Builder | null = null;
const KEEP_BYTES = 64 << 20;

/**
 * A checkpoint written a symbol at a time (checkpoint-capture.ts spreads
 * one over several turns): add() each symbol, then finish(). The data is a
 * view into a builder that the next encoder reuses once release() is called.
 */
export class CheckpointEncoder {
  private readonly b: Builder;
  private readonly series: SeriesWriter;
  private readonly symbols: number[] = [];

  constructor(
    private readonly exchangeName: (id: number) => string,
    rotation: number,
  ) {
    this.b = kept ?? new Builder(1 << 16);
    kept = null;
    this.b.clear();
    this.b.forceDefaults(true);
    this.series = new SeriesWriter(rotation);
  }

  add(state: SymbolState): void {
    this.symbols.push(symbolOffset(this.b, state, this.exchangeName, this.series));
  }

  /** The checkpoint, and the bytes the same state written whole takes (the state's size, for /metrics). */
  finish(): { data: Uint8Array; stateBytes: number } {
    const { b, series } = this;
    b.finish(PartitionCheckpoint.createPartitionCheckpoint(b, PartitionCheckpoint.createSymbolsVector(b, this.symbols), series.anyDelta));
    const data = b.asUint8Array();
    return { data, stateBytes: data.length + series.unwrittenBytes };
  }

  /** The data is written out: the builder may serve the next checkpoint. */
  release(): void {
    if (this.b.dataBuffer().capacity() <= KEEP_BYTES) kept = this.b;
  }
}

/**
 * encodeCheckpoint(), with the bytes a checkpoint of the same state written
 * whole takes (the state's size, for /metrics). `data` is a view into a
 * builder that the next call reuses: copy it or write it out first.
 */
export function encodeCheckpointSized(
  states: readonly SymbolState[],
  exchangeName: (id: number) => string,
  rotation: number,
): { data: Uint8Array; stateBytes: number } {
  const encoder = new CheckpointEncoder(exchangeName, rotation);
  for (const state of states) encoder.add(state);
  const result = encoder.finish();
  encoder.release();
  return result;
}

/** True when some symbol's series in the checkpoint are deltas on the checkpoints before it. */
export function isDeltaCheckpoint(bytes: Uint8Array): boolean {
  return PartitionCheckpoint.getRootAsPartitionCheckpoint(new ByteBuffer(bytes)).delta();
}

/** A checkpoint that puts these symbols back to the state of a symbol never seen. */
export function freshCheckpoint(names: readonly string[], config: AnalyticsConfig): Uint8Array {
  return encodeCheckpoint(
    names.map((name) => new SymbolState(0, name, config)),
    () => '',
  );
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
    const before = engine.symbol(id);
    const delta = view.trades()?.delta() === true || view.quotes()?.delta() === true;
    // A delta on a base this restore has not reached yet: the symbol's whole series come later in the checkpoints.
    if (delta && view.baseId() !== before?.checkpointBase) continue;
    // A delta applies to the series restored so far, in place.
    const state = engine.resetSymbol(id, name, delta ? before : undefined);
    state.checkpointBase = view.baseId();
    state.deltasSinceBase = view.deltasSinceBase();
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
      const timestamps = array(series.timestampsLength(), (k) => series.timestamps(k));
      const values = array(series.valuesLength(), (k) => series.values(k));
      const weights = array(series.weightsLength(), (k) => series.weights(k));
      if (!series.delta()) target.load(timestamps, values, weights);
      else if (!target.applyDelta(series.evict(), series.keep(), timestamps, values, weights)) {
        const which = `entries ${series.evict()}..${series.evict() + series.keep()} of a series of ${target.size}`;
        throw new Error(`delta checkpoint of ${name} keeps ${which}: it does not follow the state restored before it`);
      }
    }
    for (let j = 0; j < view.barsLength(); j++) {
      const interval = view.bars(j);
      const bars = state.bars.find((b) => b.intervalMs === interval?.intervalMs());
      if (interval === null || bars === undefined) continue;
      for (let k = 0; k < interval.windowsLength(); k++) {
        const w = interval.windows(k);
        if (w !== null) bars.restoreWindow(barFields(w, interval.sides(k)));
      }
      for (let k = 0; k < interval.closedLength(); k++) {
        const w = interval.closed(k);
        if (w !== null) bars.restoreWindow(barFields(w, interval.closedSides(k)), true);
      }
    }
    for (let j = 0; j < view.activityLength(); j++) {
      const saved = view.activity(j);
      const bars = state.activity.find((a) => a.label === saved?.label());
      if (saved === null || bars === undefined) continue;
      bars.nextIndex = saved.nextIndex();
      bars.filling = saved.filling();
      const w = saved.bar();
      if (bars.filling && w !== null) {
        Object.assign(bars.bar, barFields(w, saved.side()));
        bars.bar.barIndex = bars.nextIndex - 1;
        bars.bar.complete = false;
      }
    }
    state.side.mid = view.mid() ?? NaN;
    state.side.lastPrice = view.lastPrice() ?? NaN;
    state.side.lastSide = Math.sign(view.lastSide()) as -1 | 0 | 1;
    const pending = view.pending();
    if (pending !== null && pending.timestampsLength() > 0) {
      // Classified again from the settled state, as when they were queued.
      const settling = state.queue();
      const counted = view.pendingSidesCounted();
      for (let k = 0; k < pending.timestampsLength(); k++) {
        const ts = pending.timestamps(k) ?? 0;
        const volume = pending.weights(k) ?? 0;
        const side = settling.restore(ts, pending.values(k) ?? 0, volume);
        if (!counted && side !== 0) state.countSide(ts, volume, 0, side);
      }
    }
    state.correctionFloor = view.correctionFloor() ?? -Infinity;
    const revisions: Array<readonly [number, number]> = [];
    for (let j = 0; j + 1 < view.indicatorRevisionsLength(); j += 2) {
      revisions.push([view.indicatorRevisions(j) ?? 0, view.indicatorRevisions(j + 1) ?? 0]);
    }
    state.indicators.importRevisions(revisions);
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
