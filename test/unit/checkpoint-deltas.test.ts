// Incremental checkpoints: the last `rotation` checkpoints, restored in
// order, give the same state as a checkpoint written whole at the last of
// them, to the byte, on messy streams (late ticks, duplicates, corrections)
// whose trailing windows are short enough to evict between checkpoints.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBuffer } from 'flatbuffers';
import { encodeCheckpoint, encodeCheckpointSized, isDeltaCheckpoint, restoreCheckpoint } from '../../src/partition/checkpoint-codec';
import { checkpointRotation, MAX_ROTATION } from '../../src/sources/checkpoint-chain';
import { PartitionCheckpoint } from '../../src/fb/generated/tickflow/ring/partition-checkpoint';
import { DEFAULT_ANALYTICS, EngineHarness } from '../fixtures/engine-harness';
import { validTicks } from '../fixtures/messy-stream';
import { seededRandom } from '../fixtures/seeded-random';
import type { Series } from '../../src/fb/generated/tickflow/ring/series';

const CONFIGS = [
  { name: 'time bars', overrides: { alertWindowMs: 20_000, alertCooldownMs: 2000 } },
  {
    name: 'activity bars and corrections',
    overrides: {
      alertWindowMs: 15_000,
      alertCooldownMs: 2000,
      intervals: ['1s', '7t', '1m', '2500v'],
      allowedLatenessMs: 3000,
      indicatorWindowMs: 10_000,
      indicatorSlideMs: 2000,
    },
  },
];

type Overrides = (typeof CONFIGS)[1]['overrides'];

/** A harness with the symbols and exchanges registered in another order than the original's: other ids for the same names. */
function otherProcess(overrides: Overrides): EngineHarness {
  const h = new EngineHarness(overrides);
  h.exchangeId('Y');
  for (const symbol of ['EEE', 'DD/E', 'CCC.X', 'BBB', 'AAA']) h.symbolId(symbol);
  return h;
}

function restore(into: EngineHarness, overrides: Overrides, bytes: Uint8Array): number {
  return restoreCheckpoint(
    into.engine,
    { ...DEFAULT_ANALYTICS, ...overrides, intervals: DEFAULT_ANALYTICS.intervals },
    bytes,
    (name) => into.symbolId(name),
    (name) => into.exchangeId(name),
  );
}

/** Each symbol's trade and quote series of a checkpoint. */
function seriesOf(bytes: Uint8Array): Map<string, Series[]> {
  const cp = PartitionCheckpoint.getRootAsPartitionCheckpoint(new ByteBuffer(bytes));
  const out = new Map<string, Series[]>();
  for (let i = 0; i < cp.symbolsLength(); i++) {
    const s = cp.symbols(i);
    if (s !== null)
      out.set(
        s.symbol() ?? '',
        [s.trades(), s.quotes()].filter((x): x is Series => x !== null),
      );
  }
  return out;
}

/** The same state written whole by two engines restored from different checkpoints: their base ids set alike first. */
function whole(h: EngineHarness): Uint8Array {
  for (const state of h.engine.allSymbols()) {
    state.checkpointBase = 0;
    state.deltasSinceBase = 0;
  }
  return encodeCheckpoint(h.engine.allSymbols(), (id) => h.exchangeName(id));
}

