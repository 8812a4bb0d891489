// Deletes expired records (writer thread only). Retention counts from when a
// record was stored, never from its event time: bars, indicators and alerts
// go by stored_at (the writer's clock when their batch committed), dead
// letters by received_at, all against one wall-clock cutoff, now minus the
// retention. Event time cannot be trusted for this: one tick stamped in 2099
// would expire every other symbol's history, and a replay of last year's
// file would be swept as soon as it was stored. channel_seqs is kept, so
// seqs never go back.
//
// A sweep deletes in chunks, each its own short transaction, so after a long
// downtime one sweep does not hold the write lock for seconds; between chunks
// the writer thread returns to its event loop and commits pending batches.
// Each sweep counts what it deleted per table, for the log and the metrics.
// Before it deletes, a sweep marks in channel_seqs.swept the highest seq it
// will remove from each channel, so that a resume from an older seq knows
// that stored records it needs are gone.

import type { Database, Statement } from 'better-sqlite3';
import type { RetentionCounts, RetentionSweep } from './store-protocol';

/** Rows per table per chunk. */
const CHUNK_ROWS = 5000;

type Table = keyof RetentionCounts;

const TABLES: readonly Table[] = ['bars', 'indicators', 'alerts', 'deadLetters'];

/** One sweep: its cutoff, fixed when it starts, and what its committed chunks deleted so far. */
export class Sweep {
  private readonly deleted: Record<Table, number> = { bars: 0, indicators: 0, alerts: 0, deadLetters: 0 };

  /** Records stored (dead letters received) before this time expire; ms since the epoch. */
  constructor(readonly cutoff: number) {}

  add(counts: Readonly<Record<Table, number>>): void {
    for (const table of TABLES) this.deleted[table] += counts[table];
  }

  /** What the sweep deleted so far, or null when it deleted nothing (nothing to log). */
  report(): RetentionSweep | null {
    const { bars, indicators, alerts, deadLetters } = this.deleted;
    return bars + indicators + alerts + deadLetters === 0 ? null : { bars, indicators, alerts, deadLetters, cutoff: this.cutoff };
  }
}

export class RetentionSweeper {
  private readonly deletes: Readonly<Record<Table, Statement<[number, number]>>>;
  private readonly marks: readonly Statement<[number]>[];
  private readonly chunk: (cutoff: number) => Record<Table, number>;

  constructor(
    db: Database,
    private readonly retentionMs: number,
  ) {
    // Row-value IN over a LIMITed subquery: DELETE … LIMIT is a compile-time
    // option that stock SQLite builds leave out, and two tables have no rowid.
    // Each subquery is a range scan of its table's stored_at (received_at) index.
    this.deletes = {
      bars: db.prepare<[number, number]>(`DELETE FROM bars WHERE (symbol, interval, window_start, bar_index) IN
        (SELECT symbol, interval, window_start, bar_index FROM bars WHERE stored_at < ? LIMIT ?)`),
      indicators: db.prepare<[number, number]>(`DELETE FROM indicators WHERE (symbol, window_start) IN
        (SELECT symbol, window_start FROM indicators WHERE stored_at < ? LIMIT ?)`),
      alerts: db.prepare<[number, number]>('DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE stored_at < ? LIMIT ?)'),
      deadLetters: db.prepare<[number, number]>(
        'DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE received_at < ? LIMIT ?)',
      ),
    };
    this.marks = (['bars', 'indicators', 'alerts'] as const).map((table) =>
      db.prepare<[number]>(`UPDATE channel_seqs SET swept = max(swept, expired.seq)
        FROM (SELECT channel, max(seq) AS seq FROM ${table} WHERE stored_at < ? GROUP BY channel) AS expired
        WHERE channel_seqs.channel = expired.channel`),
    );
    // Counts come back from the transaction, not added inside it, so a chunk
    // that rolls back is not counted.
    this.chunk = db.transaction((cutoff: number) => {
      const deleted: Record<Table, number> = { bars: 0, indicators: 0, alerts: 0, deadLetters: 0 };
      for (const table of TABLES) deleted[table] = this.deletes[table].run(cutoff, CHUNK_ROWS).changes;
      return deleted;
    });
  }

  /** A sweep of everything stored before now − retentionMs (`now`: wall clock, ms). */
  begin(now: number): Sweep {
    const sweep = new Sweep(now - this.retentionMs);
    // Marked ahead of the deletes: until the sweep ends, a resume is refused
    // a little early rather than told it recovered records already gone.
    for (const mark of this.marks) mark.run(sweep.cutoff);
    return sweep;
  }

  /** Deletes one chunk per table; true when some table may hold more expired rows. */
  step(sweep: Sweep): boolean {
    const deleted = this.chunk(sweep.cutoff);
    sweep.add(deleted);
    return TABLES.some((table) => deleted[table] === CHUNK_ROWS);
  }

  /** A whole sweep without yielding (start-up, before the store reports ready). */
  sweepAll(now: number): Sweep {
    const sweep = this.begin(now);
    while (this.step(sweep)) {
      /* next chunk */
    }
    return sweep;
  }
}
