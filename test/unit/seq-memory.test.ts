// The seq memory against a plain model: the (seq, timestamp) pairs of the
// ticks remembered, in arrival order, forgotten from the front while their
// timestamps are behind the watermark. Seeded streams mostly in order, with
// seqs out of order now and then, long enough for the memory to grow, move
// its entries down and shrink back.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeqMemory } from '../../src/analytics/seq-memory';
import { seededRandom } from '../fixtures/seeded-random';

describe('seq memory', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`remembers what a plain queue of pairs remembers (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const memory = new SeqMemory();
      const model: Array<[number, number, number]> = [];
      let seq = 0;
      let ts = 0;
      for (let step = 0; step < 20_000; step++) {
        const exchange = random() < 0.8 ? 0 : 1;
        ts += Math.floor(random() * 3);
        seq += 1 + Math.floor(random() * 2);
        // Now and then a seq from the recent past that was skipped: out of order.
        const s = random() < 0.03 ? seq - 1 - Math.floor(random() * 5) : seq;
        if (!model.some(([e, q]) => e === exchange && q === s)) {
          memory.remember(exchange, s, ts);
          model.push([exchange, s, ts]);
        }
        if (random() < 0.2) {
          // Bursts hold many, quiet spells few: the memory grows and shrinks.
          const watermark = ts - (random() < 0.9 ? 40 : 2);
          memory.forgetBefore(watermark);
          for (const e of [0, 1]) {
            // From the front of each exchange's queue, in arrival order.
            while (true) {
              const first = model.findIndex(([x]) => x === e);
              if (first < 0 || (model[first] as [number, number, number])[2] >= watermark) break;
              model.splice(first, 1);
            }
          }
        }
        for (let probe = 0; probe < 3; probe++) {
          const e = random() < 0.5 ? 0 : 1;
          const q = seq - Math.floor(random() * 60);
          const want = model.some(([x, y]) => x === e && y === q);
          assert.equal(memory.has(e, q), want, `seed ${seed}, step ${step}: exchange ${e} seq ${q}`);
        }
      }
      const held = memory.exchangesWithEntries();
      for (const e of [0, 1]) {
        const mine = held.find((h) => h.exchangeId === e);
        const theirs = model.filter(([x]) => x === e);
        assert.deepEqual(
          [...(mine?.seqs ?? [])],
          theirs.map(([, q]) => q),
          `seqs of exchange ${e}`,
        );
        assert.deepEqual(
          [...(mine?.timestamps ?? [])],
          theirs.map(([, , t]) => t),
          `timestamps of exchange ${e}`,
        );
      }
    });
  }
});
