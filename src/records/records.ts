// The JSON form of tickflow's output records (SPEC §1), told apart by `type`.
// These shapes are the public contract of `tickflow replay`, the WebSocket
// `data` field and the Kafka message values. The dashboard reads the same
// declarations, so this file imports nothing.

export interface BarRecord {
  readonly type: 'bar';
  readonly symbol: string;
  readonly interval: string;
  readonly window_start: number;
  readonly window_end: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly vwap: number | null;
  readonly trade_count: number;
  readonly final: boolean;
  /** Activity bars only (interval "500t", "100000v", "1000000n"): 0, 1, 2, ... per symbol and interval. */
  readonly bar_index?: number;
  /** Activity bars only: false for a bar cut short by the end of the input or a flush (and for a forming one). */
  readonly complete?: boolean;
  /** Trade side of the bar's settled trades; null on a forming (final: false) bar. */
  readonly buy_volume: number | null;
  readonly sell_volume: number | null;
  readonly buy_count: number | null;
  readonly sell_count: number | null;
  /** Final bars only: 0 for the first final record of the key, one higher for each correction. */
  readonly revision?: number;
}

export interface IndicatorRecord {
  readonly type: 'indicator';
  readonly symbol: string;
  readonly window_start: number;
  readonly window_end: number;
  readonly ma: number;
  readonly volatility: number;
  readonly trade_count: number;
  /** 0 for the first record of the window, one higher for each correction. */
  readonly revision: number;
}

/** Anomaly types, in the order of the FlatBuffers enum (fbs/records.fbs): a type's name is ANOMALY_TYPES[value]. */
export const ANOMALY_TYPES = ['PRICE_SPIKE', 'VOLUME_SURGE', 'COMBINED_ANOMALY', 'SPREAD_WIDENING', 'HIGH_VOLATILITY'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];
/** Severities, in the order of the FlatBuffers enum, least severe first: a severity's name is SEVERITIES[value]. */
export const SEVERITIES = ['WARNING', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** Tick event types, in the order of the FlatBuffers enum (fbs/tick.fbs). */
export const EVENT_TYPES = ['TRADE', 'QUOTE', 'BBO'] as const;
export type EventTypeName = (typeof EVENT_TYPES)[number];
/** The encodings a tick input may come in (SPEC §1), and `tickflow gen` writes. */
export const INPUT_FORMATS = ['ndjson', 'csv', 'fb'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface AlertRecord {
  readonly type: 'alert';
  readonly symbol: string;
  readonly anomaly_type: AnomalyType;
  readonly severity: Severity;
  readonly timestamp: number;
  readonly price: number | null;
  readonly volume: number | null;
  readonly price_zscore: number | null;
  readonly volume_ratio: number | null;
  readonly spread_ratio: number | null;
  readonly volatility: number | null;
}

export interface DeadLetterRecord {
  readonly type: 'dead_letter';
  readonly reason: string;
  /** The field at fault, or "" when the record as a whole is. */
  readonly field: string;
  readonly message: string;
  /** 1-based input line (or FlatBuffers tick index); 0 when unknown. */
  readonly line: number;
  /** The input text, when it could not be read as a tick. */
  readonly raw?: string;
  /** The tick, when it could be read. */
  readonly tick?: Record<string, unknown>;
  /**
   * Set by the store when it kept only a prefix of `raw` or of a string of
   * `tick`: each such field ("raw", "tick.symbol") and its whole size in
   * UTF-8 bytes.
   */
  readonly truncated?: Readonly<Record<string, number>>;
}

export interface StatsRecord {
  readonly type: 'stats';
  readonly accepted: number;
  readonly rejected: number;
  readonly duplicate: number;
  readonly late: number;
  readonly ticks: number;
  readonly bars: number;
  readonly indicators: number;
  readonly alerts: number;
  /** Ticks accepted as corrections (counted in accepted), and the final records they emitted again. */
  readonly corrections: number;
  readonly revisions: number;
  readonly partitions: number;
  readonly elapsed_ms: number;
  readonly ticks_per_second: number;
  /** Peak resident memory of the whole process (all threads), MiB. */
  readonly max_rss_mb: number;
}

export type OutputRecord = BarRecord | IndicatorRecord | AlertRecord;
