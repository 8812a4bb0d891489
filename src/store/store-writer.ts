// The store's one writer thread. It owns the only read-write connection:
// creates and migrates the file, commits each batch the facade posts in one
// transaction, and sweeps expired records every sweepIntervalMs (a minute by
// default), reporting each sweep that deleted rows. Messages are handled in
// arrival order, so batches commit in the order they were written and `close`
// comes after every batch posted before it.

import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { BatchWriter } from './batch-writer';
import { migrate } from './migrations';
import { openWriterDatabase } from './open-database';
import { RetentionSweeper, type Sweep } from './retention-sweeper';
import { closeEpoch, openEpoch } from './store-epoch';
import type { FromWriter, ToWriter, WriterInit } from './store-protocol';

function main(init: WriterInit): void {
  const port = parentPort;
  if (port === null) throw new Error('store-writer must run as a worker thread');
  const send = (message: FromWriter): void => port.postMessage(message);

  let db: Database;
  let writer: BatchWriter;
  let sweeper: RetentionSweeper | null = null;
  let firstSweep: Sweep | null = null;
  let schemaVersion: number;
  let epoch: string;
  try {
    db = openWriterDatabase(init.path);
    try {
      schemaVersion = migrate(db, init.path);
      epoch = openEpoch(db);
      writer = new BatchWriter(db, init.outbox);
      if (init.retentionMs > 0) {
        sweeper = new RetentionSweeper(db, init.retentionMs);
        // Before `ready`, so what open() resolves to never shows expired records.
        firstSweep = sweeper.sweepAll(Date.now());
      }
    } catch (error) {
      db.close();
      throw error;
    }
  } catch (error) {
    send({ kind: 'open-failed', message: (error as Error).message });
    port.close();
    return;
  }

  let closed = false;
  /** The periodic sweep in progress, between its chunks. */
  let sweeping: Sweep | null = null;
  /** Reports what a sweep deleted (also when it failed or was cut short by close: those chunks are gone). */
  const report = (sweep: Sweep): void => {
    const deleted = sweep.report();
    if (deleted !== null) send({ kind: 'sweep', sweep: deleted });
  };
  const sweepStep = (): void => {
    if (closed || sweeper === null || sweeping === null) return;
    let failure: string | null = null;
    try {
      if (sweeper.step(sweeping)) {
        setImmediate(sweepStep);
        return;
      }
    } catch (error) {
      failure =
        `retention sweep of ${init.path} failed: ${(error as Error).message}; ` +
        `it is retried at the next sweep, in ${init.sweepIntervalMs} ms`;
    }
    report(sweeping);
    sweeping = null;
    if (failure !== null) send({ kind: 'error', message: failure });
  };
  const timer =
    sweeper === null
      ? null
      : setInterval(() => {
          if (sweeping !== null || sweeper === null) return;
          sweeping = sweeper.begin(Date.now());
          sweepStep();
        }, init.sweepIntervalMs);

  port.on('message', (message: ToWriter) => {
    if (closed) return;
    if (message.kind === 'batch') {
      const started = performance.now();
      const outcome = writer.commit(message.records);
      send({ kind: 'batch-done', id: message.id, ...outcome, ms: performance.now() - started });
      return;
    }
    closed = true;
    if (timer !== null) clearInterval(timer);
    if (sweeping !== null) report(sweeping);
    let error: string | null = null;
    try {
      // Every batch posted before `close` is committed: the next run may keep this epoch.
      closeEpoch(db);
      // The last connection to close checkpoints the WAL into the main file and removes it.
      db.close();
    } catch (cause) {
      error = `closing ${init.path} failed: ${(cause as Error).message}`;
    }
    send({ kind: 'closed', error });
    port.close();
  });
  if (firstSweep !== null) report(firstSweep);
  send({ kind: 'ready', schemaVersion, epoch });
}

main(workerData as WriterInit);
