// Table rows ↔ output records. Reading rebuilds each record as an object
// literal in the key order of src/records/records.ts, so a stored record
// serialises to the same JSON as the one that was written.

import type { AlertRecord, BarRecord, DeadLetterRecord, IndicatorRecord } from '../records/records';

export const BAR_COLUMNS =
  'symbol, interval, window_start, window_end, open, high, low, close, volume, vwap, trade_count, final, bar_index, complete, ' +
  'buy_volume, sell_volume, buy_count, sell_count, revision';
export const INDICATOR_COLUMNS = 'symbol, window_start, window_end, ma, volatility, trade_count, revision';
export const ALERT_COLUMNS =
  'symbol, anomaly_type, severity, timestamp, price, volume, price_zscore, volume_ratio, spread_ratio, volatility';
export const DEAD_LETTER_COLUMNS = 'received_at, reason, field, message, line, raw, tick, truncated';

/**
 * A bar row: the record without its type; `final` and `complete` as 0 or 1
 * (SQLite has no boolean), bar_index -1 for a time bar.
 */
export type BarRow = Omit<BarRecord, 'type' | 'final' | 'bar_index' | 'complete' | 'revision'> & {
  readonly final: number;
  readonly bar_index: number;
  readonly complete: number | null;
  readonly revision: number;
};
export type IndicatorRow = Omit<IndicatorRecord, 'type'>;
export type AlertRow = Omit<AlertRecord, 'type'>;

export interface DeadLetterRow {
  readonly received_at: number;
  readonly reason: string;
  readonly field: string;
  readonly message: string;
  readonly line: number;
  readonly raw: string | null;
  /** The tick as JSON text. */
  readonly tick: string | null;
  /** `truncated` as JSON text; NULL when nothing was cut. */
  readonly truncated: string | null;
}

export function barFromRow(row: BarRow): BarRecord {
  return {
    type: 'bar',
    symbol: row.symbol,
    interval: row.interval,
    window_start: row.window_start,
    window_end: row.window_end,
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    volume: row.volume,
    vwap: row.vwap,
    trade_count: row.trade_count,
    final: row.final !== 0,
    ...(row.bar_index >= 0 ? { bar_index: row.bar_index, complete: row.complete === 1 } : {}),
    buy_volume: row.buy_volume,
    sell_volume: row.sell_volume,
    buy_count: row.buy_count,
    sell_count: row.sell_count,
    revision: row.revision,
  };
}

export function indicatorFromRow(row: IndicatorRow): IndicatorRecord {
  return {
    type: 'indicator',
    symbol: row.symbol,
    window_start: row.window_start,
    window_end: row.window_end,
    ma: row.ma,
    volatility: row.volatility,
    trade_count: row.trade_count,
    revision: row.revision,
  };
}

export function alertFromRow(row: AlertRow): AlertRecord {
  return {
    type: 'alert',
    symbol: row.symbol,
    anomaly_type: row.anomaly_type,
    severity: row.severity,
    timestamp: row.timestamp,
    price: row.price,
    volume: row.volume,
    price_zscore: row.price_zscore,
    volume_ratio: row.volume_ratio,
    spread_ratio: row.spread_ratio,
    volatility: row.volatility,
  };
}

function parseTick(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}

/** `raw`, `tick` and `truncated` are optional in the record: absent (not null) when the column is NULL. */
export function deadLetterFromRow(row: DeadLetterRow): DeadLetterRecord {
  return {
    type: 'dead_letter',
    reason: row.reason,
    field: row.field,
    message: row.message,
    line: row.line,
    ...(row.raw === null ? {} : { raw: row.raw }),
    ...(row.tick === null ? {} : { tick: parseTick(row.tick) }),
    ...(row.truncated === null ? {} : { truncated: JSON.parse(row.truncated) as Record<string, number> }),
  };
}

/** The tick column's text; undefined ticks are stored as NULL. */
export function tickText(record: DeadLetterRecord): string | null {
  return record.tick === undefined ? null : JSON.stringify(record.tick);
}
