import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { StoreError } from '../../src/errors';
import type { AlertRecord, DeadLetterRecord } from '../../src/records/records';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/store/migrations';
import { Store, type RetentionSweep, type StoreOptions } from '../../src/store/store';
import { MIN, alert, alertEntry, bar, barEntry, indicator, indicatorEntry } from '../fixtures/records';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A fresh database path in a folder that does not exist yet. */
function freshPath(): string {
  files++;
  return join(dir, `case-${files}`, 'tickflow.db');
}

const DAY = 86_400_000;

/** Deep equality plus identical JSON, which also pins key order. */
function assertSameRecords(actual: unknown, expected: unknown): void {
  assert.deepStrictEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

async function withStore<T>(options: Partial<StoreOptions> & { path: string }, body: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open({ retentionMs: 0, ...options });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

async function rejectsWithStoreError(promise: Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_TICKFLOW_STORE');
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" should mention "${fragment}"`);
    return true;
  });
}

describe('store round trip', () => {
  it('gives back every record kind exactly as written, nulls and key order included', async () => {
    const bars = [bar('AAPL', '1m', 0), bar('AAPL', '1m', MIN, { vwap: null, volume: 0 })];
    const indicators = [indicator('AAPL', 30_000)];
    const alerts = [
      alert('AAPL', 1000),
      alert('AAPL', 2000, {
        anomaly_type: 'SPREAD_WIDENING',
        severity: 'WARNING',
        price: null,
        volume: null,
        price_zscore: null,
        volume_ratio: null,
        spread_ratio: 2.5,
      }),
      alert('AAPL', 3000, {
        anomaly_type: 'HIGH_VOLATILITY',
        severity: 'WARNING',
        price: null,
        volume: null,
        price_zscore: null,
        volume_ratio: null,
        volatility: 0.031,
      }),
    ];
    const deadLetters: DeadLetterRecord[] = [
      { type: 'dead_letter', reason: 'unparsable', field: '', message: 'not JSON', line: 3, raw: '{"symbol":' },
      {
        type: 'dead_letter',
        reason: 'out_of_range',
        field: 'price',
        message: 'price must be > 0',
        line: 4,
        tick: { symbol: 'AAPL', price: -1, nested: { a: [1, null] } },
      },
      { type: 'dead_letter', reason: 'late', field: '', message: 'older than the watermark', line: 0 },
      {
        type: 'dead_letter',
        reason: 'wrong_type',
        field: 'volume',
        message: 'volume must be an integer',
        line: 9,
        raw: 'x',
        tick: { volume: '5' },
      },
    ];
    await withStore({ path: freshPath() }, async (store) => {
      bars.forEach((record, i) => store.write(barEntry(record, i + 1)));
      indicators.forEach((record, i) => store.write(indicatorEntry(record, i + 1)));
      alerts.forEach((record, i) => store.write(alertEntry(record, i + 1)));
      deadLetters.forEach((record, i) => store.write({ kind: 'dead_letter', record, receivedAt: 1_700_000_000_000 + i }));
      await store.flush();

      assertSameRecords(await store.queryBars({ symbol: 'AAPL', interval: '1m' }), bars);
      assertSameRecords(await store.queryAlerts({}), alerts);
      assertSameRecords(
        (await store.queryChannel('indicators.AAPL', 0, 10)).map((entry) => entry.record),
        indicators,
      );
      assertSameRecords(
        await store.queryDeadLetters({}),
        deadLetters.map((record, i) => ({ receivedAt: 1_700_000_000_000 + i, record })),
      );
      assert.equal(store.stats().pendingWrites, 0);
      assert.equal(store.stats().committedBatches, 1);
    });
  });

  it("keeps at most 4 KiB of a dead letter's input text, says it was cut and how long it was, and keeps short ones whole", async () => {
    // 'é' is two bytes in UTF-8: 4095 one-byte characters and then 'é' cannot all fit in 4096 bytes.
    const raw = `${'x'.repeat(4095)}${'é'.repeat(250_000)}`;
    const symbol = 'S'.repeat(900_000);
    const long: DeadLetterRecord[] = [
      { type: 'dead_letter', reason: 'unparsable', field: '', message: 'not JSON', line: 1, raw },
      {
        type: 'dead_letter',
        reason: 'invalid_value',
        field: 'symbol',
        message: 'symbol must be 1-32 characters',
        line: 2,
        tick: { symbol, event_type: 'TRADE', exchange: 'XNAS' },
      },
      { type: 'dead_letter', reason: 'unparsable', field: '', message: 'not JSON', line: 3, raw: 'é'.repeat(2048) },
    ];
    const path = freshPath();
    await withStore({ path }, async (store) => {
      long.forEach((record, i) => store.write({ kind: 'dead_letter', record, receivedAt: 1_700_000_000_000 + i }));
      await store.flush();
      const [first, second, third] = (await store.queryDeadLetters({})).map((d) => d.record);
      assertSameRecords(first, { ...long[0], raw: 'x'.repeat(4095), truncated: { raw: Buffer.byteLength(raw) } });
      assertSameRecords(second, {
        ...long[1],
        tick: { symbol: 'S'.repeat(4096), event_type: 'TRADE', exchange: 'XNAS' },
        truncated: { 'tick.symbol': 900_000 },
      });
      assertSameRecords(third, long[2]); // exactly 4096 bytes: kept whole
    });
    const db = new Database(path, { readonly: true });
    try {
      const widest = db
        .prepare('SELECT max(coalesce(length(CAST(raw AS BLOB)), 0) + coalesce(length(CAST(tick AS BLOB)), 0)) AS n FROM dead_letters')
        .get() as {
        n: number;
      };
      assert.ok(widest.n < 5000, `the widest row holds ${widest.n} bytes of input`);
    } finally {
      db.close();
    }
  });

  it('keeps the first write of a final bar or indicator key: a record regenerated after a restore is recognised', async () => {
    await withStore({ path: freshPath() }, async (store) => {
      store.write(barEntry(bar('AAPL', '1m', 0, { close: 1 }), 1));
      store.write(indicatorEntry(indicator('AAPL', 0, { ma: 1 }), 1));
      await store.flush();
      const first = bar('AAPL', '1m', 0, { close: 1 });
      store.write(barEntry(bar('AAPL', '1m', 0, { close: 2, vwap: null }), 2));
      store.write(indicatorEntry(indicator('AAPL', 0, { ma: 2 }), 2));
      await store.flush();
      assertSameRecords(await store.queryBars({ symbol: 'AAPL', interval: '1m' }), [first]);
      assertSameRecords(await store.queryChannel('bars.1m.AAPL', 0, 10), [{ seq: 1, record: first }]);
      assertSameRecords(await store.queryChannel('indicators.AAPL', 0, 10), [{ seq: 1, record: indicator('AAPL', 0, { ma: 1 }) }]);
    });
  });

  it('coalesces rewrites of a key that are still queued into one write of the last one', async () => {
    await withStore({ path: freshPath() }, async (store) => {
      for (let close = 1; close <= 3; close++) store.write(barEntry(bar('MSFT', '1m', 0, { close }), close));
      store.write(barEntry(bar('MSFT', '1m', MIN), 4));
      assert.equal(store.stats().coalescedWrites, 2);
      assert.equal(store.stats().pendingWrites, 2);
      await store.flush();
      assertSameRecords(await store.queryBars({ symbol: 'MSFT', interval: '1m' }), [
        bar('MSFT', '1m', 0, { close: 3 }),
        bar('MSFT', '1m', MIN),
      ]);
      assert.deepEqual(await store.maxSeqByChannel(), new Map([['bars.1m.MSFT', 4]]));
    });
  });
});

