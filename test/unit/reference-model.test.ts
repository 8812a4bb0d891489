// The reference model (test/fixtures/reference-model.ts) against hand-computed
// cases, so that when the engine and the model disagree we know which to
// suspect. Every expected number below is worked out in the comment next to it.
// The bar family's cases are in reference-bar-family.test.ts, what the model
// accepts (validation, lateness, duplicates) in reference-intake.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactValue, fraction, onCommonDenominator, sqrtGreaterThan, toNumber } from '../fixtures/exact-fraction';
import { alertsOf, barsOf, indicatorsOf, quote, repeated, run, T0, trade } from '../fixtures/reference-cases';
import { seededRandom } from '../fixtures/seeded-random';

describe('reference model: bars', () => {
  it('computes OHLCV and VWAP per epoch-aligned window, open/close by timestamp not arrival', () => {
    const result = run([trade(100, 10, 1), trade(900, 12, 3), trade(500, 11, 0), trade(1500, 9, 2)]);
    // Trade side in (timestamp, arrival) order with no quote: 10 neither (first), 11 buy (up), 12 buy (up), 9 sell (down).
    assert.deepEqual(barsOf(result, '1s'), [
      // ts 100, 900, 500: open = ts 100, close = ts 900; vwap = (10·1 + 12·3 + 11·0) / 4 = 11.5
      {
        type: 'bar',
        symbol: 'AAPL',
        interval: '1s',
        window_start: T0,
        window_end: T0 + 1000,
        open: 10,
        high: 12,
        low: 10,
        close: 12,
        volume: 4,
        vwap: 11.5,
        trade_count: 3,
        final: true,
        buy_volume: 3,
        sell_volume: 0,
        buy_count: 2,
        sell_count: 0,
        revision: 0,
      },
      {
        type: 'bar',
        symbol: 'AAPL',
        interval: '1s',
        window_start: T0 + 1000,
        window_end: T0 + 2000,
        open: 9,
        high: 9,
        low: 9,
        close: 9,
        volume: 2,
        vwap: 9,
        trade_count: 1,
        final: true,
        buy_volume: 0,
        sell_volume: 2,
        buy_count: 0,
        sell_count: 1,
        revision: 0,
      },
    ]);
    // vwap = (10 + 36 + 0 + 18) / 6 = 64 / 6
    const minute = { symbol: 'AAPL', window_start: T0, open: 10, high: 12, low: 9, close: 9, volume: 6, vwap: 64 / 6, trade_count: 4 };
    const side = { buy_volume: 3, sell_volume: 2, buy_count: 2, sell_count: 1, revision: 0 };
    assert.deepEqual(barsOf(result, '1m'), [{ type: 'bar', ...minute, interval: '1m', window_end: T0 + 60_000, final: true, ...side }]);
    assert.deepEqual(barsOf(result, '5m'), [{ type: 'bar', ...minute, interval: '5m', window_end: T0 + 300_000, final: true, ...side }]);
  });

  it('breaks timestamp ties by arrival: first arrival opens, last arrival closes', () => {
    const [bar] = barsOf(run([trade(0, 5, 1), trade(0, 6, 1), trade(0, 7, 1)]), '1s');
    assert.equal(bar.open, 5);
    assert.equal(bar.close, 7);
  });

  it('gives vwap null when the volume sums to 0, and makes no bar from quotes', () => {
    const result = run([trade(0, 5, 0), trade(1, 6, 0), quote(2, 1, 2, { symbol: 'MSFT' })]);
    assert.equal(barsOf(result, '1s')[0].vwap, null);
    assert.equal(barsOf(result, '1s')[0].volume, 0);
    assert.equal(result.records.filter((r) => r.symbol === 'MSFT').length, 0);
  });

  it('puts window_end in the next window, and honours custom intervals and labels', () => {
    const result = run([trade(59_999, 1, 1), trade(60_000, 2, 1)], { intervals: [60_000, 7_000], intervalLabels: ['1m', '7s'] });
    assert.deepEqual(
      barsOf(result, '1m').map((b) => [b.window_start, b.trade_count]),
      [
        [T0, 1],
        [T0 + 60_000, 1],
      ],
    );
    // T0 = 1704067197000 + 3000 and 1704067197000 is a multiple of 7000, so
    // +59 999 falls in the 7 s bar starting at +53 000 and +60 000 starts one.
    const sevens = barsOf(result, '7s').map((b) => b.window_start);
    assert.deepEqual(sevens, [T0 + 53_000, T0 + 60_000]);
    assert.ok(sevens.every((s) => s % 7000 === 0));
  });
});

