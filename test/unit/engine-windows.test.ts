import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SymbolState } from '../../src/analytics/symbol-state';
import { EngineHarness, T0 } from '../fixtures/engine-harness';

describe('tumbling bars', () => {
  it('aggregates OHLCV and VWAP per epoch-aligned window', () => {
    const h = new EngineHarness({ intervals: [60_000] });
    h.trade(T0 + 1000, 10, 100)
      .trade(T0 + 2000, 12, 300)
      .trade(T0 + 3000, 9, 100)
      .trade(T0 + 4000, 11, 500)
      .flush();
    assert.deepEqual(h.barsOf('1m'), [
      {
        type: 'bar',
        symbol: 'AAPL',
        interval: '1m',
        window_start: T0,
        window_end: T0 + 60_000,
        open: 10,
        high: 12,
        low: 9,
        close: 11,
        volume: 1000,
        vwap: (1000 + 3600 + 900 + 5500) / 1000,
        trade_count: 4,
        final: true,
        // No quote: 10 neither (first), 12 buys 300 (up), 9 sells 100 (down), 11 buys 500 (up).
        buy_volume: 800,
        sell_volume: 100,
        buy_count: 2,
        sell_count: 1,
        revision: 0,
      },
    ]);
  });

  it('closes each bar as the watermark passes its end, also when no indicator window ends sooner and after a quiet spell', () => {
    // Indicator windows of 5 minutes end long after the 1s bars: only the bars' own ends say when to close.
    const h = new EngineHarness({ intervals: [1000], latenessMs: 0, indicatorWindowMs: 300_000, indicatorSlideMs: 300_000 });
    const finalStarts = (): number[] => h.barsOf('1s').map((b) => b.window_start - T0);
    h.trade(T0 + 100, 10).quote(T0 + 999, 9, 11);
    assert.deepEqual(finalStarts(), [], 'the watermark (999) is short of the end (1000)');
    h.quote(T0 + 1000, 9, 11);
    assert.deepEqual(finalStarts(), [0]);
    h.quote(T0 + 9000, 9, 11)
      .trade(T0 + 10_000, 10)
      .trade(T0 + 10_500, 11);
    assert.deepEqual(finalStarts(), [0], 'the bar of the trades after the quiet spell is open');
    h.quote(T0 + 11_000, 9, 11);
    assert.deepEqual(finalStarts(), [0, 10_000], 'and closes on the first move past its end');
  });

  it('puts a trade stamped exactly at a window end into the next window', () => {
    const h = new EngineHarness({ intervals: [1000] });
    h.trade(T0 + 999, 10)
      .trade(T0 + 1000, 20)
      .flush();
    const bars = h.barsOf('1s');
    assert.deepEqual(
      bars.map((b) => [b.window_start, b.window_end, b.open]),
      [
        [T0, T0 + 1000, 10],
        [T0 + 1000, T0 + 2000, 20],
      ],
    );
  });

  it('emits no bar for a window without trades, and a single-trade bar with open = high = low = close', () => {
    const h = new EngineHarness({ intervals: [1000] });
    h.trade(T0 + 100, 10, 7)
      .trade(T0 + 3100, 11, 3)
      .quote(T0 + 1500, 9, 10)
      .flush();
    const bars = h.barsOf('1s');
    assert.deepEqual(
      bars.map((b) => b.window_start),
      [T0, T0 + 3000],
    );
    const first = bars[0];
    assert.ok(first !== undefined);
    assert.deepEqual(
      [first.open, first.high, first.low, first.close, first.volume, first.vwap, first.trade_count],
      [10, 10, 10, 10, 7, 10, 1],
    );
  });

  it("gives vwap null when a window's volume is zero, and counts its trades", () => {
    const h = new EngineHarness({ intervals: [1000] });
    h.trade(T0, 10, 0)
      .trade(T0 + 10, 11, 0)
      .flush();
    const [bar] = h.barsOf('1s');
    assert.ok(bar !== undefined);
    assert.equal(bar.vwap, null);
    assert.equal(bar.volume, 0);
    assert.equal(bar.trade_count, 2);
  });

  it('takes open and close by timestamp, with ties broken by arrival order', () => {
    const h = new EngineHarness({ intervals: [60_000] });
    // Out of order inside the lateness: the 5 s trade arrives before the 1 s one.
    h.trade(T0 + 5000, 50)
      .trade(T0 + 1000, 10)
      .trade(T0 + 1000, 11)
      .trade(T0 + 9000, 90)
      .trade(T0 + 9000, 91)
      .flush();
    const [bar] = h.barsOf('1m');
    assert.ok(bar !== undefined);
    assert.equal(bar.open, 10, 'open: smallest timestamp, earliest arrival');
    assert.equal(bar.close, 91, 'close: largest timestamp, latest arrival');
  });

  it('finalises a window only once the watermark passes its end', () => {
    const h = new EngineHarness({ intervals: [1000], latenessMs: 5000 });
    h.trade(T0 + 500, 10);
    h.trade(T0 + 5999, 10);
    assert.equal(h.barsOf('1s').length, 0, 'watermark T0 + 999 < end T0 + 1000');
    h.trade(T0 + 6000, 10);
    assert.deepEqual(
      h.barsOf('1s').map((b) => b.window_start),
      [T0],
    );
  });

  it('produces every configured interval, labelled canonically', () => {
    const h = new EngineHarness({ intervals: [1000, 60_000, 300_000, 250] });
    h.trade(T0 + 10, 10).flush();
    assert.deepEqual(h.bars.map((b) => b.interval).sort(), ['1m', '1s', '250ms', '5m']);
  });
});

