// The store's part in exactly-once output: a final record stored for the
// first time goes to the Kafka outbox in the same transaction, a regenerated
// one does not, and a checkpoint commits after every result written before it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/store';
import { alert, alertEntry, bar, barEntry, indicator, indicatorEntry } from '../fixtures/records';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-store-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `${++files}.db`);

function outbox(path: string): Array<{ id: number; topic: string; key: string; value: string; headers: string }> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT id, topic, key, value, headers FROM outbox ORDER BY id').all() as Array<{
      id: number;
      topic: string;
      key: string;
      value: string;
      headers: string;
    }>;
  } finally {
    db.close();
  }
}

describe('outbox', () => {
  it('queues each final record once, keyed as SPEC §4, and never a regenerated one', async () => {
    const path = freshPath();
    const store = await Store.open({ path, retentionMs: 0, outbox: true });
    try {
      const b = bar('AAPL', '1m', 60_000);
      const i = indicator('AAPL', 30_000);
      const a = alert('AAPL', 61_000);
      store.write(barEntry(b, 1));
      store.write(indicatorEntry(i, 1));
      store.write(alertEntry(a, 1, '17'));
      store.write(alertEntry(alert('AAPL', 61_000, { price: 131 }), 2, '18'));
      store.write({
        kind: 'dead_letter',
        record: { type: 'dead_letter', reason: 'late', field: '', message: 'late', line: 3, tick: { symbol: 'AAPL' } },
        receivedAt: 1,
      });
      await store.flush();
      // The same results again, as after a restore from a checkpoint.
      store.write(barEntry(b, 5));
      store.write(indicatorEntry(i, 5));
      store.write(alertEntry(a, 5, '17'));
      await store.flush();
      const rows = outbox(path);
      assert.deepEqual(
        rows.map((r) => [r.topic, r.key]),
        [
          ['market-bars', 'AAPL|1m|60000'],
          ['market-indicators', 'AAPL|30000'],
          ['anomaly-alerts', 'AAPL|PRICE_SPIKE|61000|17'],
          ['anomaly-alerts', 'AAPL|PRICE_SPIKE|61000|18'],
          ['market-data-dlq', 'AAPL'],
        ],
      );
      assert.deepEqual(JSON.parse(rows[0]?.value ?? '{}'), b);
      assert.deepEqual(JSON.parse(rows[4]?.headers ?? '{}'), { reason: 'late' });
      assert.equal((await store.queryAlerts({})).length, 2, 'the repeated alert is stored once');
    } finally {
      await store.close();
    }
  });

  it('stays empty without a mirror', async () => {
    const path = freshPath();
    const store = await Store.open({ path, retentionMs: 0 });
    try {
      store.write(barEntry(bar('AAPL', '1m', 0), 1));
      await store.flush();
      assert.equal(outbox(path).length, 0);
    } finally {
      await store.close();
    }
  });
});

describe('checkpoints', () => {
  it('keeps the latest checkpoint per source, after the results written before it', async () => {
    const path = freshPath();
    const store = await Store.open({ path, retentionMs: 0 });
    try {
      assert.equal(await store.loadCheckpoint('file:a'), null);
      store.write(barEntry(bar('AAPL', '1m', 0), 1));
      store.write({ kind: 'checkpoint', source: 'file:a', position: '{"offset":10}', state: new Uint8Array([1, 2, 3]) });
      store.write({ kind: 'checkpoint', source: 'file:b', position: '{"offset":1}', state: new Uint8Array([9]) });
      store.write({ kind: 'checkpoint', source: 'file:a', position: '{"offset":20}', state: new Uint8Array([4, 5]) });
      await store.flush();
      const a = await store.loadCheckpoint('file:a');
      assert.deepEqual([a?.position, a?.states.map((x) => [...x])], ['{"offset":20}', [[4, 5]]]);
      assert.equal((await store.loadCheckpoint('file:b'))?.position, '{"offset":1}');
    } finally {
      await store.close();
    }
  });

  it('keeps the last checkpoints of an incremental source in order, as many as it asks, in place of a single one', async () => {
    const path = freshPath();
    const store = await Store.open({ path, retentionMs: 0 });
    const write = (source: string, offset: number, state: number, keep?: number): void =>
      store.write({
        kind: 'checkpoint',
        source,
        position: `{"offset":${offset}}`,
        state: Uint8Array.of(state),
        ...(keep === undefined ? {} : { keep }),
      });
    const kept = async (source: string): Promise<unknown> => {
      const c = await store.loadCheckpoint(source);
      return c === null ? null : [c.position, c.states.map((x) => x[0])];
    };
    try {
      // A single checkpoint, as older versions wrote, then an incremental chain that replaces it.
      write('file:a', 10, 1);
      await store.flush();
      assert.deepEqual(await kept('file:a'), ['{"offset":10}', [1]]);
      write('file:a', 20, 2, 3);
      write('file:b', 5, 7, 3);
      write('file:a', 30, 3, 3);
      write('file:a', 40, 4, 3);
      await store.flush();
      assert.deepEqual(await kept('file:a'), ['{"offset":40}', [2, 3, 4]]);
      write('file:a', 50, 5, 3);
      write('file:a', 60, 6, 2);
      await store.flush();
      assert.deepEqual(await kept('file:a'), ['{"offset":60}', [5, 6]]);
      assert.deepEqual(await kept('file:b'), ['{"offset":5}', [7]]);
      // And a single one replaces a chain.
      write('file:a', 70, 8);
      await store.flush();
      assert.deepEqual(await kept('file:a'), ['{"offset":70}', [8]]);
    } finally {
      await store.close();
    }
  });
});
