// Trades that would take a bar past what it holds exactly: refused as
// out_of_range before they change anything (PartitionEngine.overflow).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ANALYTICS, EngineHarness, T0 } from '../fixtures/engine-harness';
import { parseBarInterval, type BarInterval } from '../../src/config/bar-interval';
import { encodeCheckpoint, restoreCheckpoint } from '../../src/partition/checkpoint-codec';

describe('bars that would overflow', () => {
  it('rejects as out_of_range a trade that would take a bar past 2^53 − 1 of volume, before it changes anything', () => {
    const h = new EngineHarness({ intervals: [1000, 60_000] });
    h.trade(T0, 10, 2 ** 52)
      .trade(T0 + 30_000, 10, 2 ** 52, { seq: 7 }) // the 1m bar would hold 2^53
      .trade(T0 + 1, 10, 1, { seq: 7 }) // seq 7 was not taken, and the watermark did not move to T0 + 25 s
      .flush();
    assert.deepEqual(
      h.dropped.map((d) => [d.reason, d.ts, d.seq, d.field]),
      [['out_of_range', T0 + 30_000, 7, 'volume']],
    );
    assert.match(
      h.dropped[0]?.message ?? '',
      /^volume 4503599627370496 would take the 1m bar of AAPL at 1704205800000 past 2\^53-1 \(9007199254740991\)/,
    );
    assert.deepEqual([h.engine.counters.accepted, h.engine.counters.rejected], [2, 1]);
    assert.deepEqual(
      h.barsOf('1m').map((b) => [b.volume, b.trade_count]),
      [[2 ** 52 + 1, 2]],
    );
  });

  it('still rejects into a full window that stays open while older windows close, and accepts again once it is gone', () => {
    // The engine looks at a trade's windows only when the interval has held a
    // window near the bounds since it was last empty: here the older window
    // closes while the full one stays open, and the check must still see it.
    const h = new EngineHarness({ intervals: [1000], latenessMs: 5000 });
    h.trade(T0 + 100, 10, 1)
      .trade(T0 + 6000, 10, 2 ** 53 - 10) // the watermark reaches T0 + 1000: the first window closes
      .trade(T0 + 6100, 10, 20, { seq: 3 }) // would take the open window past 2^53 - 1
      .trade(T0 + 12_000, 10, 2 ** 53 - 10) // a window of its own: accepted
      .flush();
    assert.deepEqual(
      h.dropped.map((d) => [d.reason, d.ts, d.seq]),
      [['out_of_range', T0 + 6100, 3]],
    );
    assert.deepEqual(
      h.barsOf('1s').map((b) => b.volume),
      [1, 2 ** 53 - 10, 2 ** 53 - 10],
    );
  });

  it('still rejects into a full window restored from a checkpoint', () => {
    const original = new EngineHarness({ intervals: [1000] });
    original.trade(T0 + 100, 10, 2 ** 53 - 10);
    const bytes = encodeCheckpoint(original.engine.allSymbols(), (id) => original.exchangeName(id));
    const restored = new EngineHarness({ intervals: [1000] });
    restored.symbolId('AAPL');
    restoreCheckpoint(
      restored.engine,
      { ...DEFAULT_ANALYTICS, intervals: [parseBarInterval('1s') as BarInterval] },
      bytes,
      (name) => restored.symbolId(name),
      (name) => restored.exchangeId(name),
    );
    restored.trade(T0 + 200, 10, 20).flush();
    assert.deepEqual(
      restored.dropped.map((d) => [d.reason, d.ts]),
      [['out_of_range', T0 + 200]],
    );
    assert.deepEqual(
      restored.barsOf('1s').map((b) => b.volume),
      [2 ** 53 - 10],
    );
  });

  it('rejects a trade whose price × volume, alone or added to its bar, is past the largest double, so vwap is never null with a volume', () => {
    const h = new EngineHarness({ intervals: [1000, 60_000] });
    h.trade(T0, 1e300, 1e10) // 1e310 alone
      .trade(T0 + 10, 1e308, 1)
      .trade(T0 + 2000, 1e308, 1) // its own 1s bar, but 2e308 in the 1m bar
      .trade(T0 + 3000, 1e307, 1)
      .flush();
    assert.deepEqual(
      h.dropped.map((d) => [d.reason, d.ts, d.field]),
      [
        ['out_of_range', T0, ''],
        ['out_of_range', T0 + 2000, ''],
      ],
    );
    assert.match(h.dropped[0]?.message ?? '', /^price × volume \(1e\+300 × 10000000000\) would take the 1s bar of AAPL/);
    for (const bar of h.bars)
      assert.ok(bar.vwap !== null && Number.isFinite(bar.vwap), `${bar.interval} ${bar.window_start}: vwap ${bar.vwap}`);
    assert.deepEqual(
      h.barsOf('1m').map((b) => [b.volume, b.vwap, b.trade_count]),
      [[2, (1e308 + 1e307) / 2, 2]],
    );
  });
});
