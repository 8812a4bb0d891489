// Deletes records whose event time is older than now − retention (writer
// thread only): bars and indicators by window_end, alerts by timestamp, dead
// letters by receivedAt. channel_seqs is kept, so seqs never go back.
//
// A sweep deletes in chunks, each its own short transaction, so after a long
// downtime one sweep does not hold the write lock for seconds; between chunks
// the writer thread returns to its event loop and commits pending batches.

import type { Database, Statement } from 'better-sqlite3';

/** Rows per table per chunk. */
const CHUNK_ROWS = 5000;

export class RetentionSweeper {
  private readonly deletes: ReadonlyArray<Statement<[number, number]>>;
  private readonly chunk: (cutoff: number) => boolean;

  constructor(db: Database, private readonly retentionMs: number) {
    // Row-value IN over a LIMITed subquery: DELETE … LIMIT is a compile-time
    // option that stock SQLite builds leave out, and two tables have no rowid.
    this.deletes = [
      db.prepare<[number, number]>(`DELETE FROM bars WHERE (symbol, interval, window_start) IN
        (SELECT symbol, interval, window_start FROM bars WHERE window_end < ? LIMIT ?)`),
      db.prepare<[number, number]>(`DELETE FROM indicators WHERE (symbol, window_start) IN
        (SELECT symbol, window_start FROM indicators WHERE window_end < ? LIMIT ?)`),
      db.prepare<[number, number]>('DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE timestamp < ? LIMIT ?)'),
      db.prepare<[number, number]>('DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE received_at < ? LIMIT ?)'),
    ];
    this.chunk = db.transaction((cutoff: number) => {
      let more = false;
      for (const statement of this.deletes) {
        if (statement.run(cutoff, CHUNK_ROWS).changes === CHUNK_ROWS) more = true;
      }
      return more;
    });
  }

  /** The event time before which records expire, for a sweep starting now. */
  cutoff(now: number): number {
    return now - this.retentionMs;
  }

  /** Deletes one chunk per table; true when some table may hold more expired rows. */
  step(cutoff: number): boolean {
    return this.chunk(cutoff);
  }

  /** A whole sweep without yielding (start-up, before the store reports ready). */
  sweepAll(cutoff: number): void {
    while (this.step(cutoff)) { /* next chunk */ }
  }
}
