// How results become Kafka messages (SPEC §4): topic, key, value and headers.
// Keys identify a final record, so "once per key" is checkable by any
// consumer: time bars `symbol|interval|window_start`, activity bars
// `symbol|interval|bar_index`, indicators
// `symbol|window_start`, alerts `symbol|anomaly_type|timestamp|origin` (the
// source position of the triggering tick, as two alerts may share a
// timestamp), dead letters the symbol when known.

import type { AlertRecord, BarRecord, DeadLetterRecord, IndicatorRecord } from './records';
import { ALERTS_TOPIC, BARS_TOPIC, DEAD_LETTER_TOPIC, INDICATORS_TOPIC } from './topics';

export interface ResultMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function barMessage(record: BarRecord): ResultMessage {
  return {
    topic: BARS_TOPIC,
    key: barKey(record),
    value: JSON.stringify(record),
    headers: {},
  };
}

/** A final bar's identity: a later revision of it has the same key. */
export function barKey(record: BarRecord): string {
  return `${record.symbol}|${record.interval}|${barPosition(record)}`;
}

/** Where a bar stands in its channel: an activity bar's index, a time bar's window_start; later bars stand higher. */
export function barPosition(record: BarRecord): number {
  return record.bar_index ?? record.window_start;
}

export function indicatorMessage(record: IndicatorRecord): ResultMessage {
  return { topic: INDICATORS_TOPIC, key: `${record.symbol}|${record.window_start}`, value: JSON.stringify(record), headers: {} };
}

export function alertMessage(record: AlertRecord, origin: string): ResultMessage {
  return {
    topic: ALERTS_TOPIC,
    key: `${record.symbol}|${record.anomaly_type}|${record.timestamp}|${origin}`,
    value: JSON.stringify(record),
    headers: {},
  };
}

export function deadLetterMessage(record: DeadLetterRecord): ResultMessage {
  const symbol = typeof record.tick?.symbol === 'string' ? record.tick.symbol : '';
  return { topic: DEAD_LETTER_TOPIC, key: symbol, value: JSON.stringify(record), headers: { reason: record.reason } };
}
