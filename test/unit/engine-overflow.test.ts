// Trades that would take a bar past what it holds exactly: refused as
// out_of_range before they change anything (PartitionEngine.overflow).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineHarness, T0 } from '../fixtures/engine-harness';

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
