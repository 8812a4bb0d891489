// The store's schema: upgrades of older files, and opening new, newer,
// foreign or unreachable ones.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/store/migrations';
import { Store, type StoreOptions } from '../../src/store/store';
import { MIN } from '../fixtures/records';
import { DAY, freshPath, rejectsWithStoreError, storeDir, withStore } from '../fixtures/store-harness';

describe('store schema upgrade', () => {
  it('gives rows of a version-2 store the time of the upgrade as stored_at, so retention keeps them', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    const old = Date.now() - 30 * DAY;
    /** The last schema version without stored_at, built by hand as that tickflow would have. */
    const lastWithout = 2;
    let db = new Database(path);
    try {
      for (const migration of MIGRATIONS.slice(0, lastWithout)) db.exec(migration.sql);
      db.pragma(`user_version = ${lastWithout}`);
      db.prepare(
        `INSERT INTO bars (symbol, interval, window_start, window_end, open, high, low, close, volume, vwap, trade_count, final,
                           channel, seq)
        VALUES ('AAPL', '1m', ?, ?, 1, 1, 1, 1, 10, 1, 1, 1, 'bars.1m.AAPL', 7)`,
      ).run(old, old + MIN);
      db.prepare(
        `INSERT INTO indicators (symbol, window_start, window_end, ma, volatility, trade_count, channel, seq)
        VALUES ('AAPL', ?, ?, 1, 0.1, 3, 'indicators.AAPL', 4)`,
      ).run(old, old + 5 * MIN);
      db.prepare(
        `INSERT INTO alerts (symbol, anomaly_type, severity, timestamp, price, volume, price_zscore, volume_ratio, spread_ratio,
                             volatility, channel, seq, origin)
        VALUES ('AAPL', 'PRICE_SPIKE', 'CRITICAL', ?, 1, 1, 4, 1, NULL, NULL, 'alerts.AAPL', 9, '9')`,
      ).run(old);
      db.prepare("INSERT INTO channel_seqs (channel, seq) VALUES ('bars.1m.AAPL', 7), ('indicators.AAPL', 4), ('alerts.AAPL', 9)").run();
    } finally {
      db.close();
    }

    const before = Date.now();
    await withStore({ path, retentionMs: DAY }, async (store) => {
      assert.equal(store.schemaVersion, SCHEMA_VERSION);
      assert.deepEqual(
        (await store.queryBars({ symbol: 'AAPL', interval: '1m' })).map((b) => b.window_start),
        [old],
      );
      assert.deepEqual(
        (await store.queryChannel('indicators.AAPL', 0, 10)).map((entry) => entry.seq),
        [4],
      );
      assert.deepEqual(
        (await store.queryAlerts({})).map((a) => a.timestamp),
        [old],
      );
      assert.deepEqual(store.stats().retentionDeleted, { bars: 0, indicators: 0, alerts: 0, deadLetters: 0 });
    });
    const after = Date.now();

    db = new Database(path, { readonly: true });
    try {
      for (const table of ['bars', 'indicators', 'alerts']) {
        const { stored_at: storedAt } = db.prepare(`SELECT stored_at FROM ${table}`).get() as { stored_at: number };
        assert.ok(
          Number.isInteger(storedAt) && storedAt >= before && storedAt <= after,
          `${table}.stored_at ${storedAt} is the upgrade time, in [${before}, ${after}]`,
        );
      }
      const indexes = (
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{
          name: string;
        }>
      ).map((row) => row.name);
      for (const name of ['bars_by_stored_at', 'indicators_by_stored_at', 'alerts_by_stored_at', 'alerts_by_time'])
        assert.ok(indexes.includes(name), `${name} exists`);
      for (const name of ['bars_by_window_end', 'indicators_by_window_end']) assert.ok(!indexes.includes(name), `${name} is dropped`);
    } finally {
      db.close();
    }
  });
});

