// A checkpoint holds all of a symbol's state: an engine restored from one
// produces exactly what the original produces from there on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidTick, validateTick } from '../../src/ingest/tick-validator';
import { checkpointExchanges, checkpointSymbols, encodeCheckpoint, restoreCheckpoint } from '../../src/partition/checkpoint-codec';
import { DEFAULT_ANALYTICS, EngineHarness, type TestTick } from '../fixtures/engine-harness';
import { diffRecords, type Row } from '../fixtures/compare';
import { messyStream } from '../fixtures/messy-stream';

function validTicks(seed: number, count: number): TestTick[] {
  const out: TestTick[] = [];
  const t = new ValidTick();
  for (const value of messyStream(seed, count)) {
    if (validateTick(value, t) !== null) continue;
    out.push({
      symbol: t.symbol,
      type: (['TRADE', 'QUOTE', 'BBO'] as const)[t.eventType],
      ts: t.timestamp,
      ...(Number.isNaN(t.price) ? {} : { price: t.price }),
      volume: t.volume,
      ...(Number.isNaN(t.bid) ? {} : { bid: t.bid, ask: t.ask }),
      exchange: t.exchange,
      ...(t.seq >= 0 ? { seq: t.seq } : {}),
    });
  }
  return out;
}

describe('checkpoints', () => {
  for (const seed of [1, 2, 3]) {
    it(`restore every symbol's state exactly: the rest of the stream gives identical results (seed ${seed})`, () => {
      const ticks = validTicks(seed, 8000);
      const cut = Math.floor(ticks.length / 2);
      const original = new EngineHarness({ alertCooldownMs: 2000 });
      for (const t of ticks.slice(0, cut)) original.push(t);

      const bytes = encodeCheckpoint(original.engine.allSymbols(), (id) => original.exchangeName(id));
      assert.deepEqual(checkpointSymbols(bytes).sort(), ['AAA', 'BBB', 'CCC.X', 'DD/E', 'EEE']);
      assert.deepEqual(checkpointExchanges(bytes).sort(), ['', 'X', 'Y']);

      // Another process: different ids for the same names.
      const restored = new EngineHarness({ alertCooldownMs: 2000 });
      restored.exchangeId('Y');
      for (const symbol of [...checkpointSymbols(bytes)].reverse()) restored.symbolId(symbol);
      const count = restoreCheckpoint(
        restored.engine,
        { ...DEFAULT_ANALYTICS, alertCooldownMs: 2000 },
        bytes,
        (name) => restored.symbolId(name),
        (name) => restored.exchangeId(name),
      );
      assert.equal(count, 5);
      const mark = (h: EngineHarness): number[] => [h.bars.length, h.indicators.length, h.alerts.length, h.dropped.length];
      const before = mark(original);
      const restoredBefore = mark(restored);
      for (const t of ticks.slice(cut)) {
        original.push(t);
        restored.push(t);
      }
      original.flush();
      restored.flush();
      // The same records, in any order (flush walks symbols by id, and ids
      // differ between the processes); statistics agree to rounding, as the
      // restored trailing sums start from a new shift.
      const key = (r: Row): string =>
        `${String(r.type)}|${String(r.symbol)}|${String(r.interval ?? r.anomaly_type ?? '')}|${String(r.window_start ?? r.timestamp)}`;
      const after = (h: EngineHarness, from: number[]): Row[] =>
        [...h.bars.slice(from[0]), ...h.indicators.slice(from[1]), ...h.alerts.slice(from[2])] as unknown as Row[];
      assert.ok(original.bars.length > (before[0] ?? 0) && original.alerts.length > 0);
      assert.deepEqual(diffRecords(after(restored, restoredBefore), after(original, before), key, 1e-12), []);
      assert.deepEqual(restored.dropped.slice(restoredBefore[3]), original.dropped.slice(before[3]));
    });
  }
});
