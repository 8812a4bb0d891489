import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineHarness, T0 } from '../fixtures/engine-harness';
import { seededRandom } from '../fixtures/seeded-random';

/** Population mean and standard deviation, two-pass. */
function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

describe('trade alerts', () => {
  it('raises PRICE_SPIKE with the z-score over the trailing window including the trade itself', () => {
    const h = new EngineHarness();
    const prices = [100, 101, 99, 100, 101, 99, 100, 101, 99, 100, 101, 99, 100, 110];
    prices.forEach((p, i) => h.trade(T0 + i * 1000, p, 100));
    const spikes = h.alerts.filter((a) => a.anomaly_type === 'PRICE_SPIKE');
    assert.equal(spikes.length, 1);
    const spike = spikes[0];
    assert.ok(spike !== undefined);
    const { mean, std } = meanStd(prices);
    assert.equal(spike.severity, 'CRITICAL');
    assert.equal(spike.timestamp, T0 + 13_000);
    assert.equal(spike.price, 110);
    assert.equal(spike.volume, 100);
    assert.ok(Math.abs((spike.price_zscore ?? 0) - Math.abs(110 - mean) / std) < 1e-9);
    assert.equal(spike.volume_ratio, 1);
    assert.equal(spike.spread_ratio, null);
  });

  it('raises VOLUME_SURGE when the volume ratio exceeds 5 and the price is calm', () => {
    const h = new EngineHarness();
    for (let i = 0; i < 20; i++) h.trade(T0 + i * 1000, 100 + (i % 2), 100);
    h.trade(T0 + 20_000, 100, 2000);
    const [surge] = h.alerts;
    assert.ok(surge !== undefined);
    assert.equal(surge.anomaly_type, 'VOLUME_SURGE');
    assert.equal(surge.severity, 'WARNING');
    assert.equal(surge.volume_ratio, 2000 / (4000 / 21));
    assert.equal(h.alerts.length, 1);
  });

  it('raises COMBINED_ANOMALY for a moderate price move with a moderate volume surge', () => {
    const h = new EngineHarness();
    const prices: number[] = [];
    for (let i = 0; i < 40; i++) {
      const p = 100 + (i % 2 === 0 ? 1 : -1);
      prices.push(p);
      h.trade(T0 + i * 1000, p, 100);
    }
    h.trade(T0 + 40_000, 102.6, 500);
    const alert = h.alerts.at(-1);
    assert.ok(alert !== undefined);
    const { mean, std } = meanStd([...prices, 102.6]);
    const z = Math.abs(102.6 - mean) / std;
    assert.ok(z > 2 && z <= 3, `test data must give 2 < z <= 3, got ${z}`);
    assert.equal(alert.anomaly_type, 'COMBINED_ANOMALY');
    assert.equal(alert.severity, 'HIGH');
  });

  it('lets the first matching rule win: a spike with a surge is a PRICE_SPIKE', () => {
    const h = new EngineHarness();
    for (let i = 0; i < 30; i++) h.trade(T0 + i * 1000, 100 + (i % 2) * 0.1, 100);
    h.trade(T0 + 30_000, 120, 10_000);
    assert.deepEqual(
      h.alerts.map((a) => a.anomaly_type),
      ['PRICE_SPIKE'],
    );
    assert.ok((h.alerts[0]?.volume_ratio ?? 0) > 5);
  });

  it('gives a null z-score when every price in the window is equal, and no spike', () => {
    const h = new EngineHarness();
    for (let i = 0; i < 10; i++) h.trade(T0 + i * 1000, 10_000.01, 100);
    h.trade(T0 + 10_000, 10_000.01, 5000);
    const [surge] = h.alerts;
    assert.ok(surge !== undefined);
    assert.equal(surge.anomaly_type, 'VOLUME_SURGE');
    assert.equal(surge.price_zscore, null);
  });

  it("gives a null volume ratio when the window's mean volume is zero", () => {
    const h = new EngineHarness();
    for (let i = 0; i < 10; i++) h.trade(T0 + i * 1000, 100 + (i % 2), 0);
    h.trade(T0 + 10_000, 150, 0);
    const [spike] = h.alerts;
    assert.ok(spike !== undefined);
    assert.equal(spike.anomaly_type, 'PRICE_SPIKE');
    assert.equal(spike.volume_ratio, null);
  });

  it('does not spike on prices near 10,000 with tiny variance', () => {
    const h = new EngineHarness();
    const random = seededRandom(5);
    const prices: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const p = 10_000 + Math.round(random() * 4) * 1e-6;
      prices.push(p);
      h.trade(T0 + i * 50, p, 100);
    }
    assert.deepEqual(
      h.alerts.filter((a) => a.anomaly_type !== 'HIGH_VOLATILITY'),
      [],
    );
    // And a real move among them is still seen, with the exact z-score.
    h.trade(T0 + 20_000 * 50, 10_000.001, 100);
    const spike = h.alerts.find((a) => a.anomaly_type === 'PRICE_SPIKE');
    assert.ok(spike !== undefined);
    const window = prices.slice(prices.length - 6000).concat([10_000.001]);
    const { mean, std } = meanStd(window);
    assert.ok(Math.abs((spike.price_zscore ?? 0) / (Math.abs(10_000.001 - mean) / std) - 1) < 1e-6);
  });

  it('uses only trades within the trailing window that have arrived so far', () => {
    const h = new EngineHarness({ latenessMs: 10_000 });
    // The window of a trade at t is [t - 300 s, t]: the trade at T0 + 1 is on
    // its inclusive bound, the one at T0 is just outside.
    h.trade(T0, 50, 1).trade(T0 + 1, 60, 1);
    const prices = [60];
    for (let i = 0; i < 10; i++) {
      h.trade(T0 + 100_000 + i, 100 + (i % 2), 1);
      prices.push(100 + (i % 2));
    }
    h.trade(T0 + 300_001, 100.5, 1000);
    prices.push(100.5);
    const surge = h.alerts.find((a) => a.timestamp === T0 + 300_001);
    assert.ok(surge !== undefined);
    assert.equal(surge.anomaly_type, 'VOLUME_SURGE');
    const { mean, std } = meanStd(prices);
    assert.ok(Math.abs((surge.price_zscore ?? 0) - Math.abs(100.5 - mean) / std) < 1e-9);
    assert.equal(surge.volume_ratio, 1000 / (1011 / 12));

    // An out-of-order trade sees older trades, not newer ones that arrived before it.
    const g = new EngineHarness({ latenessMs: 10_000 });
    for (let i = 0; i < 10; i++) g.trade(T0 + i * 100, 100 + (i % 2), 100);
    g.trade(T0 + 5000, 200, 100);
    g.trade(T0 + 1000, 100.5, 1000);
    const late = g.alerts.find((a) => a.timestamp === T0 + 1000);
    assert.ok(late !== undefined);
    const seen = meanStd([100, 101, 100, 101, 100, 101, 100, 101, 100, 101, 100.5]);
    assert.ok(Math.abs((late.price_zscore ?? 0) - Math.abs(100.5 - seen.mean) / seen.std) < 1e-9);
  });

  it('suppresses repeats of a (symbol, type) within the cooldown, in event time', () => {
    const h = new EngineHarness({ alertCooldownMs: 10_000 });
    for (let i = 0; i < 20; i++) h.trade(T0 + i * 1000, 100 + (i % 2), 100);
    h.trade(T0 + 20_000, 100, 5000)
      .trade(T0 + 25_000, 100, 50_000)
      .trade(T0 + 30_000, 100, 500_000);
    assert.deepEqual(
      h.alerts.map((a) => a.timestamp),
      [T0 + 20_000, T0 + 30_000],
    );
  });
});

