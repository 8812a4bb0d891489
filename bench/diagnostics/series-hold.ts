// Bytes a trailing series holds for each entry in its window, while the
// window fills and once it is full and moving on, for windows of 50 to
// 100,000 entries: the state a tick costs once it is held, without the
// symbol's other state around it.
//
//   npm run build && node dist/bench/diagnostics/series-hold.js
//
// Each size runs as seven series whose windows differ by a seventh, so that
// the figures do not hang on where one size falls among the capacities.

import { TrailingSeries } from '../../src/analytics/trailing-series';

const SIZES = [50, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000];

for (const weighted of [true, false]) {
  for (const size of SIZES) {
    let filling = 0;
    let fillingSamples = 0;
    let full = 0;
    let fullSamples = 0;
    for (let k = 0; k < 7; k++) {
      const series = new TrailingSeries(weighted);
      const window = Math.round(size * (1 + k / 7));
      for (let t = 0; t < 4 * window; t++) {
        series.insert(t, 100 + (t % 13), 1);
        series.evictBefore(t - window);
        const perEntry = (series.heldDoubles * 8) / series.size;
        if (t >= window) {
          full += perEntry;
          fullSamples++;
        } else if (t > window / 4) {
          filling += perEntry;
          fillingSamples++;
        }
      }
    }
    const kind = weighted ? 'trade series (3 numbers an entry)' : 'quote series (2 numbers an entry)';
    const line = `${kind}, window ~${size} entries`.padEnd(56);
    console.log(`${line} filling ${(filling / fillingSamples).toFixed(1)} B/entry, full ${(full / fullSamples).toFixed(1)} B/entry`);
  }
}
