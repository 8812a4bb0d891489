// `tickflow gen`: determinism, the three encodings, the invariants of a clean
// feed, and the symbol universe it draws from.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventType } from '../../src/fb/generated/tickflow/fb/event-type';
import { Prng } from '../../src/synthetic/prng';
import { WeightedPicker } from '../../src/synthetic/weighted-picker';

import { FORMATS, INJECTIONS, START, countBy, decode, gen, type Decoded, type GenFormat } from '../fixtures/gen-harness';

describe('tickflow gen', () => {
  for (const format of FORMATS) {
    it(`gives identical ${format} bytes for the same seed and different bytes for another seed`, async () => {
      const args = ['--symbols', '30', '--rate', '2000', '--duration', '5s', ...INJECTIONS];
      const first = await gen(format, [...args, '--seed', '42']);
      const again = await gen(format, [...args, '--seed', '42']);
      const other = await gen(format, [...args, '--seed', '43']);
      assert.ok(first.bytes.length > 0);
      assert.ok(first.bytes.equals(again.bytes), 'same seed, different bytes');
      assert.ok(!first.bytes.equals(other.bytes), 'different seeds, same bytes');
    });
  }

  it('writes the same valid ticks in NDJSON, CSV and FlatBuffers', async () => {
    const args = ['--symbols', '40', '--count', '30000', '--seed', '7', ...INJECTIONS];
    const decoded = new Map<GenFormat, Decoded>();
    for (const format of FORMATS) {
      const { bytes, result } = await gen(format, args);
      const d = decode(format, bytes);
      assert.equal(d.rejects.length, result.counts.invalid, `${format}: rejects`);
      assert.equal(d.ticks.length + d.rejects.length, 30_000, `${format}: records`);
      decoded.set(format, d);
    }
    const ndjson = decoded.get('ndjson') as Decoded;
    assert.deepEqual(decoded.get('csv')?.ticks, ndjson.ticks);
    assert.deepEqual(decoded.get('fb')?.ticks, ndjson.ticks);
    // The cases a binary encoding could lose: a volume of 0 and a TRADE (enum value 0).
    assert.ok(
      ndjson.ticks.some((t) => t.eventType === EventType.TRADE && t.volume === 0),
      'no zero-volume trade to compare',
    );
    for (const type of [EventType.TRADE, EventType.QUOTE, EventType.BBO]) {
      assert.ok(
        ndjson.ticks.some((t) => t.eventType === type),
        `no ${EventType[type]} tick`,
      );
    }
  });

  it('without injections writes rate x duration valid ticks, ordered per symbol and sequenced per venue', async () => {
    const { bytes, result } = await gen('ndjson', ['--symbols', '25', '--rate', '3000', '--duration', '20s', '--seed', '11']);
    assert.equal(result.counts.records, 60_000);
    const { ticks, rejects } = decode('ndjson', bytes);
    assert.deepEqual(rejects, []);
    assert.equal(ticks.length, 60_000);

    const lastTs = new Map<string, number>();
    const lastSeq = new Map<string, number>();
    const venues = new Map<string, Set<string>>();
    for (const t of ticks) {
      assert.match(t.symbol, /^[A-Z]{3,5}$/);
      assert.ok(t.exchange.length > 0 && t.exchange.length <= 16, `exchange ${t.exchange}`);
      assert.ok(t.timestamp >= START && t.timestamp < START + 21_000, `timestamp ${t.timestamp}`);
      const prevTs = lastTs.get(t.symbol) ?? -Infinity;
      assert.ok(t.timestamp > prevTs, `${t.symbol}: timestamp ${t.timestamp} after ${prevTs}`);
      lastTs.set(t.symbol, t.timestamp);
      const key = `${t.exchange}|${t.symbol}`;
      assert.equal(t.seq, (lastSeq.get(key) ?? 0) + 1, `${key}: seq`);
      lastSeq.set(key, t.seq);
      venues.set(t.symbol, (venues.get(t.symbol) ?? new Set()).add(t.exchange));
      if (t.eventType === EventType.TRADE) {
        assert.ok(t.price > 0 && Number.isInteger(t.volume) && t.volume >= 0, `trade ${t.price} x ${t.volume}`);
        assert.ok(Number.isNaN(t.bid) && Number.isNaN(t.ask), 'a trade carries no bid or ask');
      } else {
        assert.ok(t.bid > 0 && t.bid < t.ask, `quote ${t.bid} / ${t.ask}`);
        assert.ok(Number.isNaN(t.price), 'a quote carries no price');
        // A few basis points, rounded outwards to the cent.
        assert.ok(t.ask - t.bid <= 0.001 * t.ask + 0.02 + 1e-9, `spread ${t.bid} / ${t.ask}`);
      }
    }
    assert.equal(lastTs.size, 25, 'every symbol ticks');
    for (const [symbol, set] of venues) assert.ok(set.size <= 2, `${symbol} trades on ${[...set].join(', ')}`);
    // Prices on the cent grid.
    for (const t of ticks) if (t.eventType === EventType.TRADE) assert.equal(Math.round(t.price * 100) / 100, t.price);
  });

  it('picks indexes in proportion to their weights, never one of weight 0', () => {
    const weights = [1, 2, 3, 4, 0, 10];
    const total = 20;
    const picker = new WeightedPicker(weights);
    const prng = new Prng(99);
    const picks = new Array<number>(weights.length).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) {
      const index = picker.pick(prng.float());
      picks[index] = (picks[index] as number) + 1;
    }
    assert.equal(picks[4], 0);
    weights.forEach((w, i) => {
      const expected = (draws * w) / total;
      // Binomial standard deviations here are under 230 picks; 5% is over 4 of them.
      assert.ok(Math.abs((picks[i] as number) - expected) <= 0.05 * expected, `index ${i}: ${picks[i]} picks, expected about ${expected}`);
    });
  });

  it('makes distinct ticker-like symbols with skewed activity and small price steps', async () => {
    const { bytes } = await gen('ndjson', ['--symbols', '200', '--count', '100000', '--seed', '5']);
    const { ticks } = decode('ndjson', bytes);
    const perSymbol = countBy(ticks.map((t) => t.symbol));
    assert.equal(perSymbol.size, 200);
    const sorted = [...perSymbol.values()].sort((a, b) => b - a);
    assert.ok((sorted[0] as number) > 10 * (sorted[100] as number), `busiest ${sorted[0]}, median ${sorted[100]}`);

    const busiest = [...perSymbol].find(([, n]) => n === sorted[0])?.[0];
    const lastPrice = new Map<string, number>();
    const busiestMoves: number[] = [];
    for (const t of ticks) {
      if (t.eventType !== EventType.TRADE) continue;
      const prev = lastPrice.get(t.symbol);
      lastPrice.set(t.symbol, t.price);
      assert.ok(t.price >= 4.9 && t.price <= 510, `${t.symbol} at ${t.price}`);
      if (prev === undefined) continue;
      const move = Math.abs(t.price / prev - 1);
      assert.ok(move < 0.007, `${t.symbol}: ${prev} -> ${t.price}`);
      if (t.symbol === busiest) busiestMoves.push(move);
    }
    busiestMoves.sort((a, b) => a - b);
    assert.ok(busiestMoves.length > 5000);
    const median = busiestMoves[busiestMoves.length >> 1] as number;
    assert.ok(median < 5e-4, `median move of ${busiest} between trades is ${(median * 1e4).toFixed(2)} bp`);
  });
});