describe('watermarks, lateness and duplicates', () => {
  it("drops a tick older than the symbol's watermark as late, and accepts one exactly at it", () => {
    const h = new EngineHarness({ latenessMs: 5000 });
    h.trade(T0 + 10_000, 10)
      .trade(T0 + 4999, 10)
      .trade(T0 + 5000, 10);
    assert.deepEqual(h.dropped, [{ reason: 'late', ts: T0 + 4999, seq: -1 }]);
    assert.equal(h.engine.counters.accepted, 2);
    assert.equal(h.engine.counters.late, 1);
  });

  it('keeps watermarks per symbol: one symbol running ahead does not make another late', () => {
    const h = new EngineHarness();
    h.trade(T0 + 600_000, 10, 1, { symbol: 'FAST' }).trade(T0, 10, 1, { symbol: 'SLOW' });
    assert.equal(h.dropped.length, 0);
  });

  it('advances the watermark on quotes too', () => {
    const h = new EngineHarness({ latenessMs: 1000 });
    h.quote(T0 + 10_000, 9, 10).trade(T0 + 8000, 10);
    assert.deepEqual(
      h.dropped.map((d) => d.reason),
      ['late'],
    );
  });

  it('includes an out-of-order tick inside the lateness in its window', () => {
    const h = new EngineHarness({ intervals: [1000], latenessMs: 5000 });
    h.trade(T0 + 3500, 10, 1)
      .trade(T0 + 200, 20, 2)
      .trade(T0 + 900, 30, 3)
      .flush();
    const [first] = h.barsOf('1s');
    assert.ok(first !== undefined);
    assert.deepEqual([first.window_start, first.open, first.close, first.volume], [T0, 20, 30, 5]);
  });

  it('drops a repeated (exchange, symbol, seq) as duplicate, and only that', () => {
    const h = new EngineHarness();
    h.trade(T0, 10, 1, { exchange: 'X', seq: 7 })
      .trade(T0 + 1, 10, 1, { exchange: 'X', seq: 7 })
      .trade(T0 + 2, 10, 1, { exchange: 'Y', seq: 7 })
      .trade(T0 + 3, 10, 1, { exchange: 'X', seq: 7, symbol: 'MSFT' })
      .trade(T0 + 4, 10, 1)
      .trade(T0 + 4, 10, 1);
    assert.deepEqual(h.dropped, [{ reason: 'duplicate', ts: T0 + 1, seq: 7 }]);
    assert.equal(h.engine.counters.accepted, 5);
  });

  it('finds repeats among seqs that arrive out of order, and forgets seqs behind the watermark', () => {
    const h = new EngineHarness({ latenessMs: 1000 });
    for (const seq of [5, 3, 9, 3, 5, 4, 9, 10]) h.trade(T0 + seq, 10, 1, { exchange: 'X', seq });
    assert.deepEqual(
      h.dropped.map((d) => d.seq),
      [3, 5, 9],
    );
    h.trade(T0 + 5000, 10, 1, { exchange: 'X', seq: 11 });
    // seq 4's tick is now behind the watermark and forgotten; a repeat of it
    // with a current timestamp counts as a new tick.
    h.trade(T0 + 5000, 10, 1, { exchange: 'X', seq: 4 });
    h.trade(T0 + 5001, 10, 1, { exchange: 'X', seq: 11 });
    assert.deepEqual(
      h.dropped.map((d) => d.seq),
      [3, 5, 9, 11],
    );
  });

  it('classifies a repeat that is also behind the watermark as late', () => {
    const h = new EngineHarness({ latenessMs: 1000 });
    h.trade(T0, 10, 1, { seq: 1 })
      .trade(T0 + 5000, 10, 1, { seq: 2 })
      .trade(T0, 10, 1, { seq: 1 });
    assert.deepEqual(
      h.dropped.map((d) => d.reason),
      ['late'],
    );
  });

  it('makes every window final at flush, and later ticks in those windows late', () => {
    const h = new EngineHarness({ intervals: [60_000] });
    h.trade(T0 + 1000, 10).flush();
    assert.equal(h.barsOf('1m').length, 1);
    h.trade(T0 + 2000, 11);
    assert.deepEqual(
      h.dropped.map((d) => d.reason),
      ['late'],
    );
    h.flush();
    assert.equal(h.barsOf('1m').length, 1, 'a window is final exactly once');
  });

  it("closes a quiet symbol's windows from processing time when idle closing is on", () => {
    const h = new EngineHarness({ intervals: [1000], latenessMs: 5000, idleCloseMs: 2000 });
    h.push({ ts: T0 + 500, price: 10, volume: 1 }, 1_000_000);
    h.engine.advanceIdle(1_001_999);
    assert.equal(h.barsOf('1s').length, 0, 'not idle long enough');
    h.engine.advanceIdle(1_002_000);
    assert.equal(h.barsOf('1s').length, 0, 'W = T0 + 500 - 5000 + 2000 is still before the end');
    h.engine.advanceIdle(1_005_500);
    assert.deepEqual(
      h.barsOf('1s').map((b) => b.window_start),
      [T0],
    );
    h.push({ ts: T0 + 900, price: 10, volume: 1 }, 1_005_600);
    assert.deepEqual(
      h.dropped.map((d) => d.reason),
      ['late'],
      'a tick for a window closed by idleness is late',
    );
  });

  it('lets a quiet symbol give back its settle queue and seq memory, and trades on from where it was', () => {
    // No activity bar: the queue keeps settled ticks until it needs the room, so letting it go must settle them first.
    const h = new EngineHarness({ intervals: [1000], latenessMs: 1000, idleCloseMs: 2000 });
    h.quote(T0 + 100, 9, 11, { seq: 1 })
      .push({ ts: T0 + 200, price: 10, volume: 5, seq: 2 }, 1_000_000)
      .push({ ts: T0 + 300, price: 10.5, volume: 7, seq: 3 }, 1_000_000);
    h.engine.advanceIdle(1_010_000);
    const state = h.engine.symbol(h.symbolId('AAPL')) as SymbolState;
    assert.equal(state.settling, null, 'the settle queue is let go once every tick in it settled');
    assert.deepEqual(state.seqs.exchangesWithEntries(), [], 'and the seq memory, empty by then');
    h.push({ ts: T0 + 20_000, price: 10, volume: 3, seq: 4 }, 1_020_000)
      .push({ ts: T0 + 20_000, price: 10, volume: 3, seq: 4 }, 1_020_000)
      .push({ ts: T0 + 20_100, price: 10, volume: 4, seq: 5 }, 1_020_000)
      .flush();
    assert.deepEqual(
      h.dropped.map((d) => [d.reason, d.seq]),
      [['duplicate', 4]],
      'duplicates are caught after the spell',
    );
    // 10 against the settled mid 10: the tick rule, against the last settled trade, 10.5 (a sell), then against 10 (the same side).
    assert.deepEqual(
      h.barsOf('1s').map((b) => [b.window_start - T0, b.buy_volume, b.sell_volume]),
      [
        [0, 7, 0],
        [20_000, 0, 7],
      ],
    );
  });

  it('closes nothing from idleness while held, and counts idleness from the release', () => {
    const h = new EngineHarness({ intervals: [1000], latenessMs: 1000, idleCloseMs: 2000 });
    h.push({ ts: T0 + 500, price: 10, volume: 1 }, 1_000_000);
    h.engine.holdIdle(true, 1_000_100);
    h.engine.advanceIdle(1_010_000);
    assert.equal(h.barsOf('1s').length, 0, "held: a backlog may still hold this symbol's ticks");
    h.engine.holdIdle(false, 1_010_000);
    h.engine.advanceIdle(1_011_999);
    assert.equal(h.barsOf('1s').length, 0, 'under idleCloseMs since the release');
    h.engine.advanceIdle(1_012_500);
    assert.deepEqual(
      h.barsOf('1s').map((b) => b.window_start),
      [T0],
    );
  });
});

