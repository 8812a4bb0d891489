// The alert rules of SPEC §1 for one partition: trade alerts (PRICE_SPIKE,
// VOLUME_SURGE, COMBINED_ANOMALY) and SPREAD_WIDENING over each symbol's
// trailing series, evaluated as a tick arrives, and HIGH_VOLATILITY on a
// final indicator window; each through the per-(symbol, type) cooldown.

import type { AnalyticsConfig } from './analytics-config';
import { AlertFields, AnomalyType } from '../records/anomaly';
import type { EngineCounters, ResultSink } from './result-sink';
import type { IndicatorWindow } from './sliding-indicators';
import type { SymbolState } from './symbol-state';
import type { TickFields } from '../records/tick-fields';
import { WindowStats } from './trailing-series';

export class AnomalyRules {
  private readonly stats = new WindowStats();
  private readonly scratch = new AlertFields();

  constructor(
    private readonly config: AnalyticsConfig,
    private readonly sink: ResultSink,
    private readonly counters: EngineCounters,
  ) {}

  /** An accepted trade: joins the symbol's trailing trades, then the trade rules, first match wins. */
  trade(state: SymbolState, tick: TickFields): void {
    const { timestamp: ts, price, volume } = tick;
    const index = state.trades.insert(ts, price, volume);
    const s = state.trades.stats(ts - this.config.alertWindowMs, index, this.stats);
    const std = Math.sqrt(s.variance);
    const zscore = std > 0 ? Math.abs(price - s.mean) / std : null;
    const volumeRatio = s.meanV > 0 ? volume / s.meanV : null;
    const c = this.config;
    let type: AnomalyType | undefined;
    if (zscore !== null && zscore > c.spikeZscore) type = AnomalyType.PRICE_SPIKE;
    else if (volumeRatio !== null && volumeRatio > c.surgeRatio) type = AnomalyType.VOLUME_SURGE;
    else if (zscore !== null && volumeRatio !== null && zscore > c.combinedZscore && volumeRatio > c.combinedRatio) {
      type = AnomalyType.COMBINED_ANOMALY;
    }
    if (type === undefined || !this.offCooldown(state, type, ts)) return;
    const alert = this.scratch.set(type, ts);
    alert.price = price;
    alert.volume = volume;
    alert.priceZscore = zscore;
    alert.volumeRatio = volumeRatio;
    alert.origin = tick.origin;
    this.emit(state, alert);
  }

  /** An accepted QUOTE or BBO: joins the symbol's trailing spreads, then SPREAD_WIDENING. */
  quote(state: SymbolState, tick: TickFields): void {
    const ts = tick.timestamp;
    const spread = tick.ask - tick.bid;
    const index = state.quotes.insert(ts, spread, 0);
    const meanSpread = state.quotes.stats(ts - this.config.alertWindowMs, index, this.stats).mean;
    if (!(meanSpread > 0)) return;
    const ratio = spread / meanSpread;
    if (ratio <= this.config.spreadRatio || !this.offCooldown(state, AnomalyType.SPREAD_WIDENING, ts)) return;
    const alert = this.scratch.set(AnomalyType.SPREAD_WIDENING, ts);
    alert.spreadRatio = ratio;
    alert.origin = tick.origin;
    this.emit(state, alert);
  }

  /** A final indicator window: HIGH_VOLATILITY, judged on a window's first record only. */
  volatility(state: SymbolState, window: IndicatorWindow): void {
    if (window.revision > 0 || window.volatility <= this.config.volatilityThreshold) return;
    if (!this.offCooldown(state, AnomalyType.HIGH_VOLATILITY, window.end)) return;
    const alert = this.scratch.set(AnomalyType.HIGH_VOLATILITY, window.end);
    alert.volatility = window.volatility;
    alert.origin = window.end;
    this.emit(state, alert);
  }

  private emit(state: SymbolState, alert: AlertFields): void {
    this.counters.alerts++;
    this.sink.alert(state, alert);
  }

  /** Applies the per-(symbol, type) cooldown; records the alert when it passes. */
  private offCooldown(state: SymbolState, type: AnomalyType, ts: number): boolean {
    const cooldown = this.config.alertCooldownMs;
    if (cooldown > 0 && ts - (state.lastAlert[type] as number) < cooldown) return false;
    state.lastAlert[type] = ts;
    return true;
  }
}
