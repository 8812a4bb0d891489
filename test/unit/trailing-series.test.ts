// The trailing series against a naive recomputation of every window, on
// seeded streams with out-of-order inserts and evictions, across the sizes
// where its columns grow in place and where it rebuilds.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrailingSeries, WindowStats } from '../../src/analytics/trailing-series';
import { seededRandom } from '../fixtures/seeded-random';

interface Entry {
  t: number;
  x: number;
  v: number;
}

/** Count, mean, population variance of x and mean of v over entries with t in [from, t of `last`], as the series orders them. */
function naive(entries: readonly Entry[], from: number, last: number): { count: number; mean: number; variance: number; meanV: number } {
  const window = entries.slice(0, last + 1).filter((e) => e.t >= from);
  const count = window.length;
  const mean = window.reduce((s, e) => s + e.x, 0) / count;
  const variance = window.reduce((s, e) => s + (e.x - mean) ** 2, 0) / count;
  return { count, mean, variance, meanV: window.reduce((s, e) => s + e.v, 0) / count };
}

describe('trailing series', () => {
  for (const seed of [1, 2, 3]) {
    it(`answers every window as a naive recomputation does (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const series = new TrailingSeries();
      const out = new WindowStats();
      // What the series holds, in its order: by timestamp, ties in arrival order.
      let held: Entry[] = [];
      let t = 0;
      const windowMs = 40 + Math.floor(random() * 400);
      for (let i = 0; i < 3000; i++) {
        t += Math.floor(random() * 5);
        const late = random() < 0.15 ? Math.floor(random() * 30) : 0;
        const entry = { t: t - late, x: 1e4 + Math.floor(random() * 200) / 100, v: Math.floor(random() * 1000) };
        const index = series.insert(entry.t, entry.x, entry.v);
        let at = held.length;
        while (at > 0 && (held[at - 1] as Entry).t > entry.t) at--;
        held.splice(at, 0, entry);
        const from = entry.t - windowMs;
        series.stats(from, index, out);
        const want = naive(held, from, at);
        assert.equal(out.count, want.count, `count at insert ${i}`);
        assert.ok(Math.abs(out.mean - want.mean) <= 1e-9 * want.mean, `mean at insert ${i}: ${out.mean} against ${want.mean}`);
        assert.ok(Math.abs(out.variance - want.variance) <= 1e-6, `variance at insert ${i}: ${out.variance} against ${want.variance}`);
        assert.ok(Math.abs(out.meanV - want.meanV) <= 1e-9 * Math.max(1, want.meanV), `meanV at insert ${i}`);
        if (random() < 0.05) {
          // Now and then everything: a quiet symbol's series gives its buffer back and starts again.
          const bound = random() < 0.1 ? t + 1 : t - windowMs * 2;
          series.evictBefore(bound);
          held = held.filter((e) => e.t >= bound);
        }
        assert.equal(series.size, held.length);
      }
    });
  }

  it('holds nothing before its first entry, and gives back its entries in order after a load', () => {
    const series = new TrailingSeries();
    assert.equal(series.size, 0);
    assert.equal(series.entries().timestamps.length, 0);
    const n = 100;
    series.load(
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => 50 + (i % 3)),
      Array.from({ length: n }, () => 1),
    );
    const index = series.insert(n, 51, 1);
    const out = series.stats(0, index, new WindowStats());
    assert.equal(out.count, n + 1);
    assert.deepEqual([...series.entries().timestamps.subarray(0, 3)], [0, 1, 2]);
  });

  it('a window of equal values has variance exactly 0, whatever the growth', () => {
    const series = new TrailingSeries();
    const out = new WindowStats();
    for (let i = 0; i < 200; i++) {
      const index = series.insert(i, 0.1 + 0.2, 1);
      series.stats(0, index, out);
      assert.equal(out.variance, 0);
    }
  });
});