describe('sliding indicators', () => {
  it('places a trade in size/slide overlapping windows, each with its mean and volatility', () => {
    const h = new EngineHarness();
    h.trade(T0 + 45_000, 100).flush();
    assert.equal(h.indicators.length, 10);
    assert.deepEqual(
      h.indicators.map((i) => i.window_start),
      Array.from({ length: 10 }, (_, k) => T0 + 30_000 - 270_000 + k * 30_000),
    );
    for (const i of h.indicators) {
      assert.equal(i.window_end - i.window_start, 300_000);
      assert.ok(i.window_start <= T0 + 45_000 && T0 + 45_000 < i.window_end);
      assert.deepEqual([i.ma, i.volatility, i.trade_count], [100, 0, 1]);
    }
  });

  it('computes ma as the plain mean price and volatility as (max - min) / ma', () => {
    const h = new EngineHarness();
    h.trade(T0 + 1000, 100, 1)
      .trade(T0 + 2000, 104, 1000)
      .trade(T0 + 3000, 99, 5)
      .flush();
    const window = h.indicators.find((i) => i.window_start === T0);
    assert.ok(window !== undefined);
    assert.equal(window.ma, 101);
    assert.equal(window.volatility, 5 / 101);
    assert.equal(window.trade_count, 3);
  });

  it('skips windows without trades across a gap', () => {
    const h = new EngineHarness();
    h.trade(T0, 100)
      .trade(T0 + 3_600_000, 100)
      .flush();
    assert.equal(h.indicators.length, 20);
    assert.ok(h.indicators.every((i) => i.trade_count === 1));
  });

  it('raises HIGH_VOLATILITY for a final window above the threshold, stamped with its end', () => {
    const h = new EngineHarness();
    h.trade(T0 + 1000, 100)
      .trade(T0 + 2000, 103)
      .flush();
    const volatile = h.alerts.filter((a) => a.anomaly_type === 'HIGH_VOLATILITY');
    assert.equal(volatile.length, 10);
    for (const alert of volatile) {
      assert.equal(alert.severity, 'WARNING');
      assert.equal(alert.volatility, 3 / 101.5);
      assert.equal(alert.price, null);
      assert.ok(h.indicators.some((i) => i.window_end === alert.timestamp));
    }
  });
});

