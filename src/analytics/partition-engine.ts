// The analytics of one partition: per-symbol watermarks, de-duplication,
// tumbling bars, sliding indicators and anomaly alerts, exactly as SPEC §1
// defines them. Single-threaded and free of I/O: a partition worker feeds it
// ticks from its ring and forwards what it emits; tests drive it directly.

import type { AnalyticsConfig } from './analytics-config';
import { AnomalyRules } from './anomaly-rules';
import { EngineCounters, type ResultSink } from './result-sink';
import type { BarWindow } from './bar-window';
import type { IndicatorWindow } from './sliding-indicators';
import { SymbolState } from './symbol-state';
import type { Side } from './settlement';
import { settle, type SettledBars } from './settle';
import { EventType, TickFields } from '../records/tick-fields';
import { FormingSchedule, type SendForming } from './forming-schedule';

/** What a watermark reset did to one symbol (see PartitionEngine.resetWatermark). */
export interface WatermarkResetResult {
  readonly watermarkBefore: number;
  readonly watermarkAfter: number;
  readonly barsDiscarded: number;
  readonly panesDiscarded: number;
  readonly tradesDiscarded: number;
  readonly quotesDiscarded: number;
}

export class PartitionEngine {
  readonly counters = new EngineCounters();
  /** Indexed by symbol id; ids are dense, assigned by the ingest thread. */
  private readonly symbols: Array<SymbolState | undefined> = [];
  private readonly rules: AnomalyRules;
  /** Where settling hands the activity bars it fills or changes. */
  private readonly settled: SettledBars;
  private readonly emitBar: (bar: BarWindow, final: boolean) => void;
  private readonly emitIndicator: (window: IndicatorWindow) => void;
  private readonly emitRevisedIndicator: (window: IndicatorWindow) => void;
  /** The symbol whose windows are being closed, for the two listeners above. */
  private closing: SymbolState | undefined;
  private closingLabel = '';
  /** Idle closing held (a source catching up), and when it was last released. */
  private idleHeld = false;
  private idleSince = 0;
  /** Live mode: bars changed since their last forming update, by when the next one is due. */
  private readonly forming: FormingSchedule;
  private readonly sendForming: SendForming;
  /**
   * Called before a tick or idle closing changes a symbol whose captureDue
   * is set: a checkpoint in progress writes it first (checkpoint-capture.ts).
   * Flushes, resets and restores are not covered: the checkpoint is
   * finished before those.
   */
  beforeChange: (state: SymbolState) => void = () => {};

  constructor(
    private readonly config: AnalyticsConfig,
    private readonly sink: ResultSink,
  ) {
    this.rules = new AnomalyRules(config, sink, this.counters);
    this.forming = new FormingSchedule(Math.max(0, config.barUpdateMs));
    this.sendForming = (state, label, bar) => this.sink.bar(state, label, bar, false);
    this.settled = {
      filled: (state, label, bar) => this.emitActivity(state, label, bar),
      changed: config.barUpdateMs >= 0 ? (state, label, bar) => this.markForming(state, label, bar) : null,
    };
    this.emitBar = (bar, final) => {
      this.counters.bars++;
      bar.dirty = false;
      const state = this.closing as SymbolState;
      if (final && bar.end > state.finalHorizon) state.finalHorizon = bar.end;
      this.sink.bar(state, this.closingLabel, bar, final);
    };
    this.emitIndicator = (window) => this.onIndicator(this.closing as SymbolState, window);
    this.emitRevisedIndicator = (window) => {
      if (window.revision > 0) this.counters.revisions++;
      this.onIndicator(this.closing as SymbolState, window);
    };
  }

  registerSymbol(id: number, name: string): void {
    if (this.symbols[id] === undefined) this.symbols[id] = new SymbolState(id, name, this.config);
  }

  symbol(id: number): SymbolState | undefined {
    return this.symbols[id];
  }

  /** Every symbol this partition holds. */
  allSymbols(): SymbolState[] {
    return this.symbols.filter((s): s is SymbolState => s !== undefined);
  }

