// The store's schema, as an ordered list of migrations. `PRAGMA user_version`
// holds the number of migrations applied; each one runs in its own
// transaction together with the version bump, so a crash leaves the file at
// a version boundary. Append new migrations; never edit an applied one.

import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors';

export interface Migration {
  /** 1-based; equals the migration's index + 1. */
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** 'TFLW' in the file header, so a tickflow store can be told from other SQLite files. */
export const APPLICATION_ID = 0x54464c57;

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'final bars, indicators, alerts, dead letters and channel sequence high-water marks',
    // Bars and indicators are keyed like their Kafka keys, so a rewrite is an
    // upsert; WITHOUT ROWID makes that key the table's own B-tree, which is
    // also the order queryBars reads in. Every table indexes the event time
    // that retention deletes by, and channel tables index (channel, seq) for
    // resume. channel_seqs is never swept, so a channel's seq keeps growing
    // across restarts even after retention deleted all of its rows.
    sql: `
      PRAGMA application_id = ${APPLICATION_ID};

      CREATE TABLE bars (
        symbol       TEXT    NOT NULL,
        interval     TEXT    NOT NULL,
        window_start INTEGER NOT NULL,
        window_end   INTEGER NOT NULL,
        open         REAL    NOT NULL,
        high         REAL    NOT NULL,
        low          REAL    NOT NULL,
        close        REAL    NOT NULL,
        volume       INTEGER NOT NULL,
        vwap         REAL,
        trade_count  INTEGER NOT NULL,
        final        INTEGER NOT NULL,
        channel      TEXT    NOT NULL,
        seq          INTEGER NOT NULL,
        PRIMARY KEY (symbol, interval, window_start)
      ) WITHOUT ROWID;
      CREATE INDEX bars_by_channel_seq ON bars (channel, seq);
      CREATE INDEX bars_by_window_end ON bars (window_end);

      CREATE TABLE indicators (
        symbol       TEXT    NOT NULL,
        window_start INTEGER NOT NULL,
        window_end   INTEGER NOT NULL,
        ma           REAL    NOT NULL,
        volatility   REAL    NOT NULL,
        trade_count  INTEGER NOT NULL,
        channel      TEXT    NOT NULL,
        seq          INTEGER NOT NULL,
        PRIMARY KEY (symbol, window_start)
      ) WITHOUT ROWID;
      CREATE INDEX indicators_by_channel_seq ON indicators (channel, seq);
      CREATE INDEX indicators_by_window_end ON indicators (window_end);

      CREATE TABLE alerts (
        id           INTEGER PRIMARY KEY,
        symbol       TEXT    NOT NULL,
        anomaly_type TEXT    NOT NULL,
        severity     TEXT    NOT NULL,
        timestamp    INTEGER NOT NULL,
        price        REAL,
        volume       INTEGER,
        price_zscore REAL,
        volume_ratio REAL,
        spread_ratio REAL,
        volatility   REAL,
        channel      TEXT    NOT NULL,
        seq          INTEGER NOT NULL
      );
      CREATE INDEX alerts_by_time ON alerts (timestamp);
      CREATE INDEX alerts_by_symbol_time ON alerts (symbol, timestamp);
      CREATE INDEX alerts_by_channel_seq ON alerts (channel, seq);

      CREATE TABLE dead_letters (
        id          INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        reason      TEXT    NOT NULL,
        field       TEXT    NOT NULL,
        message     TEXT    NOT NULL,
        line        INTEGER NOT NULL,
        raw         TEXT,
        tick        TEXT
      );
      CREATE INDEX dead_letters_by_time ON dead_letters (received_at);

      CREATE TABLE channel_seqs (
        channel TEXT    PRIMARY KEY,
        seq     INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'Kafka outbox, engine checkpoints and alert identities for exactly-once output',
    // The outbox holds results waiting for the Kafka mirror, in commit order;
    // AUTOINCREMENT keeps ids growing after every row is deleted, because the
    // mirror recognises what it already sent by the highest id. An alert's
    // identity (symbol, type, timestamp, origin) lets results regenerated
    // after a restore be recognised; rows from before it get a unique origin.
    sql: `
      CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        topic       TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        value       TEXT    NOT NULL,
        headers     TEXT    NOT NULL,
        enqueued_at INTEGER NOT NULL
      );

      CREATE TABLE checkpoints (
        source     TEXT    PRIMARY KEY,
        position   TEXT    NOT NULL,
        state      BLOB    NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      ALTER TABLE alerts ADD COLUMN origin TEXT NOT NULL DEFAULT '';
      UPDATE alerts SET origin = 'row:' || id;
      CREATE UNIQUE INDEX alerts_identity ON alerts (symbol, anomaly_type, timestamp, origin);
    `,
  },
  {
    version: 3,
    description: 'stored_at on bars, indicators and alerts, so retention counts from when a record was stored',
    // Retention by event time let one tick stamped in the future expire every
    // other symbol's history, and swept a replayed history at once; it now
    // goes by the writer's clock at commit. Rows from before this migration
    // get the time of the upgrade (ms since the epoch, rounded because
    // unixepoch('subsec') is a float), so an upgraded store keeps them for one
    // full retention from then. The UPDATEs rewrite every row once, in this
    // one transaction. The window_end indexes served only the old sweep;
    // alerts_by_time stays, alert queries filter by timestamp.
    sql: `
      DROP INDEX bars_by_window_end;
      DROP INDEX indicators_by_window_end;

      ALTER TABLE bars ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE indicators ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE alerts ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;

      UPDATE bars SET stored_at = CAST(round(unixepoch('subsec') * 1000) AS INTEGER);
      UPDATE indicators SET stored_at = CAST(round(unixepoch('subsec') * 1000) AS INTEGER);
      UPDATE alerts SET stored_at = CAST(round(unixepoch('subsec') * 1000) AS INTEGER);

      CREATE INDEX bars_by_stored_at ON bars (stored_at);
      CREATE INDEX indicators_by_stored_at ON indicators (stored_at);
      CREATE INDEX alerts_by_stored_at ON alerts (stored_at);
    `,
  },
  {
    version: 4,
    description: 'store metadata for the epoch of stored channels, and the highest seq retention removed per channel',
    // The stored channels' seqs live in an epoch that a resume can trust
    // only while they run on without reuse (store-epoch.ts): a random id of
    // the file and a generation that grows when a run did not close cleanly.
    // `swept` lets a resume prove that no record after its seq was removed
    // by retention (a bar channel's stored seqs have gaps of their own).
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
      ALTER TABLE channel_seqs ADD COLUMN swept INTEGER NOT NULL DEFAULT 0;
      `,
  },
  {
    version: 5,
    description: 'truncated on dead letters: which input text the store cut, and its whole size',
    // The store keeps at most 4 KiB of each input text of a dead letter
    // (dead-letter-text.ts); this column says which fields were cut and how
    // long they were, as JSON, NULL when nothing was. Adding a column
    // rewrites no row.
    sql: `
      ALTER TABLE dead_letters ADD COLUMN truncated TEXT;
    `,
  },
  {
    version: 6,
    description: 'activity bars, trade side and revisions of bars and indicators',
    // An activity bar is keyed by its index (two bars of "500t" may start in
    // one millisecond), so bar_index joins the key, -1 for a time bar; a
    // primary key cannot be altered in SQLite, so the table is rebuilt.
    // Rows from before get NULL trade side and revision 0. A correction
    // rewrites a row with a higher revision (batch-writer.ts).
    sql: `
      CREATE TABLE bars_v6 (
        symbol       TEXT    NOT NULL,
        interval     TEXT    NOT NULL,
        window_start INTEGER NOT NULL,
        bar_index    INTEGER NOT NULL,
        window_end   INTEGER NOT NULL,
        open         REAL    NOT NULL,
        high         REAL    NOT NULL,
        low          REAL    NOT NULL,
        close        REAL    NOT NULL,
        volume       INTEGER NOT NULL,
        vwap         REAL,
        trade_count  INTEGER NOT NULL,
        final        INTEGER NOT NULL,
        complete     INTEGER,
        buy_volume   INTEGER,
        sell_volume  INTEGER,
        buy_count    INTEGER,
        sell_count   INTEGER,
        revision     INTEGER NOT NULL,
        channel      TEXT    NOT NULL,
        seq          INTEGER NOT NULL,
        stored_at    INTEGER NOT NULL,
        PRIMARY KEY (symbol, interval, window_start, bar_index)
      ) WITHOUT ROWID;
      INSERT INTO bars_v6 (symbol, interval, window_start, bar_index, window_end, open, high, low, close, volume, vwap, trade_count,
                           final, revision, channel, seq, stored_at)
        SELECT symbol, interval, window_start, -1, window_end, open, high, low, close, volume, vwap, trade_count,
               final, 0, channel, seq, stored_at FROM bars;
      DROP TABLE bars;
      ALTER TABLE bars_v6 RENAME TO bars;
      CREATE INDEX bars_by_channel_seq ON bars (channel, seq);
      CREATE INDEX bars_by_stored_at ON bars (stored_at);

      ALTER TABLE indicators ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    description: 'incremental checkpoints: the last checkpoints of a source, in order',
    // An incremental checkpoint restores only after the ones before it in its
    // rotation (docs/durability.md, "Incremental checkpoints"), so a source
    // keeps its last few, numbered by n; writing one deletes those past the
    // rotation, and the source's single row in checkpoints, which older
    // versions wrote and a restore still reads when no chain exists.
    sql: `
      CREATE TABLE checkpoint_chain (
        source     TEXT    NOT NULL,
        n          INTEGER NOT NULL,
        position   TEXT    NOT NULL,
        state      BLOB    NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (source, n)
      ) WITHOUT ROWID;
    `,
  },
]);

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` to SCHEMA_VERSION. Refuses files that belong to another
 * application or come from a newer tickflow, before touching them.
 */
export function migrate(db: Database, path: string): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new StoreError(
      `${path} is a SQLite database of another application (application_id ${appId}), not a tickflow store; choose another --db path`,
    );
  }
  const found = userVersion(db);
  if (found > SCHEMA_VERSION) {
    throw new StoreError(
      `${path} has store schema version ${found}, newer than this tickflow knows (${SCHEMA_VERSION}); ` +
        'upgrade tickflow, or choose another --db path',
    );
  }
  if (found === 0) {
    const tables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get();
    if (tables !== undefined && tables.n > 0) {
      throw new StoreError(`${path} holds tables but no tickflow schema version, so it is not a tickflow store; choose another --db path`);
    }
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= found) continue;
    // IMMEDIATE takes the write lock before reading the version again, so two
    // processes opening the same new file cannot both apply a migration.
    const apply = db.transaction(() => {
      if (userVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      throw new StoreError(
        `${path}: store migration ${migration.version} (${migration.description}) failed: ${(error as Error).message}; ` +
          `restore the file from a backup or choose another --db path`,
      );
    }
  }
  return userVersion(db);
}