describe('live mode', () => {
  it('emits forming bars at most once per bar-update period per bar, and never after the final bar', () => {
    const h = new EngineHarness({ intervals: [1000], barUpdateMs: 100 });
    h.push({ ts: T0 + 10, price: 10, volume: 1 }, 1000);
    h.engine.emitForming(1000);
    h.push({ ts: T0 + 20, price: 11, volume: 1 }, 1010);
    h.push({ ts: T0 + 30, price: 12, volume: 1 }, 1020);
    h.engine.emitForming(1050);
    assert.deepEqual(
      h.forming.map((b) => [b.close, b.trade_count, b.final]),
      [[10, 1, false]],
      'conflated inside the period',
    );
    h.engine.emitForming(1100);
    assert.deepEqual(
      h.forming.map((b) => [b.close, b.trade_count]),
      [
        [10, 1],
        [12, 3],
      ],
    );
    h.engine.emitForming(1300);
    assert.equal(h.forming.length, 2, 'nothing changed, nothing sent');
    h.push({ ts: T0 + 40, price: 13, volume: 1 }, 1310);
    h.push({ ts: T0 + 6000, price: 14, volume: 1 }, 1320);
    h.engine.emitForming(1400);
    assert.deepEqual(
      h.barsOf('1s').map((b) => b.close),
      [13],
      'the first window closed as final',
    );
    assert.deepEqual(
      h.forming.map((b) => b.window_start),
      [T0, T0, T0 + 6000],
      'no forming update for a window after its final bar',
    );
  });

  it('echoes accepted ticks only', () => {
    const h = new EngineHarness({ echoTicks: true });
    h.trade(T0, 10, 1, { seq: 1 })
      .trade(T0, 10, 1, { seq: 1 })
      .quote(T0 + 1, 9, 10);
    assert.deepEqual(
      h.echoed.map((e) => [e.ts, e.type]),
      [
        [T0, 0],
        [T0 + 1, 1],
      ],
    );
  });
});
