// The bar family in the reference model (SPEC §1, "Activity bars, trade side
// and corrections") against hand-computed cases: trade side by the quote and
// tick rules, activity bars over settled trades, and the bars a trade would
// overflow. Every expected number is worked out in the comment next to it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BarRecord } from '../../src/records/records';
import type { ReferenceResult } from '../fixtures/reference-model';
import { barsOf, quote, run, T0, trade } from '../fixtures/reference-cases';

describe('reference model: trade side', () => {
  const sideOf = (result: ReferenceResult): number[] => {
    const [bar] = barsOf(result, '1m');
    return [bar?.buy_volume, bar?.sell_volume, bar?.buy_count, bar?.sell_count].map(Number);
  };

  it('classifies against the mid of the latest quote at or before the trade: above buys, below sells', () => {
    // mid 100.5: 101 buys 5, 100 sells 7; at 100.5 the tick rule: down from 100? No, up from 100: buy 1.
    const result = run([quote(0, 100, 101), trade(10, 101, 5), trade(20, 100, 7), trade(30, 100.5, 1)]);
    assert.deepEqual(sideOf(result), [6, 7, 2, 1]);
  });

  it('takes the quote stamped at the trade even when it arrived after it, and the latest arrival of a millisecond', () => {
    // Both quotes are stamped +10 like the trade; the second to arrive (mid 200.5) decides: 150 < 200.5 sells.
    const result = run([quote(0, 149, 150), trade(10, 150, 3), quote(10, 100, 101), quote(10, 200, 201)]);
    assert.deepEqual(sideOf(result), [0, 3, 0, 1]);
  });

  it('ignores quotes stamped after the trade, and repeats the previous side on an unchanged price', () => {
    // No quote at or before +10 and +20: the first trade is neither, the second (unchanged) repeats neither;
    // +40 at the mid of the +30 quote (50.5) goes by the tick rule: 50.5 > 50 buys; +50 unchanged repeats buy.
    const result = run([trade(10, 50, 1), quote(30, 50, 51), trade(20, 50, 2), trade(40, 50.5, 4), trade(50, 50.5, 8)]);
    assert.deepEqual(sideOf(result), [12, 0, 2, 0]);
  });
});

describe('reference model: activity bars', () => {
  const activity = (result: ReferenceResult, label: string): BarRecord[] => barsOf(result, label);

  it('cuts tick bars every N trades in timestamp order, the last one short', () => {
    // Arrival order 30, 10, 20, 40, 50 settles as 10, 20, 30 | 40, 50.
    const input = [trade(30, 3, 1), trade(10, 1, 1), trade(20, 2, 1), trade(40, 4, 1), trade(50, 5, 1)];
    const bars = activity(run(input, { activityBars: [{ label: '3t', unit: 'trades', size: 3 }] }), '3t');
    assert.deepEqual(
      bars.map((b) => [b.bar_index, b.window_start - T0, b.window_end - T0, b.open, b.close, b.trade_count, b.complete]),
      [
        [0, 10, 31, 1, 3, 3, true],
        [1, 40, 51, 4, 5, 2, false],
      ],
    );
  });

  it('closes a volume bar on the trade that reaches N, never splitting it', () => {
    // Volumes 40, 50, 30 | 100 | 5: 40 + 50 = 90 < 100, + 30 = 120 >= 100 closes; 100 alone reaches it.
    const input = [trade(1, 10, 40), trade(2, 11, 50), trade(3, 12, 30), trade(4, 13, 100), trade(5, 14, 5)];
    const bars = activity(run(input, { activityBars: [{ label: '100v', unit: 'volume', size: 100 }] }), '100v');
    assert.deepEqual(
      bars.map((b) => [b.volume, b.complete]),
      [
        [120, true],
        [100, true],
        [5, false],
      ],
    );
  });

  it('closes a notional bar when Σ price·volume reaches N', () => {
    // 10·5 = 50, + 20·2 = 90 < 100, + 1·10 = 100 >= 100 closes; then 1·1.
    const input = [trade(1, 10, 5), trade(2, 20, 2), trade(3, 1, 10), trade(4, 1, 1)];
    const bars = activity(run(input, { activityBars: [{ label: '100n', unit: 'notional', size: 100 }] }), '100n');
    assert.deepEqual(
      bars.map((b) => [b.trade_count, b.vwap, b.complete]),
      [
        [3, 100 / 17, true],
        [1, 1, false],
      ],
    );
  });
});

describe('reference model: bars that would overflow', () => {
  it('rejects as out_of_range a trade that would take a bar past 2^53 − 1 of volume or the largest double of notional', () => {
    const HALF = 2 ** 52;
    const result = run([
      trade(0, 10, HALF), // 1s bar [T0, T0 + 1s): volume 2^52
      trade(1, 10, HALF), // 2^52 + 2^52 = 2^53 > 2^53 − 1: rejected
      trade(2, 10, HALF - 1), // 2^53 − 1 exactly: accepted
      trade(1500, 10, 1), // the next 1s bar, but the 1m bar already holds 2^53 − 1: rejected
      trade(60_000, 1e300, 1e10, { symbol: 'MSFT' }), // 1e310: no double holds it, rejected
      trade(60_001, 1e308, 1, { symbol: 'MSFT' }), // 1e308: accepted
      trade(61_000, 1e308, 1, { symbol: 'MSFT' }), // another 1s bar, but the 1m bar would hold 2e308: rejected
    ]);
    assert.deepEqual(
      result.deadLetters.map((d) => [d.index, d.reason]),
      [
        [1, 'out_of_range'],
        [3, 'out_of_range'],
        [4, 'out_of_range'],
        [6, 'out_of_range'],
      ],
    );
    assert.deepEqual([result.accepted, result.rejected], [3, 4]);
    const aapl = barsOf(result, '5m').find((b) => b.symbol === 'AAPL');
    assert.deepEqual([aapl?.volume, aapl?.vwap, aapl?.trade_count], [2 ** 53 - 1, 10, 2]);
    const msft = barsOf(result, '1m').find((b) => b.symbol === 'MSFT');
    assert.deepEqual([msft?.volume, msft?.vwap], [1, 1e308]);
  });
});
