// The settle queue classifies each trade's side as it is queued and reports
// every later change (settlement.ts). Held to the reference model's trade-side
// definition: after every step, the side the queue's reports add up to for
// each trade is the side the model gives over all ticks queued so far.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SettleQueue, SideClassifier, type Side } from '../../src/analytics/settlement';
import { sides, type Quote, type Trade, type Side as ModelSide } from '../fixtures/reference-bars';
import { exactValue, subtract } from '../fixtures/exact-fraction';
import { seededRandom } from '../fixtures/seeded-random';

const AS_MODEL: Record<Side, ModelSide> = { 1: 'buy', [-1]: 'sell', 0: 'neither' } as Record<Side, ModelSide>;

/** One seeded run: ticks arrive out of order within a lateness; now and then the front settles, or the back is dropped. */
function run(seed: number, steps: number): { changes: number; settled: number; droppedBack: number } {
  const random = seededRandom(seed);
  const trades: Trade[] = [];
  const quotes: Quote[] = [];
  /** The side each trade has according to the queue's reports, by volume (unique per trade). */
  const reported = new Map<number, Side>();
  const byVolume = new Map<number, Trade>();
  let changes = 0;
  // Odd seeds: a queue that sizes itself by the rate of its entries (settling within 50 ms).
  const queue = new SettleQueue(
    new SideClassifier(),
    {
      countSide(ts, volume, before, after) {
        assert.equal(reported.get(volume), before, `a change of trade ${volume} at ${ts} must start from the side reported before`);
        assert.equal(byVolume.get(volume)?.timestamp, ts);
        reported.set(volume, after);
        changes++;
      },
    },
    seed % 2 === 1 ? 50 : 0,
  );
  let newest = 0;
  let watermark = -Infinity;
  let settled = 0;
  let droppedBack = 0;
  for (let step = 0; step < steps; step++) {
    const lateness = 8;
    const ts = Math.max(watermark, newest - Math.floor(random() * lateness));
    const roll = random();
    if (roll < 0.45) {
      const volume = step + 1;
      const trade: Trade = { timestamp: ts, price: 100 + Math.floor(random() * 5), volume, arrival: step, correction: false };
      trades.push(trade);
      byVolume.set(volume, trade);
      reported.set(volume, queue.addTrade(ts, trade.price, volume, watermark));
    } else if (roll < 0.9) {
      const bid = 100 + Math.floor(random() * 5) - 0.5;
      const ask = bid + (random() < 0.5 ? 1 : 2);
      quotes.push({ timestamp: ts, spread: subtract(exactValue(ask), exactValue(bid)), bid, ask, arrival: step, correction: false });
      queue.addQuote(ts, bid, ask, watermark);
    } else if (roll < 0.97) {
      // The watermark moves: what is before it may settle, now or when the queue needs room.
      watermark = Math.max(watermark, newest - lateness);
      const count = queue.countBefore(watermark);
      settled += count;
      if (random() < 0.5) queue.drop(count);
    } else {
      // A watermark reset: what is stamped after the bound goes, and its sides with it.
      const bound = Math.max(watermark, newest - 3);
      droppedBack += queue.dropAfter(bound);
      for (const t of trades.filter((x) => x.timestamp > bound)) {
        assert.equal(reported.get(t.volume), 0, `trade ${t.volume} dropped: its side must be taken back`);
        reported.delete(t.volume);
        byVolume.delete(t.volume);
      }
      trades.splice(0, trades.length, ...trades.filter((x) => x.timestamp <= bound));
      quotes.splice(0, quotes.length, ...quotes.filter((x) => x.timestamp <= bound));
      newest = Math.min(newest, bound);
    }
    newest = Math.max(newest, ts + (random() < 0.3 ? 1 : 0));
    const model = sides(trades, quotes);
    for (const t of trades)
      assert.equal(AS_MODEL[reported.get(t.volume) as Side], model.get(t), `seed ${seed}, step ${step}, trade ${t.volume}`);
  }
  return { changes, settled, droppedBack };
}

describe('settle queue: trade side as queued', () => {
  it('every trade has the side of the definition after every arrival, settling and reset, whatever the order', () => {
    let changes = 0;
    let settled = 0;
    let droppedBack = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = run(seed, 400);
      changes += r.changes;
      settled += r.settled;
      droppedBack += r.droppedBack;
    }
    // The runs must have exercised every path: late arrivals changing sides, settling, resets.
    assert.ok(changes > 100, `sides changed ${changes} times`);
    assert.ok(settled > 1000 && droppedBack > 10, `settled ${settled}, dropped ${droppedBack}`);
  });

  it('a restored queue classifies its entries as the one it was taken from', () => {
    const settled = new SideClassifier();
    const original = new SettleQueue(settled, { countSide() {} });
    const ticks: Array<[number, number, number]> = [
      [10, 100.5, -1],
      [11, 101, 3],
      [11, 101, 4],
      [12, 100, 2],
      [13, 99.5, -1],
      [13, 100, 7],
    ];
    const given: Side[] = [];
    for (const [ts, value, volume] of ticks) {
      if (volume < 0) original.addQuote(ts, value - 0.5, value + 0.5, -Infinity);
      else given.push(original.addTrade(ts, value, volume, -Infinity));
    }
    assert.deepEqual(given, [1, 1, -1, 1]);
    const restored = new SettleQueue(settled, { countSide() {} });
    const { ts, value, volume } = original.entries();
    const again = [...ts]
      .map((t, i) => restored.restore(t, value[i] as number, volume[i] as number))
      .filter((_, i) => (volume[i] as number) >= 0);
    assert.deepEqual(again, given);
  });
});