describe('quote alerts', () => {
  it('raises SPREAD_WIDENING when the spread exceeds twice the trailing mean spread', () => {
    const h = new EngineHarness();
    for (let i = 0; i < 10; i++) h.quote(T0 + i * 1000, 99.99, 100.01);
    h.push({ type: 'BBO', ts: T0 + 10_000, bid: 99.9, ask: 100.1 });
    const [alert] = h.alerts;
    assert.ok(alert !== undefined);
    const spreads = [...Array.from({ length: 10 }, () => 100.01 - 99.99), 100.1 - 99.9];
    const mean = spreads.reduce((a, b) => a + b, 0) / spreads.length;
    assert.equal(alert.anomaly_type, 'SPREAD_WIDENING');
    assert.equal(alert.severity, 'WARNING');
    assert.ok(Math.abs((alert.spread_ratio ?? 0) - (100.1 - 99.9) / mean) < 1e-9);
    assert.deepEqual([alert.price, alert.volume, alert.price_zscore, alert.volume_ratio], [null, null, null, null]);
  });

  it('ignores trades in the spread statistics and raises nothing while spreads are zero', () => {
    const h = new EngineHarness();
    for (let i = 0; i < 10; i++) h.quote(T0 + i * 1000, 100, 100);
    h.trade(T0 + 10_500, 100, 100, { bid: 90, ask: 110 });
    h.quote(T0 + 11_000, 100, 100);
    assert.deepEqual(h.alerts, []);
  });
});
