// The store's options: documented with unit and default, checked once at
// Store.open with a message naming the option, its value and what it wanted.

import { resolve } from 'node:path';
import { StoreError } from '../errors';
import type { RetentionSweep } from './store-protocol';

/** Hears each retention sweep that deleted rows: what it deleted per table, and its cutoff. */
export type SweepListener = (sweep: RetentionSweep) => void;

export interface StoreOptions {
  /** SQLite file; its parent folder is created if missing. Default in `serve`: ./data/tickflow.db. */
  readonly path: string;
  /**
   * Milliseconds a record is kept, counted from when it was stored (dead
   * letters: from receivedAt), never from its event time; swept while opening
   * and then every sweepIntervalMs. 0 keeps records forever.
   */
  readonly retentionMs: number;
  /** Milliseconds between retention sweeps after the one while opening. Default 60,000 (a minute). */
  readonly sweepIntervalMs?: number;
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
  /**
   * Hears every retention sweep that deleted rows, including the one that
   * runs while opening (before Store.open resolves, so store.onSweep() is too
   * late for it). Default none.
   */
  readonly onSweep?: SweepListener;
}

export interface StoreSettings {
  /** Absolute, so every thread opens the same file whatever the working folder. */
  readonly path: string;
  readonly retentionMs: number;
  readonly sweepIntervalMs: number;
  readonly readers: number;
  readonly flushIntervalMs: number;
  readonly maxPendingWrites: number;
  readonly outbox: boolean;
  readonly onSweep: SweepListener | null;
}

/** Records per postMessage to the writer: a full queue posts at once, a shorter one after flushIntervalMs. */
export const BATCH_RECORDS = 1000;

export const STORE_DEFAULTS = Object.freeze({
  sweepIntervalMs: 60_000,
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

function listener(value: unknown): SweepListener | null {
  if (value === undefined) return null;
  if (typeof value === 'function') return value as SweepListener;
  throw new StoreError(`invalid store option onSweep = ${String(value)}: expected a function (sweep) => void, or no onSweep`);
}

export function storeSettings(options: StoreOptions): StoreSettings {
  const { path } = options;
  if (typeof path !== 'string' || path.trim() === '' || path === ':memory:' || path.startsWith('file:')) {
    throw new StoreError(
      `invalid store option path = ${JSON.stringify(path)}: expected the path of a SQLite file (reader threads open it ` +
        `separately, so not :memory: or a URI)`,
    );
  }
  return Object.freeze({
    path: resolve(path),
    retentionMs: integer('retentionMs', options.retentionMs, 0, Number.MAX_SAFE_INTEGER, ' (milliseconds; 0 keeps records forever)'),
    sweepIntervalMs: integer(
      'sweepIntervalMs',
      options.sweepIntervalMs ?? STORE_DEFAULTS.sweepIntervalMs,
      1,
      86_400_000,
      ' (milliseconds)',
    ),
    readers: integer('readers', options.readers ?? STORE_DEFAULTS.readers, 1, 64, ' (threads)'),
    flushIntervalMs: integer('flushIntervalMs', options.flushIntervalMs ?? STORE_DEFAULTS.flushIntervalMs, 1, 60_000, ' (milliseconds)'),
    maxPendingWrites: integer(
      'maxPendingWrites',
      options.maxPendingWrites ?? STORE_DEFAULTS.maxPendingWrites,
      BATCH_RECORDS,
      Number.MAX_SAFE_INTEGER,
      ' (records)',
    ),
    outbox: options.outbox === true,
    onSweep: listener(options.onSweep),
  });
}