describe('incremental checkpoints', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const { name, overrides } = CONFIGS[seed % 2] as (typeof CONFIGS)[1];
    const rotation = 3 + (seed % 3);
    it(`the last ${rotation} checkpoints restore what one written whole at the last of them restores, to the byte (${name}, seed ${seed})`, () => {
      const random = seededRandom(seed * 31);
      const ticks = validTicks(seed, 8000);
      const original = new EngineHarness(overrides);
      const exchangeName = (id: number): string => original.exchangeName(id);
      // What a store keeps: the last `rotation` checkpoints.
      const kept: Uint8Array[] = [];
      // Each symbol's series lengths at the checkpoint before: a delta that keeps fewer than those, less its evictions, replaced some.
      const held = new Map<string, number[]>();
      const seen = { checkpoints: 0, deltas: 0, evicted: 0, replaced: 0, whole: 0 };
      let stateBytes = 0;
      for (let i = 0; i < ticks.length; i++) {
        original.push(ticks[i] as (typeof ticks)[number]);
        if (random() > 0.006 && i !== ticks.length - 1) continue;
        const sized = encodeCheckpointSized(original.engine.allSymbols(), exchangeName, rotation);
        stateBytes = sized.stateBytes;
        seen.checkpoints++;
        kept.push(sized.data.slice());
        if (kept.length > rotation) kept.shift();
        for (const [symbol, series] of seriesOf(sized.data)) {
          const before = held.get(symbol) ?? [];
          held.set(
            symbol,
            series.map((s, k) => {
              if (!s.delta()) {
                seen.whole++;
                return s.timestampsLength();
              }
              seen.deltas++;
              if (s.evict() > 0) seen.evicted++;
              if (s.evict() + s.keep() < (before[k] ?? 0)) seen.replaced++;
              return s.keep() + s.timestampsLength();
            }),
          );
        }
      }
      // Most series go as deltas; each symbol's go whole once a rotation.
      assert.ok(seen.deltas > seen.whole && seen.evicted > 0 && seen.replaced > 0, JSON.stringify(seen));
      assert.ok(seen.whole >= Math.floor(seen.checkpoints / rotation) * 5 * 2, JSON.stringify(seen));
      assert.ok(kept.every(isDeltaCheckpoint));
      const full = encodeCheckpoint(original.engine.allSymbols(), exchangeName);
      // The state's size as an incremental checkpoint reports it is that of one written whole, to the alignment of its vectors.
      assert.ok(Math.abs(stateBytes - full.length) <= 5 * 6 * 4, `state ${stateBytes} B against ${full.length} B written whole`);

      const fromChain = otherProcess(overrides);
      const restoredFromChain = kept.map((bytes) => restore(fromChain, overrides, bytes));
      // Every symbol is restored from its whole series, and the checkpoints after.
      assert.equal(restoredFromChain[restoredFromChain.length - 1], 5);
      const fromFull = otherProcess(overrides);
      assert.equal(restore(fromFull, overrides, full), 5);
      assert.deepEqual(whole(fromChain), whole(fromFull));
      // Why `rotation` suffice: every symbol's series are whole in one of them.
      const wholeIn = new Set(
        kept.flatMap((bytes) => [...seriesOf(bytes)].filter(([, series]) => series.every((x) => !x.delta())).map(([symbol]) => symbol)),
      );
      assert.equal(wholeIn.size, 5);
    });
  }

  it('a delta restored on a state it does not follow is refused, naming the symbol', () => {
    const overrides = CONFIGS[0]?.overrides as Overrides;
    const original = new EngineHarness(overrides);
    const ticks = validTicks(9, 3000);
    for (const t of ticks.slice(0, 2000)) original.push(t);
    const first = encodeCheckpoint(original.engine.allSymbols(), (id) => original.exchangeName(id), 10);
    for (const t of ticks.slice(2000)) original.push(t);
    const delta = encodeCheckpoint(original.engine.allSymbols(), (id) => original.exchangeName(id), 10);
    assert.ok(isDeltaCheckpoint(delta));
    // Restored on top of the checkpoint before it, it applies; on a state that has that base but other entries, it is refused.
    const right = otherProcess(overrides);
    restore(right, overrides, first);
    assert.equal(restore(right, overrides, delta), 5);
    const wrong = otherProcess(overrides);
    restore(wrong, overrides, first);
    for (const state of wrong.engine.allSymbols()) state.trades.evictBefore(Infinity);
    assert.throws(() => restore(wrong, overrides, delta), /delta checkpoint of \S+ keeps entries .* does not follow the state/);
  });

  it('the rotation spans the series in checkpoints, within bounds', () => {
    assert.equal(checkpointRotation(305_000, 5000), 61);
    assert.equal(checkpointRotation(305_000, 1000), MAX_ROTATION);
    assert.equal(checkpointRotation(10_000, 60_000), 1);
    assert.equal(checkpointRotation(305_000, 0), 1);
  });
});
