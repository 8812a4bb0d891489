// kill -9 in the middle of a file source, then restart: the engine restores
// its last checkpoint and reads on from its offset. The store ends up with
// every final record of the file exactly once, as `tickflow replay` has them:
// time and activity bars with their trade side, indicators and alerts. It
// restores the store's last incremental checkpoints, in order.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { records, tickflow } from '../fixtures/cli';
import { multisetDifferences, type Row } from '../fixtures/compare';
import { metric, startServer } from '../fixtures/server-process';
import { until } from '../fixtures/until';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-recovery-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function query<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

describe('crash recovery with a file source', () => {
  it('after kill -9 and restart, the store holds every final record of the file exactly once', async () => {
    const feed = join(dir, 'feed.ndjson');
    const db = join(dir, 'store.db');
    assert.equal(
      tickflow([
        'gen',
        '--symbols',
        '8',
        '--rate',
        '250',
        '--duration',
        '6m',
        '--seed',
        '21',
        '--anomaly-rate',
        '0.005',
        '--duplicate-rate',
        '0.002',
        '--out',
        feed,
      ]).status,
      0,
    );
    const bars = ['--intervals', '1s,1m,5m,40t,5000v'];
    const replay = records(tickflow(['replay', feed, ...bars]).stdout);
    replay.pop();
    assert.ok(replay.some((r) => r.interval === '40t' && r.complete === true));

    const args = ['--source', `file:${feed}`, '--idle-close-ms', '0', '--checkpoint-ms', '200', '--db', db, ...bars];
    const first = await startServer([...args, '--speed', '60']);
    // Let it checkpoint a few times and store results, then kill it without
    // warning, frozen (SIGSTOP) so that what it has stored is what the
    // restart finds.
    let chain = 0;
    await until(() => {
      first.process.kill('SIGSTOP');
      try {
        const positions = query<{ position: string }>(db, 'SELECT position FROM checkpoint_chain');
        chain = positions.length;
        if (positions.some((r) => (JSON.parse(r.position) as { records: number }).records > 20_000)) return true;
      } catch {
        // Not created yet.
      }
      first.process.kill('SIGCONT');
      return false;
    }, 'a checkpoint past line 20000');
    assert.ok(chain > 1, `the chain must hold more than one checkpoint, not ${chain}`);
    first.process.kill('SIGKILL');
    await first.stop();
    const stored = query<{ n: number }>(db, 'SELECT count(*) AS n FROM bars')[0]?.n ?? 0;
    assert.ok(stored > 0 && stored < replay.filter((r) => r.type === 'bar').length, 'the first run must stop mid-stream');

    const second = await startServer([...args, '--speed', 'max']);
    try {
      await until(() => second.logs.some((l) => l.includes('file source finished')), 'the restarted source to finish');
      const restoredLine = second.logs.find((l) => l.includes('restored from checkpoint'));
      assert.ok(restoredLine !== undefined, 'the restart did not restore a checkpoint');
      assert.match(restoredLine, new RegExp(`"checkpoints":${chain}\\b`), 'the restore must apply every checkpoint kept');
      const health = await fetch(`${second.http}/health`);
      assert.equal(health.status, 200);
      // What recovery and checkpoints cost is on /metrics.
      assert.equal(await metric(second, 'tickflow_restore_duration_seconds_count'), 1);
      assert.ok((await metric(second, 'tickflow_restore_duration_seconds_sum')) > 0);
      assert.ok((await metric(second, 'tickflow_checkpoint_bytes_count')) >= 1);
      assert.ok((await metric(second, 'tickflow_checkpoint_pause_max_seconds')) > 0);
      const state = await metric(second, 'tickflow_state_bytes');
      const perSymbol = await metric(second, 'tickflow_state_bytes_per_symbol');
      assert.ok(state > 0 && perSymbol > 0 && perSymbol < state, `state ${state} B, ${perSymbol} B a symbol`);
    } finally {
      assert.equal(await second.stop(), 0);
    }

    const storedBars = query<Row>(
      db,
      'SELECT symbol, interval, window_start, window_end, open, high, low, close, volume, vwap, trade_count, bar_index, complete, ' +
        'buy_volume, sell_volume, buy_count, sell_count, revision FROM bars',
    ).map(({ bar_index: index, complete, ...rest }): Row =>
      Number(index) < 0 ? rest : { ...rest, bar_index: index, complete: complete === 1 },
    );
    const indicators = query<Row>(db, 'SELECT symbol, window_start, window_end, ma, volatility, trade_count, revision FROM indicators');
    const alerts = query<Row>(
      db,
      'SELECT symbol, anomaly_type, severity, timestamp, price, volume, price_zscore, volume_ratio, spread_ratio, volatility FROM alerts',
    );
    const strip = (r: Record<string, unknown>): Row => {
      const { type: _t, final: _f, ...rest } = r;
      return rest;
    };
    const expected = (type: string): Row[] => replay.filter((r) => r.type === type).map(strip);
    const tag =
      (type: string) =>
      (r: Row): Row => ({ type, ...r });
    assert.deepEqual(multisetDifferences(storedBars.map(tag('bar')), expected('bar').map(tag('bar')), 1e-9), []);
    assert.deepEqual(multisetDifferences(indicators.map(tag('indicator')), expected('indicator').map(tag('indicator')), 1e-9), []);
    assert.deepEqual(multisetDifferences(alerts.map(tag('alert')), expected('alert').map(tag('alert')), 1e-9), []);
  });
});