  /** Replaces a symbol's state with a fresh one (before restoring a checkpoint into it), keeping its trailing series if asked. */
  resetSymbol(id: number, name: string, series?: Pick<SymbolState, 'trades' | 'quotes'>): SymbolState {
    const state = new SymbolState(id, name, this.config, series);
    this.symbols[id] = state;
    return state;
  }

  /** One validated tick, in arrival order for its symbol. `now` is processing time in ms. */
  process(tick: TickFields, now = 0): void {
    const state = this.symbols[tick.symbolId];
    if (state === undefined) throw new Error(`tick for unregistered symbol id ${tick.symbolId}`);
    if (state.captureDue !== 0) this.beforeChange(state);
    const ts = tick.timestamp;
    const watermark = state.watermark;
    const correction = ts < watermark;
    if (correction && (ts < watermark - this.config.allowedLatenessMs || ts < state.correctionFloor)) {
      this.counters.late++;
      this.sink.dropped(state, 'late', `timestamp ${ts} is behind the watermark ${watermark} of ${state.name}`, tick, '');
      return;
    }
    if (tick.seq >= 0 && state.seqs.has(tick.exchangeId, tick.seq)) {
      this.counters.duplicate++;
      this.sink.dropped(state, 'duplicate', `seq ${tick.seq} of ${state.name} was already accepted`, tick, '');
      return;
    }
    if (tick.eventType === EventType.TRADE && this.overflow(state, tick)) return;
    if (tick.seq >= 0) state.seqs.remember(tick.exchangeId, tick.seq, ts);
    this.counters.accepted++;
    if (correction) this.counters.corrections++;
    state.lastArrival = now;
    if (ts > state.maxTimestamp) state.maxTimestamp = ts;
    if (this.config.echoTicks) {
      this.sink.accepted(state, tick);
      if (correction) this.sink.corrected(state);
    }

    // A correction takes part in windows and alerts but never settles:
    // activity bars and trade side stay as settled (SPEC §1). Other ticks
    // are queued to settle, and a trade's side is counted from then on.
    if (tick.eventType === EventType.TRADE) {
      if (correction) this.onCorrection(state, tick);
      else this.onTrade(state, tick, state.queue().addTrade(ts, tick.price, tick.volume, watermark));
      this.rules.trade(state, tick);
    } else {
      this.rules.quote(state, tick);
      if (!correction) state.queue().addQuote(ts, tick.bid, tick.ask, watermark);
    }

    const next = state.maxTimestamp - this.config.latenessMs;
    if (next > state.watermark) this.advance(state, next);
  }

  /** Finalises every open window of every symbol, as at the end of an input. */
  flush(): void {
    for (const state of this.symbols) if (state !== undefined) this.flushSymbol(state);
  }

  /**
   * Finalises every open window of the symbols with these ids that this
   * partition holds (a publisher's flush); returns how many it held.
   */
  flushSymbols(ids: ArrayLike<number>): number {
    let held = 0;
    for (let i = 0; i < ids.length; i++) {
      const state = this.symbols[ids[i] as number];
      if (state === undefined) continue;
      this.flushSymbol(state);
      held++;
    }
    return held;
  }

  private flushSymbol(state: SymbolState): void {
    let last = state.indicators.lastEnd();
    for (const bars of state.bars) last = Math.max(last, bars.lastEnd());
    // Every pending trade is stamped before `last` (it is in a pane); quotes
    // stamped after it stay pending for the trades that may follow them.
    settle(state, Math.max(last, state.watermark), this.settled);
    for (const activity of state.activity) {
      if (!activity.filling) continue;
      this.emitActivity(state, activity.label, activity.bar);
      activity.next();
    }
    this.closeWindows(state, Infinity);
    // Those windows are final now: a later tick in any of them is late, and
    // nothing is kept to revise them.
    if (last > state.watermark) state.watermark = last;
    state.correctionFloor = state.watermark;
  }

