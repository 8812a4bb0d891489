// The main thread's side of the baseline's worker: starts it with tickflow's
// default analytics configuration and turns a parsed NDJSON line into the
// plain object that is posted to it.

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { analyticsConfig, type AnalyticsConfig } from '../../src/analytics/analytics-config';
import { loadConfig } from '../../src/config/load';
import type { Rejection } from '../../src/records/rejection';
import { ValidTick, validateTick } from '../../src/ingest/tick-validator';
import type { BaselineTick, FromWorker, ToWorker, WorkerInit } from './messages';

const WORKER_FILE = join(__dirname, 'analytics-worker.js');

export class AnalyticsThread {
  private constructor(
    private readonly worker: Worker,
    readonly analytics: AnalyticsConfig,
  ) {}

  /**
   * Starts the worker with the defaults of `tickflow serve` (live: echoed
   * ticks, forming bars, idle closing) or of `tickflow replay`, so both
   * engines compute the same records. Resolves once the thread runs.
   */
  static start(live: boolean, onMessage: (message: FromWorker) => void): Promise<AnalyticsThread> {
    const config = loadConfig(live ? 'serve' : 'replay', [], {}).config;
    const init: WorkerInit = { analytics: analyticsConfig(config, live) };
    const worker = new Worker(WORKER_FILE, { workerData: init, name: 'baseline-analytics' });
    worker.on('message', onMessage);
    return new Promise((resolve, reject) => {
      worker.once('online', () => {
        worker.off('error', reject);
        worker.on('error', (err) => {
          console.error(`baseline analytics worker failed: ${err.stack ?? err.message}`);
          process.exit(1);
        });
        resolve(new AnalyticsThread(worker, init.analytics));
      });
      worker.once('error', reject);
    });
  }

  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/** A tick's JSON value validated (SPEC §1) into the object posted to the worker, or the Rejection. */
export function toBaselineTick(value: unknown, scratch: ValidTick, origin: number): BaselineTick | Rejection {
  const rejection = validateTick(value, scratch);
  if (rejection !== null) return rejection;
  return {
    symbol: scratch.symbol,
    eventType: scratch.eventType,
    timestamp: scratch.timestamp,
    price: scratch.price,
    volume: scratch.volume,
    bid: scratch.bid,
    ask: scratch.ask,
    exchange: scratch.exchange,
    seq: scratch.seq,
    origin,
  };
}

export { ValidTick };