describe('reference model: indicators', () => {
  it('emits one record per sliding window holding a trade, and HIGH_VOLATILITY above 2%', () => {
    // size 60 s, slide 30 s: ts +10 s lies in [−30 s, 30 s) and [0, 60 s); ts +40 s in [0, 60 s) and [30 s, 90 s).
    const result = run([trade(10_000, 100, 1), trade(40_000, 103, 1)], { indicatorWindowMs: 60_000, indicatorSlideMs: 30_000 });
    assert.deepEqual(indicatorsOf(result), [
      {
        type: 'indicator',
        symbol: 'AAPL',
        window_start: T0 - 30_000,
        window_end: T0 + 30_000,
        ma: 100,
        volatility: 0,
        trade_count: 1,
        revision: 0,
      },
      // ma = 101.5, volatility = (103 − 100) / 101.5
      {
        type: 'indicator',
        symbol: 'AAPL',
        window_start: T0,
        window_end: T0 + 60_000,
        ma: 101.5,
        volatility: 3 / 101.5,
        trade_count: 2,
        revision: 0,
      },
      {
        type: 'indicator',
        symbol: 'AAPL',
        window_start: T0 + 30_000,
        window_end: T0 + 90_000,
        ma: 103,
        volatility: 0,
        trade_count: 1,
        revision: 0,
      },
    ]);
    assert.deepEqual(alertsOf(result), [
      {
        type: 'alert',
        symbol: 'AAPL',
        anomaly_type: 'HIGH_VOLATILITY',
        severity: 'WARNING',
        timestamp: T0 + 60_000,
        price: null,
        volume: null,
        price_zscore: null,
        volume_ratio: null,
        spread_ratio: null,
        volatility: 3 / 101.5,
      },
    ]);
  });

  it('covers one trade with size/slide = 10 default windows, and stays quiet at 2/101 < 2%', () => {
    const single = indicatorsOf(run([trade(1_000, 50, 1)]));
    assert.deepEqual(
      single.map((w) => w.window_start),
      Array.from({ length: 10 }, (_, i) => T0 - 270_000 + i * 30_000),
    );
    assert.ok(single.every((w) => w.window_end === w.window_start + 300_000 && w.ma === 50 && w.volatility === 0));

    const calm = run([trade(0, 100, 1), trade(1, 102, 1)]);
    assert.ok(indicatorsOf(calm).every((w) => w.volatility === 2 / 101));
    assert.equal(alertsOf(calm).length, 0);
  });
});

