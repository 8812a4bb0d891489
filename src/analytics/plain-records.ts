// The engine's results as the plain JSON-shaped records of SPEC §1, for the
// sinks that keep objects rather than bytes (the plain-Node baseline, tests).
// The bytes the partitions write (bar-writer.ts, record-json.ts) carry the
// same fields.

import type { BarRecord, IndicatorRecord } from '../records/records';
import type { IndicatorWindow } from './sliding-indicators';
import type { BarWindow } from './bar-window';

export function barRecord(symbol: string, interval: string, bar: BarWindow, final: boolean): BarRecord {
  return {
    type: 'bar',
    symbol,
    interval,
    window_start: bar.start,
    window_end: bar.end,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    vwap: bar.vwap(),
    trade_count: bar.tradeCount,
    final,
    ...(bar.barIndex >= 0 ? { bar_index: bar.barIndex, complete: final && bar.complete } : {}),
    buy_volume: final ? bar.buyVolume : null,
    sell_volume: final ? bar.sellVolume : null,
    buy_count: final ? bar.buyCount : null,
    sell_count: final ? bar.sellCount : null,
    ...(final ? { revision: bar.revision } : {}),
  };
}

export function indicatorRecord(symbol: string, window: IndicatorWindow): IndicatorRecord {
  return {
    type: 'indicator',
    symbol,
    window_start: window.start,
    window_end: window.end,
    ma: window.mean,
    volatility: window.volatility,
    trade_count: window.count,
    revision: window.revision,
  };
}
