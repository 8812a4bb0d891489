// The store's options: documented with unit and default, checked once at
// Store.open with a message naming the option, its value and what it wanted.

import { resolve } from 'node:path';
import { StoreError } from '../errors';

export interface StoreOptions {
  /** SQLite file; its parent folder is created if missing. Default in `serve`: ./data/tickflow.db. */
  readonly path: string;
  /**
   * Milliseconds a record is kept, counted from when it was stored (dead
   * letters: from receivedAt), never from its event time; swept while opening
   * and then every minute. 0 keeps records forever.
   */
  readonly retentionMs: number;
  /** Reader threads (piscina) for queries. Default 1. */
  readonly readers?: number;
  /** Milliseconds a write may wait before its batch is posted to the writer. Default 20. */
  readonly flushIntervalMs?: number;
  /**
   * Records queued and not yet posted to the writer; past it dead letters are
   * dropped and counted in stats().droppedWrites (final records never are).
   * Default 100,000.
   */
  readonly maxPendingWrites?: number;
  /** Queue newly stored final records and dead letters for the Kafka mirror. Default false. */
  readonly outbox?: boolean;
}

export interface StoreSettings {
  /** Absolute, so every thread opens the same file whatever the working folder. */
  readonly path: string;
  readonly retentionMs: number;
  readonly readers: number;
  readonly flushIntervalMs: number;
  readonly maxPendingWrites: number;
  readonly outbox: boolean;
}

/** Records per postMessage to the writer: a full queue posts at once, a shorter one after flushIntervalMs. */
export const BATCH_RECORDS = 1000;

export const STORE_DEFAULTS = Object.freeze({
  readers: 1,
  flushIntervalMs: 20,
  maxPendingWrites: 100_000,
});

function integer(name: string, value: unknown, min: number, max: number, unit: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  throw new StoreError(`invalid store option ${name} = ${shown}: expected an integer ${range}${unit}`);
}

export function storeSettings(options: StoreOptions): StoreSettings {
  const { path } = options;
  if (typeof path !== 'string' || path.trim() === '' || path === ':memory:' || path.startsWith('file:')) {
    throw new StoreError(`invalid store option path = ${JSON.stringify(path)}: expected the path of a SQLite file (reader threads open it separately, so not :memory: or a URI)`);
  }
  return Object.freeze({
    path: resolve(path),
    retentionMs: integer('retentionMs', options.retentionMs, 0, Number.MAX_SAFE_INTEGER, ' (milliseconds; 0 keeps records forever)'),
    readers: integer('readers', options.readers ?? STORE_DEFAULTS.readers, 1, 64, ' (threads)'),
    flushIntervalMs: integer('flushIntervalMs', options.flushIntervalMs ?? STORE_DEFAULTS.flushIntervalMs, 1, 60_000, ' (milliseconds)'),
    maxPendingWrites: integer('maxPendingWrites', options.maxPendingWrites ?? STORE_DEFAULTS.maxPendingWrites, BATCH_RECORDS,
      Number.MAX_SAFE_INTEGER, ' (records)'),
    outbox: options.outbox === true,
  });
}