describe('store queries', () => {
  it('filters bars by symbol, interval and [from, to), ascending window_start, with default and capped limits', async () => {
    await withStore({ path: freshPath() }, async (store) => {
      let seq = 0;
      // Written newest first, so ascending output is the query's doing.
      for (let i = 11_999; i >= 0; i--) store.write(barEntry(bar('AAPL', '1m', i * MIN), ++seq));
      for (let i = 0; i < 5; i++) store.write(barEntry(bar('AAPL', '5m', i * 5 * MIN), ++seq));
      for (let i = 0; i < 5; i++) store.write(barEntry(bar('MSFT', '1m', i * MIN), ++seq));
      await store.flush();

      const window = await store.queryBars({ symbol: 'AAPL', interval: '1m', from: 10 * MIN, to: 15 * MIN });
      assert.deepEqual(
        window.map((b) => b.window_start),
        [10, 11, 12, 13, 14].map((i) => i * MIN),
      );
      const limited = await store.queryBars({ symbol: 'AAPL', interval: '1m', from: 10 * MIN, limit: 2 });
      assert.deepEqual(
        limited.map((b) => b.window_start),
        [10 * MIN, 11 * MIN],
      );
      const untilFive = await store.queryBars({ symbol: 'AAPL', interval: '5m', to: 10 * MIN });
      assert.deepEqual(
        untilFive.map((b) => b.window_start),
        [0, 5 * MIN],
      );
      assert.equal((await store.queryBars({ symbol: 'MSFT', interval: '1m' })).length, 5);
      assert.equal((await store.queryBars({ symbol: 'AAPL', interval: '1m' })).length, 1000);
      const capped = await store.queryBars({ symbol: 'AAPL', interval: '1m', limit: 50_000 });
      assert.equal(capped.length, 10_000);
      assert.equal(capped[9_999]?.window_start, 9_999 * MIN);
      assert.deepEqual(await store.queryBars({ symbol: 'NONE', interval: '1m' }), []);
    });
  });

  it('filters alerts by symbol, anomaly type and [from, to), ascending timestamp with ties in write order', async () => {
    await withStore({ path: freshPath() }, async (store) => {
      const written = [
        alert('AAPL', 3000),
        alert('MSFT', 1000, { anomaly_type: 'VOLUME_SURGE', severity: 'WARNING' }),
        alert('AAPL', 1000, { anomaly_type: 'VOLUME_SURGE', severity: 'WARNING' }),
        alert('AAPL', 1000, { price: 1 }),
        alert('AAPL', 5000),
      ];
      written.forEach((record, i) => store.write(alertEntry(record, i + 1)));
      await store.flush();
      const pick = (...indexes: number[]): AlertRecord[] => indexes.map((i) => written[i] as AlertRecord);

      assertSameRecords(await store.queryAlerts({}), pick(1, 2, 3, 0, 4));
      assertSameRecords(await store.queryAlerts({ symbol: 'AAPL' }), pick(2, 3, 0, 4));
      assertSameRecords(await store.queryAlerts({ anomalyType: 'VOLUME_SURGE' }), pick(1, 2));
      assertSameRecords(await store.queryAlerts({ symbol: 'AAPL', anomalyType: 'PRICE_SPIKE', from: 1000, to: 5000 }), pick(3, 0));
      assertSameRecords(await store.queryAlerts({ from: 3000, limit: 1 }), pick(0));
    });
  });

  it('refuses bad queries with a StoreError naming the field, value and expectation', async () => {
    await withStore({ path: freshPath() }, async (store) => {
      await rejectsWithStoreError(
        store.queryBars({ symbol: 'AAPL', interval: '1m', limit: 0 }),
        'queryBars: limit = 0: expected an integer >= 1',
      );
      await rejectsWithStoreError(store.queryBars({ symbol: '', interval: '1m' }), 'queryBars: symbol = "": expected a non-empty string');
      await rejectsWithStoreError(store.queryAlerts({ from: 1.5 }), 'queryAlerts: from = 1.5: expected an integer time');
      await rejectsWithStoreError(store.queryChannel('alerts.AAPL', Number.NaN, 10), 'queryChannel: afterSeq = NaN: expected an integer');
    });
  });

  it('answers queryChannel with the records after afterSeq in seq order, and maxSeqByChannel per channel', async () => {
    await withStore({ path: freshPath() }, async (store) => {
      for (let seq = 1; seq <= 6; seq++) store.write(alertEntry(alert('AAPL', seq * 1000), seq));
      for (let seq = 1; seq <= 3; seq++) store.write(barEntry(bar('AAPL', '1m', seq * MIN), seq + 10));
      store.write(alertEntry(alert('MSFT', 1), 7));
      await store.flush();

      const after3 = await store.queryChannel('alerts.AAPL', 3, 100);
      assert.deepEqual(
        after3.map((entry) => entry.seq),
        [4, 5, 6],
      );
      assertSameRecords(after3[0]?.record, alert('AAPL', 4000));
      assert.deepEqual(
        (await store.queryChannel('alerts.AAPL', 0, 2)).map((entry) => entry.seq),
        [1, 2],
      );
      assert.deepEqual(
        (await store.queryChannel('bars.1m.AAPL', 11, 100)).map((entry) => entry.seq),
        [12, 13],
      );
      assert.deepEqual(await store.queryChannel('alerts.AAPL', 6, 100), []);
      assert.deepEqual(await store.queryChannel('trades.AAPL', 0, 100), []);
      const tail = await store.queryChannelTail('alerts.AAPL', 2);
      assert.deepEqual(
        tail.map((entry) => entry.seq),
        [5, 6],
        'the newest, in ascending seq',
      );
      assertSameRecords(tail[1]?.record, alert('AAPL', 6000));
      assert.deepEqual(
        (await store.queryChannelTail('bars.1m.AAPL', 100)).map((entry) => entry.seq),
        [11, 12, 13],
      );
      assert.deepEqual(await store.queryChannelTail('quotes.AAPL', 5), []);
      assert.equal(await store.sweptSeq('alerts.AAPL'), 0, 'nothing removed by retention');
      assert.deepEqual(
        await store.maxSeqByChannel(),
        new Map([
          ['alerts.AAPL', 6],
          ['alerts.MSFT', 7],
          ['bars.1m.AAPL', 13],
        ]),
      );
    });
  });
});

