// Deletes expired records (writer thread only): bars and indicators by
// window_end, alerts by timestamp, each when older than the newest event time
// in the store minus the retention (so a replay of last year's file keeps its
// results, and a live feed keeps the last N days); dead letters by receivedAt
// against the wall clock. channel_seqs is kept, so seqs never go back.
//
// A sweep deletes in chunks, each its own short transaction, so after a long
// downtime one sweep does not hold the write lock for seconds; between chunks
// the writer thread returns to its event loop and commits pending batches.

import type { Database, Statement } from 'better-sqlite3';

/** Rows per table per chunk. */
const CHUNK_ROWS = 5000;

/** Event-time cutoff for results, wall-clock cutoff for dead letters (ms). */
export interface Cutoff {
  readonly event: number;
  readonly wall: number;
}

export class RetentionSweeper {
  private readonly deletes: ReadonlyArray<Statement<[number, number]>>;
  private readonly deadLetters: Statement<[number, number]>;
  private readonly newest: Statement<[], { t: number | null }>;
  private readonly chunk: (cutoff: Cutoff) => boolean;

  constructor(db: Database, private readonly retentionMs: number) {
    // Row-value IN over a LIMITed subquery: DELETE … LIMIT is a compile-time
    // option that stock SQLite builds leave out, and two tables have no rowid.
    this.deletes = [
      db.prepare<[number, number]>(`DELETE FROM bars WHERE (symbol, interval, window_start) IN
        (SELECT symbol, interval, window_start FROM bars WHERE window_end < ? LIMIT ?)`),
      db.prepare<[number, number]>(`DELETE FROM indicators WHERE (symbol, window_start) IN
        (SELECT symbol, window_start FROM indicators WHERE window_end < ? LIMIT ?)`),
      db.prepare<[number, number]>('DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE timestamp < ? LIMIT ?)'),
    ];
    this.deadLetters = db.prepare<[number, number]>('DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE received_at < ? LIMIT ?)');
    // Both are index lookups (bars_by_window_end, alerts_by_time).
    this.newest = db.prepare('SELECT max(coalesce((SELECT max(window_end) FROM bars), 0), coalesce((SELECT max(timestamp) FROM alerts), 0)) AS t');
    this.chunk = db.transaction((cutoff: Cutoff) => {
      let more = false;
      for (const statement of this.deletes) {
        if (statement.run(cutoff.event, CHUNK_ROWS).changes === CHUNK_ROWS) more = true;
      }
      if (this.deadLetters.run(cutoff.wall, CHUNK_ROWS).changes === CHUNK_ROWS) more = true;
      return more;
    });
  }

  /** The times before which records expire, for a sweep starting now. */
  cutoff(now: number): Cutoff {
    const newest = this.newest.get()?.t ?? 0;
    return { event: (newest > 0 ? newest : now) - this.retentionMs, wall: now - this.retentionMs };
  }

  /** Deletes one chunk per table; true when some table may hold more expired rows. */
  step(cutoff: Cutoff): boolean {
    return this.chunk(cutoff);
  }

  /** A whole sweep without yielding (start-up, before the store reports ready). */
  sweepAll(cutoff: Cutoff): void {
    while (this.step(cutoff)) { /* next chunk */ }
  }
}
