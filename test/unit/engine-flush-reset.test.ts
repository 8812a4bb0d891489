// A publisher's flush of its symbols and an operator's watermark reset, as
// the partition engine applies them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCheckpoint, restoreCheckpoint } from '../../src/partition/checkpoint-codec';
import { DEFAULT_ANALYTICS, EngineHarness, T0 } from '../fixtures/engine-harness';

describe('publisher flush and watermark reset', () => {
  it('flushes only the symbols it is given, leaving the others open', () => {
    const h = new EngineHarness({ intervals: [60_000] });
    h.push({ symbol: 'AAPL', ts: T0 + 1000, price: 10, volume: 1 }).push({ symbol: 'NVDA', ts: T0 + 1000, price: 20, volume: 1 });
    assert.equal(h.engine.flushSymbols([h.symbolId('AAPL'), 99]), 1, 'an id this partition does not hold is skipped');
    assert.deepEqual(
      h.bars.map((b) => b.symbol),
      ['AAPL'],
    );
    h.push({ symbol: 'NVDA', ts: T0 + 2000, price: 21, volume: 2 });
    assert.deepEqual(h.dropped, [], "NVDA's window is still open");
    h.engine.flushSymbols([h.symbolId('NVDA')]);
    assert.deepEqual(
      h.barsOf('1m', 'NVDA').map((b) => [b.volume, b.trade_count]),
      [[3, 2]],
    );
  });

  // A clock at T0 + 1 h, with the symbol's event time run away to 2099.
  const clock = T0 + 3_600_000;
  const far = 4_070_908_800_000;

  it('brings a runaway watermark back to the clock, discarding what was stamped after it', () => {
    const h = new EngineHarness({ intervals: [1000, 60_000], latenessMs: 5000, idleCloseMs: 2000 });
    h.trade(T0 + 1000, 10, 1, { seq: 1 })
      .trade(far, 99, 1, { seq: 2 })
      .trade(far + 10, 98, 1, { seq: 3 });
    h.quote(far + 20, 9, 10);
    assert.deepEqual(
      h.bars.map((b) => [b.interval, b.window_start]),
      [
        ['1s', T0 + 1000],
        ['1m', T0],
      ],
      'the runaway closed the real windows',
    );
    h.trade(clock, 11, 1);
    assert.deepEqual(
      h.dropped.map((d) => d.reason),
      ['late'],
      'a current tick is late before the reset',
    );

    const id = h.symbolId('AAPL');
    const result = h.engine.resetWatermark(id, clock, 5_000_000);
    assert.deepEqual(result, {
      watermarkBefore: far + 20 - 5000,
      watermarkAfter: clock - 5000,
      barsDiscarded: 2,
      panesDiscarded: 1,
      tradesDiscarded: 2,
      quotesDiscarded: 1,
    });
    h.push({ ts: clock, price: 11, volume: 1, seq: 2 }, 5_000_100).push({ ts: clock + 500, price: 12, volume: 1 }, 5_000_200);
    assert.equal(h.dropped.length, 1, "current ticks are accepted again, and the runaway's seq 2 is forgotten");
    h.engine.advanceIdle(5_003_200);
    assert.equal(h.engine.symbol(id)?.watermark, clock + 500 - 5000 + 3000, 'idle closing moves on from the clock, not from 2099');
    h.flush();
    assert.deepEqual(
      h.barsOf('1s').map((b) => [b.window_start, b.volume]),
      [
        [T0 + 1000, 1],
        [clock, 2],
      ],
    );
    assert.ok(
      h.bars.every((b) => b.window_start < far),
      'nothing of 2099 was ever final',
    );
    assert.deepEqual(h.engine.resetWatermark(99, clock, 0), null, 'a symbol the partition does not hold');
  });

  it('never moves a watermark forward, nor below the end of a window it already finalised', () => {
    const h = new EngineHarness({ intervals: [1000, 300_000], latenessMs: 5000 });
    h.trade(clock - 1000, 10, 1);
    const id = h.symbolId('AAPL');
    assert.deepEqual(h.engine.resetWatermark(id, clock, 0)?.watermarkAfter, clock - 1000 - 5000, 'not ahead of the clock: untouched');
    h.trade(far, 99, 1);
    const fiveMinuteEnd = Math.floor((clock - 1000) / 300_000) * 300_000 + 300_000;
    assert.ok(
      h.barsOf('5m').some((b) => b.window_end === fiveMinuteEnd),
      'the runaway finalised the current 5-minute bar',
    );
    // The latest final window: a bar, or the last 5-minute indicator window holding the trade.
    const horizon = Math.max(...h.bars.map((b) => b.window_end), ...h.indicators.map((w) => w.window_end));
    assert.ok(horizon > clock - 5000);
    assert.equal(h.engine.resetWatermark(id, clock, 0)?.watermarkAfter, horizon);
    h.trade(clock, 11, 1).flush();
    const keys = h.bars.map((b) => `${b.interval}|${b.window_start}`);
    assert.deepEqual(keys, [...new Set(keys)], 'no window was final twice');
  });

  it('keeps the final horizon through a checkpoint, so a reset after a restart is as safe', () => {
    const h = new EngineHarness({ intervals: [300_000], latenessMs: 5000 });
    h.trade(clock - 1000, 10, 1).trade(far, 99, 1);
    const data = encodeCheckpoint(h.engine.allSymbols(), () => '');
    const restored = new EngineHarness({ intervals: [300_000], latenessMs: 5000 });
    const id = restored.symbolId('AAPL');
    restoreCheckpoint(
      restored.engine,
      DEFAULT_ANALYTICS,
      data,
      (name) => (name === 'AAPL' ? id : undefined),
      () => 0,
    );
    const horizon = Math.max(...h.bars.map((b) => b.window_end), ...h.indicators.map((w) => w.window_end));
    assert.equal(restored.engine.resetWatermark(id, clock, 0)?.watermarkAfter, horizon);
  });
});