describe('reference model: trade alerts', () => {
  // One outlier b among n − 1 trades at a: mean = a + (b − a)/n,
  // std = |b − a|·sqrt(n − 1)/n, so its z-score is sqrt(n − 1) exactly.

  it('raises PRICE_SPIKE when z > 3: ten equal prices then an outlier gives z = sqrt(10)', () => {
    const result = run([...repeated(10, 0, 100, 10), trade(10, 101, 10)]);
    assert.deepEqual(alertsOf(result), [
      {
        type: 'alert',
        symbol: 'AAPL',
        anomaly_type: 'PRICE_SPIKE',
        severity: 'CRITICAL',
        timestamp: T0 + 10,
        price: 101,
        volume: 10,
        price_zscore: Math.sqrt(10),
        volume_ratio: 1,
        spread_ratio: null,
        volatility: null,
      },
    ]);
  });

  it('does not alert at z = 3 exactly (nine equal prices then an outlier)', () => {
    assert.equal(alertsOf(run([...repeated(9, 0, 100, 10), trade(9, 101, 10)])).length, 0);
  });

  it('is exact near 1e4: equal prices have no z-score, a 1e-4 outlier still scores sqrt(10)', () => {
    assert.equal(alertsOf(run(repeated(50, 0, 9999.99, 10))).length, 0);
    const alternating = Array.from({ length: 200 }, (_, i) => trade(i, i % 2 === 0 ? 10_000.01 : 10_000.02, 10));
    assert.equal(alertsOf(run(alternating)).length, 0);
    const [spike] = alertsOf(run([...repeated(10, 0, 10_000, 10), trade(10, 10_000.0001, 10)]));
    assert.equal(spike.anomaly_type, 'PRICE_SPIKE');
    assert.equal(spike.price_zscore, Math.sqrt(10));
  });

  it('raises VOLUME_SURGE when volume / mean volume > 5, with a null z-score when std = 0', () => {
    // mean volume = (9·10 + 100) / 10 = 19
    const result = run([...repeated(9, 0, 100, 10), trade(9, 100, 100)]);
    assert.deepEqual(alertsOf(result), [
      {
        type: 'alert',
        symbol: 'AAPL',
        anomaly_type: 'VOLUME_SURGE',
        severity: 'WARNING',
        timestamp: T0 + 9,
        price: 100,
        volume: 100,
        price_zscore: null,
        volume_ratio: 100 / 19,
        spread_ratio: null,
        volatility: null,
      },
    ]);
    // (9·10 + 90) / 10 = 18, 90 / 18 = 5 exactly: not above 5.
    assert.equal(alertsOf(run([...repeated(9, 0, 100, 10), trade(9, 100, 90)])).length, 0);
  });

  it('gives volume_ratio null when every volume in the window is 0', () => {
    const [spike] = alertsOf(run([...repeated(10, 0, 100, 0), trade(10, 101, 0)]));
    assert.equal(spike.anomaly_type, 'PRICE_SPIKE');
    assert.equal(spike.volume_ratio, null);
  });

  it('raises COMBINED_ANOMALY when 2 < z ≤ 3 and 3 < ratio ≤ 5', () => {
    // z = sqrt(5); mean volume = (5·10 + 60) / 6 = 55/3, ratio = 60 / (55/3) = 36/11
    const [alert] = alertsOf(run([...repeated(5, 0, 100, 10), trade(5, 101, 60)]));
    assert.deepEqual(alert, {
      type: 'alert',
      symbol: 'AAPL',
      anomaly_type: 'COMBINED_ANOMALY',
      severity: 'HIGH',
      timestamp: T0 + 5,
      price: 101,
      volume: 60,
      price_zscore: Math.sqrt(5),
      volume_ratio: 36 / 11,
      spread_ratio: null,
      volatility: null,
    });
  });

  it('lets the first matching rule win: a spike that is also a surge is a PRICE_SPIKE', () => {
    // ratio = 1000 / ((10·10 + 1000) / 11) = 10
    const alerts = alertsOf(run([...repeated(10, 0, 100, 10), trade(10, 101, 1000)]));
    assert.deepEqual(
      alerts.map((a) => [a.anomaly_type, a.price_zscore, a.volume_ratio]),
      [['PRICE_SPIKE', Math.sqrt(10), 10]],
    );
  });

  it('uses the trailing window [t − 5 min, t], both ends included', () => {
    const base = repeated(10, 0, 100, 10); // ts T0 .. T0+9
    assert.equal(alertsOf(run([...base, trade(300_000, 101, 10)]))[0].price_zscore, Math.sqrt(10));
    // At t = T0 + 300001 the trade at T0 has left: nine equal prices, z = 3.
    assert.equal(alertsOf(run([...base, trade(300_001, 101, 10)])).length, 0);
  });

  it('sees only trades that arrived so far and are not newer than the tick', () => {
    // The out-of-order outlier at +999 arrives after ten trades at +1000..: none is ≤ its timestamp.
    const late = run([...repeated(10, 1_000, 100, 10), trade(999, 101, 10)]);
    assert.equal(late.late, 0);
    assert.equal(alertsOf(late).length, 0);
  });
});

