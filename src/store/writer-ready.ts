// Waiting for the store's writer thread to open, migrate and sweep the file:
// the first step of Store.open, taken before there is a Store to hand the
// writer's messages to, so it listens on its own and stops once the writer
// is ready or gone.

import type { Worker } from 'node:worker_threads';
import { StoreError } from '../errors';
import type { SweepListener } from './store-options';
import type { FromWriter, RetentionSweep } from './store-protocol';

export interface WriterReady {
  readonly schemaVersion: number;
  readonly epoch: string;
  /** What the sweep while opening deleted; null when nothing (or retention is off). */
  readonly firstSweep: RetentionSweep | null;
}

/**
 * Waits for the writer's `ready`: the file is open, migrated and swept, or
 * why not. `onSweep` hears the opening sweep as it arrives, like later ones.
 */
export function writerReady(writer: Worker, path: string, onSweep: SweepListener | null): Promise<WriterReady> {
  return new Promise((resolve, reject) => {
    let firstSweep: RetentionSweep | null = null;
    const settle = (outcome: { schemaVersion: number; epoch: string } | StoreError): void => {
      writer.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (!(outcome instanceof StoreError)) {
        resolve({ ...outcome, firstSweep });
      } else {
        // The writer closes its port after open-failed; terminate() also covers a thread that hangs.
        void writer.terminate().finally(() => reject(outcome));
      }
    };
    const onMessage = (message: FromWriter): void => {
      if (message.kind === 'ready') {
        settle({ schemaVersion: message.schemaVersion, epoch: message.epoch });
      } else if (message.kind === 'open-failed') {
        settle(new StoreError(message.message));
      } else if (message.kind === 'sweep') {
        firstSweep = message.sweep;
        onSweep?.(message.sweep);
      }
    };
    const onError = (error: Error): void =>
      settle(
        new StoreError(`cannot start the store writer thread for ${path}: ${error.message}; reinstall tickflow (npm run build) and retry`),
      );
    const onExit = (code: number): void =>
      settle(
        new StoreError(
          `the store writer thread for ${path} exited with code ${code} before opening the file; retry, or choose another --db path`,
        ),
      );
    writer.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}