describe('store epoch', () => {
  it('keeps its epoch across a clean close, and starts a new generation when a run did not close', async () => {
    const path = freshPath();
    const first = await withStore({ path }, async (store) => store.epoch);
    assert.match(first, /^[0-9a-f]{12}\.1$/);
    assert.equal(await withStore({ path }, async (store) => store.epoch), first, 'a clean close keeps it');

    // A run that ended without closing left the file marked as running.
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '1' WHERE key = 'running'").run();
    db.close();
    const [id] = first.split('.');
    assert.equal(await withStore({ path }, async (store) => store.epoch), `${id}.2`);
    assert.equal(await withStore({ path }, async (store) => store.epoch), `${id}.2`);

    const other = await withStore({ path: freshPath() }, async (store) => store.epoch);
    assert.notEqual(other.split('.')[0], id, 'another file, another id');
  });
});

describe('store lifecycle', () => {
  it('makes writes visible after flush(), and a store reopened after close() sees them and their seqs', async () => {
    const path = freshPath();
    await withStore({ path }, async (store) => {
      store.write(barEntry(bar('AAPL', '1m', 0), 41));
      store.write(alertEntry(alert('AAPL', 5), 9));
      await store.flush();
      assert.equal((await store.queryBars({ symbol: 'AAPL', interval: '1m' })).length, 1);
    });
    assert.ok(!existsSync(`${path}-wal`), 'closing checkpoints and removes the WAL');
    await withStore({ path, readers: 2 }, async (store) => {
      assertSameRecords(await store.queryBars({ symbol: 'AAPL', interval: '1m' }), [bar('AAPL', '1m', 0)]);
      assert.deepEqual(
        await store.maxSeqByChannel(),
        new Map([
          ['alerts.AAPL', 9],
          ['bars.1m.AAPL', 41],
        ]),
      );
    });
  });

  it('drops writes after close(), rejects queries, and resolves flush() and a second close()', async () => {
    const store = await Store.open({ path: freshPath(), retentionMs: 0 });
    await store.close();
    store.write(alertEntry(alert('AAPL', 1), 1));
    assert.equal(store.stats().droppedWrites, 1);
    await store.flush();
    await store.close();
    await rejectsWithStoreError(store.queryAlerts({}), 'is closed');
  });

  it('stops every thread on close(), so a process that closed its store exits by itself', () => {
    const storeModule = join(__dirname, '..', '..', 'src', 'store', 'store.js');
    const script = `
      const { Store } = require(${JSON.stringify(storeModule)});
      (async () => {
        const store = await Store.open({ path: ${JSON.stringify(freshPath())}, retentionMs: 60000, readers: 2 });
        store.write({ kind: 'alert', channel: 'alerts.X', seq: 1, origin: '1', record: ${JSON.stringify(alert('X', Date.now()))} });
        await store.flush();
        if ((await store.queryAlerts({})).length !== 1) throw new Error('the alert was not stored');
        await store.close();
      })().catch((error) => { console.error(error); process.exitCode = 1; });`;
    // The timeout only turns a hang into a failure; nothing is measured.
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, 'the process had to be killed: some thread or handle was left running');
    assert.equal(child.status, 0, child.stderr);
  });

  it('keeps the event loop turning while a large batch of writes commits', async () => {
    await withStore({ path: freshPath(), maxPendingWrites: 250_000 }, async (store) => {
      const count = 200_000;
      for (let i = 0; i < count; i++) store.write(barEntry(bar('LOAD', '1s', i * 1000), i + 1));
      let turns = 0;
      let flushed = false;
      const spin = (): void => {
        if (flushed) return;
        turns++;
        setImmediate(spin);
      };
      setImmediate(spin);
      await store.flush();
      const turnsWhileCommitting = turns;
      flushed = true;
      assert.ok(turnsWhileCommitting > 0, 'a setImmediate callback ran between enqueueing and the end of flush()');
      const stats = store.stats();
      assert.deepEqual([stats.pendingWrites, stats.droppedWrites, stats.failedBatches], [0, 0, 0]);
      assert.ok(stats.committedBatches >= count / 1000);
      assert.equal((await store.maxSeqByChannel()).get('bars.1s.LOAD'), count);
      assert.equal((await store.queryBars({ symbol: 'LOAD', interval: '1s', from: (count - 10) * 1000 })).length, 10);
    });
  });

  it('never drops final records past maxPendingWrites, and drops (and counts) dead letters instead', async () => {
    await withStore({ path: freshPath(), maxPendingWrites: 1000 }, async (store) => {
      const count = 10_000;
      // One synchronous burst: no acknowledgement can arrive, so the writer is necessarily behind.
      for (let seq = 1; seq <= count; seq++) store.write(alertEntry(alert('BURST', seq), seq));
      assert.equal(store.stats().droppedWrites, 0);
      for (let i = 0; i < 500; i++) {
        store.write({
          kind: 'dead_letter',
          record: { type: 'dead_letter', reason: 'late', field: '', message: 'm', line: i },
          receivedAt: i,
        });
      }
      assert.equal(store.stats().droppedWrites, 500);
      await store.flush();
      const stored = await store.queryChannel('alerts.BURST', 0, 10_000);
      assert.equal(stored.length, count);
      assert.equal(store.stats().pendingWrites, 0);
    });
  });

  it('reports a record the database refuses through onError, stores the rest of its batch, and keeps running', async () => {
    await withStore({ path: freshPath() }, async (store) => {
      const errors: StoreError[] = [];
      store.onError((error) => errors.push(error));
      store.write(barEntry(bar('AAPL', '1m', 0), 1));
      store.write(barEntry(bar('AAPL', '1m', MIN, { open: Number.NaN }), 2)); // SQLite stores NaN as NULL
      store.write(barEntry(bar('AAPL', '1m', 2 * MIN), 3));
      await store.flush();
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.code, 'ERR_TICKFLOW_STORE');
      assert.match(errors[0]?.message ?? '', /1 of 3 records .* could not be stored .*NOT NULL constraint failed: bars\.open/);
      assert.deepEqual(
        (await store.queryBars({ symbol: 'AAPL', interval: '1m' })).map((b) => b.window_start),
        [0, 2 * MIN],
      );
      assert.equal(store.stats().failedRecords, 1);
      assert.equal(store.stats().failedBatches, 0);
      assert.deepEqual(await store.maxSeqByChannel(), new Map([['bars.1m.AAPL', 3]]));
    });
  });
});

