// The store: records written and read back as they were, queries, and the
// epoch of the stored channels.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AlertRecord, DeadLetterRecord } from '../../src/records/records';
import { MIN, alert, alertEntry, bar, barEntry, indicator, indicatorEntry } from '../fixtures/records';
import { assertSameRecords, freshPath, rejectsWithStoreError, withStore } from '../fixtures/store-harness';

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
