// The store's retention: records kept by when they were stored, swept in
// the writer thread, and the sweeps reported.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { DeadLetterRecord } from '../../src/records/records';
import { Store, type RetentionSweep } from '../../src/store/store';
import { MIN, alert, alertEntry, bar, barEntry, indicator, indicatorEntry } from '../fixtures/records';
import { DAY, assertSameRecords, freshPath, withStore } from '../fixtures/store-harness';

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