describe('store schema and opening', () => {
  it('creates the folder and migrates a fresh file to the latest schema version, in WAL mode', async () => {
    const path = freshPath();
    await withStore({ path }, async (store) => {
      assert.equal(store.schemaVersion, SCHEMA_VERSION);
    });
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('refuses a file with a newer schema version than it knows, naming the path', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await rejectsWithStoreError(
      Store.open({ path, retentionMs: 0 }),
      path,
      `schema version ${SCHEMA_VERSION + 1}, newer than this tickflow knows`,
      'upgrade tickflow',
    );
  });

  it('refuses a file that is not SQLite, naming the path and what to do', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'symbol,price\n'.repeat(100));
    await rejectsWithStoreError(Store.open({ path, retentionMs: 0 }), path, 'is not a SQLite database', 'choose another --db path');
  });

  it('refuses SQLite files of other applications rather than migrating them', async () => {
    const foreignId = freshPath();
    mkdirSync(join(foreignId, '..'), { recursive: true });
    let db = new Database(foreignId);
    db.pragma('application_id = 1234');
    db.close();
    await rejectsWithStoreError(Store.open({ path: foreignId, retentionMs: 0 }), foreignId, 'another application');

    const foreignTables = freshPath();
    mkdirSync(join(foreignTables, '..'), { recursive: true });
    db = new Database(foreignTables);
    db.exec('CREATE TABLE bars (x)');
    db.close();
    await rejectsWithStoreError(Store.open({ path: foreignTables, retentionMs: 0 }), foreignTables, 'not a tickflow store');
  });

  it('says so when the folder cannot be created', async () => {
    const blocker = join(storeDir, 'a-file');
    writeFileSync(blocker, '');
    const path = join(blocker, 'sub', 'tickflow.db');
    await rejectsWithStoreError(Store.open({ path, retentionMs: 0 }), `cannot create the folder ${join(blocker, 'sub')}`, path);
  });

  const BAD_OPTIONS: Array<[string, StoreOptions, string]> = [
    ['an empty path', { path: '', retentionMs: 0 }, 'invalid store option path = "": expected the path of a SQLite file'],
    [
      'an in-memory database',
      { path: ':memory:', retentionMs: 0 },
      'invalid store option path = ":memory:": expected the path of a SQLite file',
    ],
    [
      'a negative retention',
      { path: 'x.db', retentionMs: -1 },
      'invalid store option retentionMs = -1: expected an integer >= 0 (milliseconds; 0 keeps records forever)',
    ],
    [
      'zero readers',
      { path: 'x.db', retentionMs: 0, readers: 0 },
      'invalid store option readers = 0: expected an integer from 1 to 64 (threads)',
    ],
    [
      'a fractional flush interval',
      { path: 'x.db', retentionMs: 0, flushIntervalMs: 2.5 },
      'invalid store option flushIntervalMs = 2.5: expected an integer from 1 to 60000 (milliseconds)',
    ],
    [
      'a bound below one batch',
      { path: 'x.db', retentionMs: 0, maxPendingWrites: 10 },
      'invalid store option maxPendingWrites = 10: expected an integer >= 1000 (records)',
    ],
    [
      'a zero sweep interval',
      { path: 'x.db', retentionMs: 0, sweepIntervalMs: 0 },
      'invalid store option sweepIntervalMs = 0: expected an integer from 1 to 86400000 (milliseconds)',
    ],
    // A listener from an untyped caller (a JavaScript config file, say).
    [
      'a sweep listener that is not a function',
      { path: 'x.db', retentionMs: 0, onSweep: 'log' as unknown as StoreOptions['onSweep'] },
      'invalid store option onSweep = log: expected a function (sweep) => void, or no onSweep',
    ],
  ];
  for (const [name, options, message] of BAD_OPTIONS) {
    it(`refuses ${name} with a message naming the option, value and expectation`, async () => {
      await rejectsWithStoreError(Store.open(options), message);
    });
  }
});