describe('reference model: quote alerts', () => {
  it('raises SPREAD_WIDENING when spread / mean spread > 2', () => {
    // spreads 2, 2, 2, 8: mean 3.5, ratio 8 / 3.5 = 16/7
    const result = run([quote(0, 99, 101), quote(1, 99, 101), quote(2, 99, 101), quote(3, 96, 104, { event_type: 'BBO' })]);
    assert.deepEqual(alertsOf(result), [
      {
        type: 'alert',
        symbol: 'AAPL',
        anomaly_type: 'SPREAD_WIDENING',
        severity: 'WARNING',
        timestamp: T0 + 3,
        price: null,
        volume: null,
        price_zscore: null,
        volume_ratio: null,
        spread_ratio: 16 / 7,
        volatility: null,
      },
    ]);
    // spreads 2, 2, 2, 6: mean 3, ratio exactly 2: not above 2.
    assert.equal(alertsOf(run([quote(0, 99, 101), quote(1, 99, 101), quote(2, 99, 101), quote(3, 97, 103)])).length, 0);
  });

  it('does not alert on a zero mean spread, and counts only QUOTE/BBO ticks in the window', () => {
    assert.equal(alertsOf(run([quote(0, 100, 100), quote(1, 100, 100)])).length, 0);
    // The trade carries a wide bid/ask but is not a quote: the window is {spread 1}.
    const mixed = run([trade(0, 100, 1, { bid: 90, ask: 110 }), quote(1, 100, 101)]);
    assert.equal(alertsOf(mixed).length, 0);
  });
});

describe('reference model: cooldown', () => {
  // Ten quotes of spread 1, then spread 10 at +1 s, +6 s, +11 s:
  // ratios 11·10/20 = 5.5, 12·10/30 = 4, 13·10/40 = 3.25, all widening.
  const input = [
    ...Array.from({ length: 10 }, (_, i) => quote(i, 100, 101)),
    quote(1_000, 100, 110),
    quote(6_000, 100, 110),
    quote(11_000, 100, 110),
  ];

  it('alerts on every match when the cooldown is 0', () => {
    assert.deepEqual(
      alertsOf(run(input)).map((a) => [a.timestamp - T0, a.spread_ratio]),
      [
        [1_000, 5.5],
        [6_000, 4],
        [11_000, 3.25],
      ],
    );
  });

  it('suppresses alerts within the cooldown of the last emitted one, without restarting the clock', () => {
    assert.deepEqual(
      alertsOf(run(input, { alertCooldownMs: 10_000 })).map((a) => a.timestamp - T0),
      [1_000, 11_000],
    );
  });

  it('keeps cooldowns per (symbol, anomaly_type)', () => {
    const other = input.map((q) => ({ ...q, symbol: 'MSFT' }));
    const alerts = alertsOf(run([...input, ...other], { alertCooldownMs: 60_000 }));
    assert.deepEqual(
      alerts.map((a) => [a.symbol, a.timestamp - T0]),
      [
        ['AAPL', 1_000],
        ['MSFT', 1_000],
      ],
    );
  });
});

describe('reference model: exact arithmetic', () => {
  it('represents doubles exactly, subnormals and large values included', () => {
    for (const x of [1, 0.1, 10_000.01, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -3.5]) {
      assert.equal(toNumber(exactValue(x)), x);
    }
    // 0.1 is 3602879701896397 / 2^55, not 1/10.
    const tenth = exactValue(0.1);
    assert.equal(tenth.num * 2n ** 55n, 3_602_879_701_896_397n * tenth.den);
  });

  it('rounds a quotient as correctly as IEEE division does', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 10_000; i++) {
      const a = Math.floor(random() * 2 ** 53);
      const b = Math.floor(random() * 2 ** 53) + 1;
      assert.equal(toNumber(fraction(BigInt(a), BigInt(b))), a / b, `${a} / ${b}`);
    }
  });

  it('puts fractions on one denominator and compares square roots exactly', () => {
    assert.deepEqual(onCommonDenominator([fraction(1n, 2n), fraction(1n, 3n)]), { nums: [3n, 2n], den: 6n });
    assert.equal(sqrtGreaterThan(fraction(9n, 1n), 3), false);
    assert.equal(sqrtGreaterThan(fraction(9_000_000_001n, 1_000_000_000n), 3), true);
  });
});