  /**
   * An operator's reset of a symbol whose event time ran ahead of the
   * server's clock (`clock`, ms since the epoch): what it holds stamped
   * after the clock (open windows starting after it, trailing samples,
   * remembered seqs) is discarded, and its watermark comes back to
   * clock - lateness, but never below the end of a window it already
   * finalised (no window is final twice) and never forward. Null when this
   * partition does not hold the symbol. `now` is processing time in ms, from
   * which the symbol's idleness counts again.
   */
  resetWatermark(id: number, clock: number, now: number): WatermarkResetResult | null {
    const state = this.symbols[id];
    if (state === undefined) return null;
    const before = state.watermark;
    const target = Math.max(clock - this.config.latenessMs, state.finalHorizon);
    if (!(before > target)) {
      return {
        watermarkBefore: before,
        watermarkAfter: before,
        barsDiscarded: 0,
        panesDiscarded: 0,
        tradesDiscarded: 0,
        quotesDiscarded: 0,
      };
    }
    let barsDiscarded = 0;
    for (const bars of state.bars) barsDiscarded += bars.discardAfter(clock);
    const result: WatermarkResetResult = {
      watermarkBefore: before,
      watermarkAfter: target,
      barsDiscarded,
      panesDiscarded: state.indicators.discardAfter(clock),
      tradesDiscarded: state.trades.dropAfter(clock),
      quotesDiscarded: state.quotes.dropAfter(clock),
    };
    state.seqs.forgetAfter(clock);
    state.settling?.dropAfter(clock);
    state.watermark = target;
    state.nextClose = -Infinity;
    // So that neither the next tick nor idle closing (max timestamp -
    // lateness + idle time) puts the watermark straight back.
    state.maxTimestamp = target + this.config.latenessMs;
    state.lastArrival = now;
    for (let i = 0; i < state.lastAlert.length; i++) {
      if ((state.lastAlert[i] as number) > clock) state.lastAlert[i] = -Infinity;
    }
    return result;
  }

  /**
   * While held, no symbol counts as idle; once released, idleness counts
   * from the release at the earliest (a source catching up on a backlog).
   */
  holdIdle(held: boolean, now: number): void {
    this.idleHeld = held;
    if (!held) this.idleSince = now;
  }

  /**
   * Processing-time closing for `serve`: once a symbol has had no tick for
   * idleCloseMs, its watermark moves with the clock, so its last bar closes.
   */
  advanceIdle(now: number): void {
    const idleCloseMs = this.config.idleCloseMs;
    if (idleCloseMs <= 0 || this.idleHeld) return;
    for (const state of this.symbols) {
      if (state === undefined || state.maxTimestamp === -Infinity) continue;
      const idle = now - Math.max(state.lastArrival, this.idleSince);
      if (idle < idleCloseMs) continue;
      const next = state.maxTimestamp - this.config.latenessMs + idle;
      if (next > state.watermark) {
        if (state.captureDue !== 0) this.beforeChange(state);
        this.advance(state, next);
        state.shrinkIdle();
      }
    }
  }

  /**
   * Live mode: emits a forming (final: false) update of every bar that changed
   * since its last update, unless that update was under barUpdateMs ago; those
   * wait for a later call. `now` is processing time in ms.
   */
  emitForming(now: number): void {
    this.forming.due(now, this.sendForming);
  }

  private advance(state: SymbolState, watermark: number): void {
    state.watermark = watermark;
    // Without activity bars, settled ticks wait in the queue until it needs
    // the room (their sides are already counted).
    if (state.activity.length > 0) settle(state, watermark, this.settled);
    // Without corrections nothing is kept behind the watermark, so a move
    // that reaches no window's end has nothing to close (most ticks' moves).
    if (watermark >= state.nextClose || this.config.allowedLatenessMs > 0) this.closeWindows(state, watermark);
    // Future ticks are at or after the horizon (watermark - allowed
    // lateness), so their trailing windows start at or after horizon - window.
    const horizon = watermark - this.config.allowedLatenessMs;
    state.seqs.forgetBefore(horizon);
    const bound = horizon - this.config.alertWindowMs;
    state.trades.evictBefore(bound);
    state.quotes.evictBefore(bound);
  }

  private emitActivity(state: SymbolState, label: string, bar: BarWindow): void {
    this.counters.bars++;
    bar.dirty = false;
    this.sink.bar(state, label, bar, true);
  }

