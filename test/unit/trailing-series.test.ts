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
  // Seeds 4-6 ask about a window only now and then, and some late entries
  // land before the start of the last window asked about: the sums kept for
  // that start must not be used once such an entry moved what follows.
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`answers every window as a naive recomputation does (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const sparse = seed > 3;
      const series = new TrailingSeries();
      const out = new WindowStats();
      // What the series holds, in its order: by timestamp, ties in arrival order.
      let held: Entry[] = [];
      let t = 0;
      const windowMs = 40 + Math.floor(random() * 400);
      for (let i = 0; i < 3000; i++) {
        t += Math.floor(random() * 5);
        const late = random() < 0.15 ? Math.floor(random() * (sparse ? windowMs * 1.5 : 30)) : 0;
        const entry = { t: t - late, x: 1e4 + Math.floor(random() * 200) / 100, v: Math.floor(random() * 1000) };
        const index = series.insert(entry.t, entry.x, entry.v);
        let at = held.length;
        while (at > 0 && (held[at - 1] as Entry).t > entry.t) at--;
        held.splice(at, 0, entry);
        const from = entry.t - windowMs;
        if (sparse && random() < 0.5) continue;
        series.stats(from, index, out);
        const want = naive(held, from, at);
        assert.equal(out.count, want.count, `count at insert ${i}`);
        assert.ok(Math.abs(out.mean - want.mean) <= 1e-9 * want.mean, `mean at insert ${i}: ${out.mean} against ${want.mean}`);
        assert.ok(Math.abs(out.variance - want.variance) <= 1e-6, `variance at insert ${i}: ${out.variance} against ${want.variance}`);
        assert.ok(Math.abs(out.meanV - want.meanV) <= 1e-9 * Math.max(1, want.meanV), `meanV at insert ${i}`);
        if (sparse && random() < 0.01) {
          // A watermark reset: what is stamped after the bound goes, and new entries take its place.
          const bound = t - Math.floor(random() * windowMs);
          series.dropAfter(bound);
          held = held.filter((e) => e.t <= bound);
          t = bound;
        }
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

  it('series sharing slab blocks each keep their own entries, through growth, give-backs and reuse', () => {
    const random = seededRandom(7);
    const count = 40;
    const series = Array.from({ length: count }, () => new TrailingSeries());
    const held: Entry[][] = Array.from({ length: count }, () => []);
    const clocks = new Array<number>(count).fill(0);
    const out = new WindowStats();
    for (let i = 0; i < 20_000; i++) {
      const k = Math.floor(random() * count);
      const s = series[k] as TrailingSeries;
      const model = held[k] as Entry[];
      clocks[k] = (clocks[k] as number) + Math.floor(random() * 3);
      const entry = { t: (clocks[k] as number) - (random() < 0.1 ? 2 : 0), x: 50 + k + Math.floor(random() * 100) / 100, v: k };
      const index = s.insert(entry.t, entry.x, entry.v);
      let at = model.length;
      while (at > 0 && (model[at - 1] as Entry).t > entry.t) at--;
      model.splice(at, 0, entry);
      s.stats(entry.t - 50, index, out);
      const want = naive(model, entry.t - 50, at);
      assert.equal(out.count, want.count, `count of series ${k} at step ${i}`);
      assert.ok(Math.abs(out.meanV - k) < 1e-9, `series ${k} sees only its own weights at step ${i}`);
      // Often empty again (a block given back), sometimes long enough to leave the slabs.
      const bound = random() < 0.02 ? (clocks[k] as number) + 10 : random() < 0.05 ? (clocks[k] as number) - 300 : -Infinity;
      if (bound !== -Infinity) {
        s.evictBefore(bound);
        held[k] = model.filter((e) => e.t >= bound);
      }
    }
    for (let k = 0; k < count; k++) {
      const { timestamps, values, weights } = (series[k] as TrailingSeries).entries();
      const model = held[k] as Entry[];
      assert.deepEqual(
        [...timestamps],
        model.map((e) => e.t),
        `timestamps of series ${k}`,
      );
      assert.deepEqual(
        [...values],
        model.map((e) => e.x),
        `values of series ${k}`,
      );
      assert.deepEqual(
        [...weights],
        model.map((e) => e.v),
        `weights of series ${k}`,
      );
    }
  });

  it('a mean-only series answers count and mean to the bit as a weighted one does, and checkpoints with zero weights', () => {
    const random = seededRandom(5);
    const weighted = new TrailingSeries();
    const meanOnly = new TrailingSeries(false);
    const a = new WindowStats();
    const b = new WindowStats();
    let t = 0;
    for (let i = 0; i < 5000; i++) {
      t += Math.floor(random() * 4);
      const ts = t - (random() < 0.1 ? Math.floor(random() * 20) : 0);
      const x = random() < 0.3 ? 0.01 : 0.01 + Math.floor(random() * 5) / 100;
      const at = weighted.insert(ts, x, 7);
      assert.equal(meanOnly.insert(ts, x, 7), at);
      weighted.stats(ts - 300, at, a);
      meanOnly.stats(ts - 300, at, b);
      assert.deepEqual([b.count, b.mean, b.variance, b.meanV], [a.count, a.mean, 0, 0], `at insert ${i}`);
      if (i % 700 === 0) {
        weighted.mark();
        meanOnly.mark();
      }
      if (random() < 0.01) {
        weighted.evictBefore(t - 400);
        meanOnly.evictBefore(t - 400);
      }
    }
    const [dw, dm] = [weighted.delta(), meanOnly.delta()];
    assert.deepEqual([dm.evict, dm.keep, [...dm.timestamps], [...dm.values]], [dw.evict, dw.keep, [...dw.timestamps], [...dw.values]]);
    assert.ok(dm.weights.length === dm.values.length && dm.weights.every((w) => w === 0));
    // Loaded from a checkpoint, each kind the other's entries: the same answers again.
    const [fromWeighted, fromMeanOnly] = [new TrailingSeries(false), new TrailingSeries()];
    const [ew, em] = [weighted.entries(), meanOnly.entries()];
    fromWeighted.load(ew.timestamps.slice(), ew.values.slice(), ew.weights.slice());
    fromMeanOnly.load(em.timestamps.slice(), em.values.slice(), em.weights.slice());
    assert.ok(fromWeighted.size > 100, `${fromWeighted.size} entries loaded`);
    fromWeighted.stats(t - 300, fromWeighted.size - 1, b);
    fromMeanOnly.stats(t - 300, fromMeanOnly.size - 1, a);
    assert.deepEqual([b.count, b.mean], [a.count, a.mean], 'loaded series answer alike');
  });

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

  // Long runs of one value, so that the change count at the block's first
  // entry (whose predecessor has left the block) decides variance 0; windows
  // asked about at their start now and then, so that the sums kept for a
  // start the block has moved past are not used.
  for (const weighted of [true, false]) {
    it(`a full window moving on keeps its answers and holds about 1.4 times its entries, up and down (${weighted ? 'weighted' : 'mean-only'})`, () => {
      const random = seededRandom(weighted ? 11 : 12);
      const series = new TrailingSeries(weighted);
      const out = new WindowStats();
      const held: Entry[] = [];
      const perEntry = (weighted ? 3 : 2) * 8;
      let x = 100;
      let windowMs = 1500;
      for (let t = 0; t < 12_000; t++) {
        if (random() < 0.02) x = 100 + Math.floor(random() * 3);
        if (t === 8000) windowMs = 150;
        const index = series.insert(t, x, 1);
        held.push({ t, x, v: 1 });
        series.evictBefore(t - windowMs);
        while ((held[0] as Entry).t < t - windowMs) held.shift();
        if (random() < 0.2) {
          const from = random() < 0.5 ? t - windowMs : t - Math.floor(random() * windowMs);
          series.stats(from, index, out);
          const want = naive(held, from, held.length - 1);
          assert.equal(out.count, want.count, `count at ${t}`);
          assert.ok(Math.abs(out.mean - want.mean) <= 1e-9 * want.mean, `mean at ${t}: ${out.mean} against ${want.mean}`);
          if (want.variance === 0) assert.equal(out.variance, 0, `variance at ${t}`);
        }
        // Once a window's worth came in: at most about half as much again as the entries, and the rows and header.
        if (t === 7999 || t === 11_999) {
          const bytes = series.heldDoubles * 8;
          assert.ok(bytes <= held.length * perEntry * 1.7 + 1024, `${bytes} bytes for ${held.length} entries at ${t}`);
        }
      }
    });
  }

  it('a window of equal values has variance exactly 0, whatever the growth', () => {
    const series = new TrailingSeries();
    const out = new WindowStats();
    for (let i = 0; i < 200; i++) {
      const index = series.insert(i, 0.1 + 0.2, 1);
      series.stats(0, index, out);
      assert.equal(out.variance, 0);
    }
  });

  for (const seed of [4, 5, 6, 7]) {
    it(`a delta on the series of the mark before gives the series now, through evictions, late inserts and drops (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const series = new TrailingSeries();
      // What the last checkpoint held, kept as a reader of the deltas would.
      let saved: Entry[] = [];
      const mirror = new TrailingSeries();
      const seen = { evicted: 0, replaced: 0, whole: 0 };
      let t = 0;
      for (let i = 0; i < 4000; i++) {
        t += Math.floor(random() * 4);
        const late = random() < 0.2 ? Math.floor(random() * 40) : 0;
        series.insert(t - late, Math.floor(random() * 1e4) / 100, Math.floor(random() * 100));
        const r = random();
        if (r < 0.08) series.evictBefore(t - 20 - Math.floor(random() * 200));
        else if (r < 0.085) series.dropAfter(t - Math.floor(random() * 30));
        else if (r < 0.09) series.evictBefore(t + 1000);
        if (random() < 0.03) {
          const d = series.delta();
          if (d.evict > 0) seen.evicted++;
          if (d.evict + d.keep < saved.length) seen.replaced++;
          if (d.evict === 0 && d.keep === 0 && saved.length > 0) seen.whole++;
          assert.ok(d.evict + d.keep <= saved.length, `delta at ${i} keeps entries the mark did not hold`);
          const added = Array.from(d.timestamps, (ts, k) => ({ t: ts, x: d.values[k] as number, v: d.weights[k] as number }));
          saved = [...saved.slice(d.evict, d.evict + d.keep), ...added];
          // A restore applies the same delta to the series it restored before, in place.
          assert.equal(mirror.applyDelta(d.evict, d.keep, d.timestamps, d.values, d.weights), true);
          const m = mirror.entries();
          assert.deepEqual(
            saved,
            Array.from(m.timestamps, (ts, k) => ({ t: ts, x: m.values[k] as number, v: m.weights[k] as number })),
            `delta applied in place at insert ${i}`,
          );
          const now = series.entries();
          assert.deepEqual(
            saved,
            Array.from(now.timestamps, (ts, k) => ({ t: ts, x: now.values[k] as number, v: now.weights[k] as number })),
            `delta at insert ${i}`,
          );
          series.mark();
        }
      }
      assert.ok(seen.evicted > 0 && seen.replaced > 0, `deltas must evict and replace: ${JSON.stringify(seen)}`);
      // Windows over the series restored in place (up to now) answer as the original's do.
      const d = series.delta();
      assert.equal(mirror.applyDelta(d.evict, d.keep, d.timestamps, d.values, d.weights), true);
      const out = new WindowStats();
      const want = new WindowStats();
      // stats() takes the index an insert returned: one more entry on each.
      const from = t - 150;
      series.stats(from, series.insert(t + 1, 50, 5), want);
      mirror.stats(from, mirror.insert(t + 1, 50, 5), out);
      assert.ok(want.count > 1);
      assert.equal(out.count, want.count);
      assert.ok(Math.abs(out.mean - want.mean) <= 1e-9 * Math.abs(want.mean));
      assert.ok(Math.abs(out.variance - want.variance) <= 1e-6);
      // A delta that keeps more than the series holds does not apply, and changes nothing.
      assert.equal(new TrailingSeries().applyDelta(0, 1, [], [], []), false);
    });
  }

  it('a delta after a load counts from what was loaded', () => {
    const series = new TrailingSeries();
    series.load([1, 2, 3, 4], [10, 20, 30, 40], [1, 1, 1, 1]);
    series.evictBefore(2);
    series.insert(3, 35, 2);
    series.insert(5, 50, 1);
    const d = series.delta();
    // [1,2,3,4] less one at the front, keeps 2 and 3, then the late 3 (after the 3 there) and 4 moved, and 5.
    assert.deepEqual([d.evict, d.keep, [...d.timestamps], [...d.values]], [1, 2, [3, 4, 5], [35, 40, 50]]);
    series.mark();
    // A reset's drop with nothing inserted after it: the delta keeps only what is left.
    assert.equal(series.dropAfter(3), 2);
    const dropped = series.delta();
    assert.deepEqual([dropped.evict, dropped.keep, dropped.timestamps.length], [0, 3, 0]);
  });
});