describe('store retention', () => {
  const letter: DeadLetterRecord = { type: 'dead_letter', reason: 'late', field: '', message: 'late', line: 1 };
  const NONE = { bars: 0, indicators: 0, alerts: 0, deadLetters: 0 };

  it('keeps records stored now whatever their event time, three days old or in 2099, and stamps them with the commit time', async () => {
    const path = freshPath();
    const now = Date.now();
    const old = now - 3 * DAY;
    const future = Date.UTC(2099, 0, 1);
    const before = Date.now();
    await withStore({ path, retentionMs: DAY }, async (store) => {
      store.write(barEntry(bar('AAPL', '1m', old), 1));
      store.write(barEntry(bar('ZZZZ', '1m', future), 1));
      store.write(indicatorEntry(indicator('AAPL', old), 1));
      store.write(indicatorEntry(indicator('ZZZZ', future), 1));
      store.write(alertEntry(alert('AAPL', old), 1));
      store.write(alertEntry(alert('ZZZZ', future), 1));
      // Dead letters still go by when they were received.
      store.write({ kind: 'dead_letter', record: letter, receivedAt: old });
      store.write({ kind: 'dead_letter', record: letter, receivedAt: now });
      await store.flush();
    });
    const after = Date.now();
    const db = new Database(path, { readonly: true });
    try {
      for (const table of ['bars', 'indicators', 'alerts']) {
        for (const { stored_at } of db.prepare(`SELECT stored_at FROM ${table}`).all() as Array<{ stored_at: number }>) {
          assert.ok(
            stored_at >= before && stored_at <= after,
            `${table}.stored_at ${stored_at} is the commit time, in [${before}, ${after}]`,
          );
        }
      }
    } finally {
      db.close();
    }
    const heard: RetentionSweep[] = [];
    await withStore({ path, retentionMs: DAY, onSweep: (sweep) => heard.push(sweep) }, async (store) => {
      assert.deepEqual(
        (await store.queryBars({ symbol: 'AAPL', interval: '1m' })).map((b) => b.window_start),
        [old],
      );
      assert.deepEqual(
        (await store.queryBars({ symbol: 'ZZZZ', interval: '1m' })).map((b) => b.window_start),
        [future],
      );
      assertSameRecords(
        (await store.queryChannel('indicators.AAPL', 0, 10)).map((entry) => entry.record),
        [indicator('AAPL', old)],
      );
      assertSameRecords(
        (await store.queryChannel('indicators.ZZZZ', 0, 10)).map((entry) => entry.record),
        [indicator('ZZZZ', future)],
      );
      assert.deepEqual(
        (await store.queryAlerts({})).map((a) => a.timestamp),
        [old, future],
      );
      assert.deepEqual(
        (await store.queryDeadLetters({})).map((d) => d.receivedAt),
        [now],
      );
      assert.deepEqual(store.stats().retentionDeleted, { ...NONE, deadLetters: 1 });
      assert.deepEqual(
        heard.map(({ cutoff: _cutoff, ...counts }) => counts),
        [{ ...NONE, deadLetters: 1 }],
      );
    });
  });

  it(
    'deletes records stored longer ago than the retention, keeps recent ones and the channel seqs, and counts and ' + 'reports each sweep',
    async () => {
      const path = freshPath();
      const now = Date.now();
      await withStore({ path }, async (store) => {
        // Event times are all recent: only stored_at decides.
        store.write(barEntry(bar('AAPL', '1m', now - 2 * MIN), 1));
        store.write(barEntry(bar('AAPL', '1m', now - MIN), 2));
        store.write(indicatorEntry(indicator('AAPL', now - 2 * MIN), 1));
        store.write(indicatorEntry(indicator('AAPL', now - MIN), 2));
        store.write(alertEntry(alert('AAPL', now - 2000), 1));
        store.write(alertEntry(alert('OLD', now - 1000), 5));
        store.write(alertEntry(alert('AAPL', now - 1000), 2));
        store.write({ kind: 'dead_letter', record: letter, receivedAt: now - 3 * DAY });
        store.write({ kind: 'dead_letter', record: letter, receivedAt: now });
        await store.flush();
      });
      const db = new Database(path);
      try {
        const stale = now - 2 * DAY;
        db.prepare('UPDATE bars SET stored_at = ? WHERE window_start = ?').run(stale, now - 2 * MIN);
        db.prepare('UPDATE indicators SET stored_at = ? WHERE window_start = ?').run(stale, now - 2 * MIN);
        db.prepare("UPDATE alerts SET stored_at = ? WHERE symbol = 'OLD' OR timestamp = ?").run(stale, now - 2000);
      } finally {
        db.close();
      }

      const heard: RetentionSweep[] = [];
      const opening = Date.now();
      const store = await Store.open({ path, retentionMs: DAY, onSweep: (sweep) => heard.push(sweep) });
      const opened = Date.now();
      try {
        assert.deepEqual(
          (await store.queryBars({ symbol: 'AAPL', interval: '1m' })).map((b) => b.window_start),
          [now - MIN],
        );
        assert.deepEqual(
          (await store.queryChannel('indicators.AAPL', 0, 10)).map((entry) => entry.seq),
          [2],
        );
        assert.deepEqual(
          (await store.queryAlerts({})).map((a) => [a.symbol, a.timestamp]),
          [['AAPL', now - 1000]],
        );
        assert.deepEqual(
          (await store.queryDeadLetters({})).map((d) => d.receivedAt),
          [now],
        );
        assert.equal((await store.maxSeqByChannel()).get('alerts.OLD'), 5, 'seqs survive retention');
        assert.deepEqual(
          await Promise.all(['alerts.OLD', 'alerts.AAPL', 'bars.1m.AAPL', 'indicators.AAPL'].map((c) => store.sweptSeq(c))),
          [5, 1, 1, 1],
          'the highest seq removed per channel, for resume',
        );

        const deleted = { bars: 1, indicators: 1, alerts: 2, deadLetters: 1 };
        assert.deepEqual(store.stats().retentionDeleted, deleted, 'the sweep while opening is counted by the time open() resolves');
        assert.equal(heard.length, 1, 'StoreOptions.onSweep hears the sweep while opening');
        const [first] = heard;
        assert.deepEqual({ ...first, cutoff: 0 }, { ...deleted, cutoff: 0 });
        assert.ok(
          first !== undefined && first.cutoff >= opening - DAY && first.cutoff <= opened - DAY,
          'the cutoff is the wall clock at the sweep minus the retention',
        );
      } finally {
        await store.close();
      }
    },
  );

  it('reports later sweeps to onSweep listeners and adds them to the running totals', async () => {
    const path = freshPath();
    const heard: RetentionSweep[] = [];
    await withStore({ path, retentionMs: DAY, sweepIntervalMs: 20 }, async (store) => {
      const unsubscribe = store.onSweep((sweep) => heard.push(sweep));
      store.write(barEntry(bar('AAPL', '1m', 0), 1));
      store.write(barEntry(bar('AAPL', '1m', MIN), 2));
      store.write(alertEntry(alert('AAPL', 0), 3));
      store.write({ kind: 'dead_letter', record: letter, receivedAt: Date.now() - 2 * DAY });
      await store.flush();
      // A second connection ages one bar and the alert while the store runs (WAL lets it write between batches).
      const db = new Database(path, { timeout: 5000 });
      try {
        db.prepare('UPDATE bars SET stored_at = ? WHERE window_start = 0').run(Date.now() - 2 * DAY);
        db.prepare('UPDATE alerts SET stored_at = ?').run(Date.now() - 2 * DAY);
      } finally {
        db.close();
      }
      // The dead letter may go in a sweep of its own, before the UPDATEs. The
      // deadline only turns a sweep that never comes into a failure.
      const deadline = Date.now() + 10_000;
      while (store.stats().retentionDeleted.alerts === 0) {
        assert.ok(Date.now() < deadline, 'no sweep deleted the aged alert within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(store.stats().retentionDeleted, { bars: 1, indicators: 0, alerts: 1, deadLetters: 1 });
      const total = heard.reduce(
        (sum, sweep) => ({
          bars: sum.bars + sweep.bars,
          indicators: sum.indicators + sweep.indicators,
          alerts: sum.alerts + sweep.alerts,
          deadLetters: sum.deadLetters + sweep.deadLetters,
        }),
        NONE,
      );
      assert.deepEqual(total, store.stats().retentionDeleted, 'the listener heard every row the totals count');
      assert.deepEqual(
        (await store.queryBars({ symbol: 'AAPL', interval: '1m' })).map((b) => b.window_start),
        [MIN],
      );

      unsubscribe();
      const sweepsHeard = heard.length;
      const again = new Database(path, { timeout: 5000 });
      try {
        again.prepare('UPDATE bars SET stored_at = ?').run(Date.now() - 2 * DAY);
      } finally {
        again.close();
      }
      while (store.stats().retentionDeleted.bars < 2) {
        assert.ok(Date.now() < deadline, 'no sweep deleted the second aged bar within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(heard.length, sweepsHeard, 'an unsubscribed listener hears no more sweeps');
    });
  });
});

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
    const blocker = join(dir, 'a-file');
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
