// Activity bars, trade side and corrections in the engine (SPEC §1), on
// hand-made streams whose every expected number is worked out beside it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCheckpoint, restoreCheckpoint } from '../../src/partition/checkpoint-codec';
import { DEFAULT_ANALYTICS, EngineHarness, T0 } from '../fixtures/engine-harness';

describe('activity bars', () => {
  it('take settled trades in timestamp order, whatever the arrival order within the lateness', () => {
    const arrivals = [
      [T0 + 30, 3],
      [T0 + 10, 1],
      [T0 + 20, 2],
      [T0 + 50, 5],
      [T0 + 40, 4],
    ] as const;
    const inOrder = new EngineHarness({ intervals: ['2t'] });
    const shuffled = new EngineHarness({ intervals: ['2t'] });
    for (const [ts, price] of [...arrivals].sort((a, b) => a[0] - b[0])) inOrder.trade(ts, price, 1);
    for (const [ts, price] of arrivals) shuffled.trade(ts, price, 1);
    inOrder.flush();
    shuffled.flush();
    const summary = (h: EngineHarness): unknown[] => h.barsOf('2t').map((b) => [b.bar_index, b.open, b.close, b.complete]);
    assert.deepEqual(summary(shuffled), [
      [0, 1, 2, true],
      [1, 3, 4, true],
      [2, 5, 5, false],
    ]);
    assert.deepEqual(summary(inOrder), summary(shuffled));
  });

  it('emit a bar only once its trades settle behind the watermark', () => {
    const h = new EngineHarness({ intervals: ['2t'], latenessMs: 1000 });
    h.trade(T0, 10, 1).trade(T0 + 1, 11, 1);
    assert.equal(h.barsOf('2t').length, 0, 'W = T0 - 999: nothing settled yet');
    h.trade(T0 + 1002, 12, 1);
    // W = T0 + 2: both trades settled, the bar is full.
    assert.deepEqual(
      h.barsOf('2t').map((b) => [b.window_start - T0, b.window_end - T0, b.trade_count, b.complete]),
      [[0, 2, 2, true]],
    );
  });

  it('go on counting bar_index after a publisher flush, which cuts the bar being filled', () => {
    const h = new EngineHarness({ intervals: ['3t'] });
    h.trade(T0, 10, 1)
      .trade(T0 + 1, 10, 1)
      .flush();
    h.trade(T0 + 400_000, 10, 1).flush();
    assert.deepEqual(
      h.barsOf('3t').map((b) => [b.bar_index, b.trade_count, b.complete]),
      [
        [0, 2, false],
        [1, 1, false],
      ],
    );
  });
});

describe('corrections', () => {
  it('re-emit a final time bar with the next revision, keeping its trade side as settled', () => {
    const h = new EngineHarness({ intervals: ['1s'], latenessMs: 1000, allowedLatenessMs: 3000 });
    h.quote(T0, 99, 101)
      .trade(T0 + 100, 102, 5)
      .trade(T0 + 2500, 100, 1);
    // W = T0 + 1500: [T0, T0 + 1s) is final, its trade a buy (102 > mid 100).
    h.trade(T0 + 200, 98, 7);
    const revisions = h.barsOf('1s').filter((b) => b.window_start === T0);
    assert.deepEqual(
      revisions.map((b) => [b.revision, b.volume, b.low, b.buy_volume, b.sell_volume, b.buy_count, b.sell_count]),
      [
        [0, 5, 102, 5, 0, 1, 0],
        [1, 12, 98, 5, 0, 1, 0],
      ],
    );
    assert.deepEqual([h.engine.counters.corrections, h.engine.counters.revisions, h.engine.counters.late], [1, 1, 0]);
  });

  it('make a bar of revision 0 for a final window that had no trade, and drop what is older than the allowed lateness', () => {
    const h = new EngineHarness({ intervals: ['1s'], latenessMs: 1000, allowedLatenessMs: 2000 });
    h.trade(T0 + 5000, 10, 1);
    // W = T0 + 4000, horizon T0 + 2000: +2500 corrects the empty window [T0 + 2s, T0 + 3s); +1999 is late.
    h.trade(T0 + 2500, 11, 2).trade(T0 + 1999, 12, 3);
    assert.deepEqual(
      h.barsOf('1s').map((b) => [b.window_start - T0, b.revision, b.volume]),
      [[2000, 0, 2]],
    );
    assert.deepEqual(
      h.dropped.map((d) => [d.reason, d.ts - T0]),
      [['late', 1999]],
    );
  });

  it('revise final indicator windows but raise HIGH_VOLATILITY on the first record only', () => {
    const h = new EngineHarness({
      intervals: ['1s'],
      latenessMs: 0,
      allowedLatenessMs: 5000,
      indicatorWindowMs: 2000,
      indicatorSlideMs: 1000,
    });
    h.trade(T0 + 500, 100, 1)
      .trade(T0 + 600, 110, 1)
      .trade(T0 + 2500, 100, 1);
    // W = T0 + 2500: windows [T0 - 1s, T0 + 1s) and [T0, T0 + 2s) are final, each with volatility 10/105.
    const first = h.indicators.map((i) => [i.window_start - T0, i.revision, i.trade_count]);
    assert.deepEqual(first, [
      [-1000, 0, 2],
      [0, 0, 2],
    ]);
    h.trade(T0 + 900, 120, 1);
    assert.deepEqual(
      h.indicators.slice(2).map((i) => [i.window_start - T0, i.revision, i.trade_count, i.ma]),
      [
        [-1000, 1, 3, 110],
        [0, 1, 3, 110],
      ],
    );
    assert.equal(h.alerts.filter((a) => a.anomaly_type === 'HIGH_VOLATILITY').length, 2, 'one per window, from revision 0');
  });

  it('leave activity bars as settled', () => {
    const h = new EngineHarness({ intervals: ['2t'], latenessMs: 0, allowedLatenessMs: 1000 });
    h.trade(T0 + 10, 1, 1)
      .trade(T0 + 20, 2, 1)
      .trade(T0 + 30, 3, 1)
      .trade(T0 + 15, 9, 1)
      .flush();
    assert.deepEqual(
      h.barsOf('2t').map((b) => [b.open, b.close, b.trade_count]),
      [
        [1, 2, 2],
        [3, 3, 1],
      ],
    );
  });

  it('end at a flush: what it finalised cannot be revised', () => {
    const h = new EngineHarness({ intervals: ['1s'], latenessMs: 1000, allowedLatenessMs: 60_000 });
    h.trade(T0 + 100, 10, 1).flush();
    h.trade(T0 + 200, 11, 1);
    assert.deepEqual(
      h.dropped.map((d) => d.reason),
      ['late'],
    );
  });

  it('carry their revisions through a checkpoint', () => {
    const config = { intervals: ['1s'], latenessMs: 1000, allowedLatenessMs: 3000 };
    const h = new EngineHarness(config);
    h.trade(T0 + 100, 10, 1)
      .trade(T0 + 2500, 10, 1)
      .trade(T0 + 200, 11, 1);
    const bytes = encodeCheckpoint(h.engine.allSymbols(), (id) => h.exchangeName(id));
    const restored = new EngineHarness(config);
    restored.symbolId('AAPL');
    restoreCheckpoint(
      restored.engine,
      DEFAULT_ANALYTICS,
      bytes,
      (name) => restored.symbolId(name),
      (name) => restored.exchangeId(name),
    );
    restored.trade(T0 + 300, 12, 1);
    assert.deepEqual(
      restored.barsOf('1s').map((b) => [b.window_start - T0, b.revision, b.volume]),
      [[0, 2, 3]],
    );
  });
});
