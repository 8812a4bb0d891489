// The records and control messages of the public protocol (docs/protocol.md,
// SPEC §1 and §3) as this client reads them. The page is a separate program
// from the server: it shares the server's declarations of records and
// protocol messages (types and constant lists, nothing that runs on the
// server) and checks the fields it relies on instead of trusting a cast.

import type { ControlReply, DataFrame, Epochs, ErrorReply, PongReply, ResumeOutcome, SubscribedReply } from '../../src/records/protocol';
import {
  ANOMALY_TYPES,
  SEVERITIES,
  type AlertRecord,
  type AnomalyType,
  type BarRecord,
  type IndicatorRecord,
  type Severity,
} from '../../src/records/records';

export type Bar = BarRecord;
export type Indicator = IndicatorRecord;
export type Alert = AlertRecord;
export { ANOMALY_TYPES, SEVERITIES, type AnomalyType, type Severity };

export type { DataFrame, Epochs, ResumeOutcome, SubscribedReply, ErrorReply, PongReply, ControlReply };

type Fields = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNumberOrNull(value: unknown): value is number | null {
  return value === null || isNumber(value);
}

export function isDataFrame(value: unknown): value is DataFrame {
  return isObject(value) && typeof value.ch === 'string' && isNumber(value.seq) && 'data' in value;
}

export function isControlReply(value: unknown): value is ControlReply {
  return isObject(value) && typeof value.op === 'string';
}

export function isBar(value: unknown): value is Bar {
  return (
    isObject(value) &&
    value.type === 'bar' &&
    typeof value.symbol === 'string' &&
    typeof value.interval === 'string' &&
    isNumber(value.window_start) &&
    isNumber(value.window_end) &&
    isNumber(value.open) &&
    isNumber(value.high) &&
    isNumber(value.low) &&
    isNumber(value.close) &&
    isNumber(value.volume) &&
    isNumber(value.trade_count) &&
    typeof value.final === 'boolean'
  );
}

export function isIndicator(value: unknown): value is Indicator {
  return (
    isObject(value) &&
    value.type === 'indicator' &&
    typeof value.symbol === 'string' &&
    isNumber(value.window_start) &&
    isNumber(value.window_end) &&
    isNumber(value.ma) &&
    isNumber(value.volatility)
  );
}

export function isAlert(value: unknown): value is Alert {
  return (
    isObject(value) &&
    value.type === 'alert' &&
    typeof value.symbol === 'string' &&
    (ANOMALY_TYPES as readonly unknown[]).includes(value.anomaly_type) &&
    (SEVERITIES as readonly unknown[]).includes(value.severity) &&
    isNumber(value.timestamp) &&
    isNumberOrNull(value.price) &&
    isNumberOrNull(value.price_zscore) &&
    isNumberOrNull(value.volume_ratio) &&
    isNumberOrNull(value.spread_ratio) &&
    isNumberOrNull(value.volatility)
  );
}
