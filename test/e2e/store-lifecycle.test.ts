// The store's lifecycle: flush, close, its threads, a big batch, the bound on
// pending writes and records the database refuses.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/errors';
import { Store } from '../../src/store/store';
import { MIN, alert, alertEntry, bar, barEntry } from '../fixtures/records';
import { assertSameRecords, freshPath, rejectsWithStoreError, withStore } from '../fixtures/store-harness';

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
