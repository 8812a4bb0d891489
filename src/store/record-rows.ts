// Table rows ↔ output records. Reading rebuilds each record as an object
// literal in the key order of src/records/records.ts, so a stored record
// serialises to the same JSON as the one that was written.

import type { AlertRecord, BarRecord, DeadLetterRecord, IndicatorRecord } from '../records/records';

export const BAR_COLUMNS = 'symbol, interval, window_start, window_end, open, high, low, close, volume, vwap, trade_count, final';
export const INDICATOR_COLUMNS = 'symbol, window_start, window_end, ma, volatility, trade_count';
export const ALERT_COLUMNS =
  'symbol, anomaly_type, severity, timestamp, price, volume, price_zscore, volume_ratio, spread_ratio, volatility';
export const DEAD_LETTER_COLUMNS = 'received_at, reason, field, message, line, raw, tick, truncated';

/** A bar row: the record without its type, and `final` as 0 or 1 (SQLite has no boolean). */
export type BarRow = Omit<BarRecord, 'type' | 'final'> & { readonly final: number };
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
