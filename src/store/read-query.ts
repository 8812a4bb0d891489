// History queries as callers write them, and their checked, defaulted form
// (a ReadTask) as the reader threads run them. Time bounds are [from, to) in
// event-time milliseconds; a missing bound is open.

import { StoreError } from '../errors';
import type { ChannelTable, ReadTaskOf } from './store-protocol';

/** Bars of one symbol and interval with window_start in [from, to), ascending. */
export interface BarQuery {
  readonly symbol: string;
  readonly interval: string;
  readonly from?: number;
  readonly to?: number;
  /** Default 1000; larger values are capped at 10,000. */
  readonly limit?: number;
}

/** Alerts with timestamp in [from, to), ascending (ties in write order). */
export interface AlertQuery {
  readonly symbol?: string;
  readonly anomalyType?: string;
  readonly from?: number;
  readonly to?: number;
  readonly limit?: number;
}

/** Dead letters with receivedAt in [from, to), ascending (ties in write order). */
export interface DeadLetterQuery {
  readonly from?: number;
  readonly to?: number;
  readonly limit?: number;
}

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;

function fail(query: string, field: string, value: unknown, expected: string): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new StoreError(`${query}: ${field} = ${shown}: expected ${expected}`);
}

function limitOf(query: string, value: number | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (!Number.isSafeInteger(value) || value < 1) fail(query, 'limit', value, `an integer >= 1 (at most ${MAX_LIMIT} rows are returned)`);
  return Math.min(value, MAX_LIMIT);
}

function timeOf(query: string, field: 'from' | 'to', value: number | undefined): number {
  if (value === undefined) return field === 'from' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value)) fail(query, field, value, 'an integer time in milliseconds since the Unix epoch');
  return value;
}

function text(query: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(query, field, value, 'a non-empty string');
  return value;
}

function optionalText(query: string, field: string, value: unknown): string | null {
  return value === undefined ? null : text(query, field, value);
}

export function barTask(q: BarQuery): ReadTaskOf<'bars'> {
  const name = 'queryBars';
  return {
    op: 'bars',
    symbol: text(name, 'symbol', q.symbol),
    interval: text(name, 'interval', q.interval),
    from: timeOf(name, 'from', q.from),
    to: timeOf(name, 'to', q.to),
    limit: limitOf(name, q.limit),
  };
}

export function alertTask(q: AlertQuery): ReadTaskOf<'alerts'> {
  const name = 'queryAlerts';
  return {
    op: 'alerts',
    symbol: optionalText(name, 'symbol', q.symbol),
    anomalyType: optionalText(name, 'anomalyType', q.anomalyType),
    from: timeOf(name, 'from', q.from),
    to: timeOf(name, 'to', q.to),
    limit: limitOf(name, q.limit),
  };
}

export function deadLetterTask(q: DeadLetterQuery): ReadTaskOf<'dead-letters'> {
  const name = 'queryDeadLetters';
  return { op: 'dead-letters', from: timeOf(name, 'from', q.from), to: timeOf(name, 'to', q.to), limit: limitOf(name, q.limit) };
}

/** The table holding a channel's records, or null for channels the store does not keep (trades, quotes). */
export function channelTable(channel: string): ChannelTable | null {
  if (channel.startsWith('bars.')) return 'bars';
  if (channel.startsWith('indicators.')) return 'indicators';
  if (channel.startsWith('alerts.')) return 'alerts';
  return null;
}

/** Null when the store keeps nothing for this channel. */
export function channelTask(channel: string, afterSeq: number, limit: number): ReadTaskOf<'channel'> | null {
  const name = 'queryChannel';
  const table = channelTable(text(name, 'channel', channel));
  if (!Number.isSafeInteger(afterSeq)) fail(name, 'afterSeq', afterSeq, 'an integer');
  const rows = limitOf(name, limit);
  return table === null ? null : { op: 'channel', table, channel, afterSeq, limit: rows };
}

/** A channel's newest `limit` records; null when the store keeps nothing for this channel. */
export function channelTailTask(channel: string, limit: number): ReadTaskOf<'channel'> | null {
  const name = 'queryChannelTail';
  const table = channelTable(text(name, 'channel', channel));
  const rows = limitOf(name, limit);
  return table === null ? null : { op: 'channel', table, channel, afterSeq: 0, limit: rows, last: true };
}