  private closeWindows(state: SymbolState, watermark: number): void {
    const horizon = watermark - this.config.allowedLatenessMs;
    this.closing = state;
    let next = Infinity;
    for (const bars of state.bars) {
      this.closingLabel = bars.label;
      bars.closeUpTo(watermark, this.emitBar, horizon);
      next = Math.min(next, bars.firstEnd());
    }
    state.indicators.closeUpTo(watermark, this.emitIndicator, horizon);
    state.nextClose = Math.min(next, state.indicators.nextEnd());
    this.closing = undefined;
  }

  /**
   * Refuses a trade that would take one of its bars past what a bar holds
   * exactly: a volume above 2^53 - 1 (beyond it a double skips integers, and
   * the sum would be silently wrong) or a notional, Σ price·volume, past the
   * largest double (Infinity, and a VWAP that is not a number). Checked
   * before the trade changes anything, so a refused trade is as if never
   * sent: no bar, indicator, alert, watermark or seq sees it. True when
   * refused (and reported as out_of_range).
   */
  private overflow(state: SymbolState, tick: TickFields): boolean {
    const { timestamp: ts, price, volume } = tick;
    const notional = price * volume;
    for (const bars of state.bars) {
      const bar = bars.windowAt(ts);
      const totalVolume = bar === undefined ? volume : bar.volume + volume;
      const totalNotional = bar === undefined ? notional : bar.notional + notional;
      if (totalVolume <= Number.MAX_SAFE_INTEGER && totalNotional <= Number.MAX_VALUE) continue;
      const where = `the ${bars.label} bar of ${state.name} at ${Math.floor(ts / bars.intervalMs) * bars.intervalMs}`;
      this.counters.rejected++;
      if (totalVolume > Number.MAX_SAFE_INTEGER) {
        const why = `volume ${volume} would take ${where} past 2^53-1 (${Number.MAX_SAFE_INTEGER}), where it would not be exact`;
        this.sink.dropped(state, 'out_of_range', why, tick, 'volume');
      } else {
        const why = `price × volume (${price} × ${volume}) would take ${where} past the largest finite notional (about 1.8e308)`;
        this.sink.dropped(state, 'out_of_range', why, tick, '');
      }
      return true;
    }
    return false;
  }

  /** Live mode: queues a forming update of a bar that changed, once until it is sent. */
  private markForming(state: SymbolState, label: string, bar: BarWindow): void {
    this.forming.mark(state, label, bar);
  }

  /** A trade in order or within the lateness, with its side as classified so far. */
  private onTrade(state: SymbolState, tick: TickFields, side: Side): void {
    const { timestamp: ts, price, volume } = tick;
    const forming = this.config.barUpdateMs >= 0;
    let next = state.nextClose;
    for (const bars of state.bars) {
      const bar = bars.add(ts, price, volume);
      bar.addSide(side, volume);
      if (bar.end < next) next = bar.end;
      if (forming) this.markForming(state, bars.label, bar);
    }
    state.indicators.add(ts, price);
    state.nextClose = Math.min(next, state.indicators.nextEnd());
  }

  /**
   * A trade stamped behind the watermark within the allowed lateness: the
   * final windows it falls in are emitted again with their revision one
   * higher; windows not final yet take it as they take every trade.
   */
  private onCorrection(state: SymbolState, tick: TickFields): void {
    const { timestamp: ts, price, volume } = tick;
    const watermark = state.watermark;
    const forming = this.config.barUpdateMs >= 0;
    this.closing = state;
    state.nextClose = -Infinity;
    for (const bars of state.bars) {
      if (Math.floor(ts / bars.intervalMs) * bars.intervalMs + bars.intervalMs > watermark) {
        const bar = bars.add(ts, price, volume);
        if (forming) this.markForming(state, bars.label, bar);
        continue;
      }
      const bar = bars.correct(ts, price, volume);
      if (bar.revision > 0) this.counters.revisions++;
      this.closingLabel = bars.label;
      this.emitBar(bar, true);
    }
    state.indicators.correct(ts, price, watermark, this.emitRevisedIndicator);
    this.closing = undefined;
  }

  private onIndicator(state: SymbolState, window: IndicatorWindow): void {
    this.counters.indicators++;
    if (window.end > state.finalHorizon) state.finalHorizon = window.end;
    this.sink.indicator(state, window);
    this.rules.volatility(state, window);
  }
}
