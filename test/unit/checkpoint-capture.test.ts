// A checkpoint spread over several turns writes the state as it was at its
// request, whatever the ticks (and idle closing) that come while it is in
// progress: the same state, restored, as a checkpoint written at once at
// that point, to the byte, whole and incremental, on messy streams.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointCapture, decodeMark } from '../../src/partition/checkpoint-capture';
import { checkpointSymbols, encodeCheckpoint, encodeCheckpointSized, restoreCheckpoint } from '../../src/partition/checkpoint-codec';
import { ChunkAssembler } from '../../src/partition/chunks';
import { Msg } from '../../src/partition/protocol';
import { createRing } from '../../src/ring/ring-descriptor';
import { RingConsumer } from '../../src/ring/ring-consumer';
import { RingProducer } from '../../src/ring/ring-producer';
import { DEFAULT_ANALYTICS, EngineHarness } from '../fixtures/engine-harness';
import { validTicks } from '../fixtures/messy-stream';
import { seededRandom } from '../fixtures/seeded-random';

const OVERRIDES = { alertWindowMs: 15_000, alertCooldownMs: 2000, idleCloseMs: 4000, intervals: ['1s', '7t', '1m'] };

/** The out-ring of a partition, read back as the ingest thread would: the records in order, checkpoints put back together. */
class OutRing {
  readonly producer: RingProducer;
  /** Each record's type, with the checkpoint id of marks and last chunks. */
  readonly seen: Array<{ type: number; id: number }> = [];
  readonly checkpoints = new Map<number, Uint8Array>();
  private readonly consumer: RingConsumer;
  private readonly assembler = new ChunkAssembler();

  constructor() {
    const ring = createRing(1 << 16);
    this.producer = new RingProducer(ring);
    this.consumer = new RingConsumer(ring);
  }

  drain = (): void => {
    this.producer.publish();
    this.consumer.poll((type, offset) => {
      if (type === Msg.CHECKPOINT_MARK) {
        this.seen.push({ type, id: decodeMark(this.consumer.bytes, offset) });
        return;
      }
      const whole = this.assembler.add(this.consumer.bytes, offset);
      if (whole === null) return;
      this.seen.push({ type, id: whole.id });
      this.checkpoints.set(whole.id, whole.data);
    }, 1 << 20);
  };
}

/** What a restore of `checkpoints` in order gives, written whole with the base ids set alike. */
function restored(checkpoints: readonly Uint8Array[]): Uint8Array {
  const h = new EngineHarness(OVERRIDES);
  // The same ids whatever order the checkpoints list their symbols in.
  for (const name of [...new Set(checkpoints.flatMap((bytes) => checkpointSymbols(bytes)))].sort()) h.symbolId(name);
  for (const bytes of checkpoints) {
    restoreCheckpoint(
      h.engine,
      { ...DEFAULT_ANALYTICS, ...OVERRIDES, intervals: DEFAULT_ANALYTICS.intervals },
      bytes,
      (name) => h.symbolId(name),
      (name) => h.exchangeId(name),
    );
  }
  for (const state of h.engine.allSymbols()) {
    state.checkpointBase = 0;
    state.deltasSinceBase = 0;
  }
  return encodeCheckpoint(h.engine.allSymbols(), (id) => h.exchangeName(id));
}

describe('checkpoints spread over turns', () => {
  for (const [seed, rotation] of [
    [1, 0],
    [2, 4],
    [3, 0],
    [4, 3],
  ] as const) {
    it(`write each symbol as it was at the request, though ticks change it before its turn (seed ${seed}, rotation ${rotation})`, () => {
      const random = seededRandom(seed * 7);
      const ticks = validTicks(seed, 6000);
      // `spread` takes its checkpoints over turns; `atOnce` at the request, as before.
      const spread = new EngineHarness(OVERRIDES);
      const atOnce = new EngineHarness(OVERRIDES);
      const out = new OutRing();
      const capture = new CheckpointCapture(spread.engine, out.producer, (id) => spread.exchangeName(id), out.drain);
      const expected: Uint8Array[] = [];
      let nextId = 1;
      let touched = 0;
      spread.engine.beforeChange = ((write) => (state) => {
        touched++;
        write(state);
      })(spread.engine.beforeChange);
      for (let i = 0; i < ticks.length; i++) {
        const tick = ticks[i] as (typeof ticks)[number];
        const now = i * 3;
        spread.push(tick, now);
        atOnce.push(tick, now);
        if (i % 400 === 0) {
          // Idle closing, as if the feed paused for 5 s: every symbol's watermark moves on.
          spread.engine.advanceIdle(now + 5000);
          atOnce.engine.advanceIdle(now + 5000);
        }
        // A slice of at most one symbol now and then, so that most symbols wait and many are changed first.
        if (capture.busy && random() < 0.3) capture.slice(0.000_001);
        if (random() > 0.01) continue;
        // Sometimes a second request while one is in progress: it finishes that one first when they share symbols.
        expected.push(encodeCheckpointSized(atOnce.engine.allSymbols(), (id) => atOnce.exchangeName(id), rotation).data.slice());
        capture.begin(nextId++, spread.engine.allSymbols(), rotation);
        out.drain();
      }
      capture.finishAll();
      out.drain();
      assert.ok(expected.length >= 20, `${expected.length} checkpoints`);
      assert.ok(touched > 50, `${touched} symbols written because a tick came for them first`);
      // Every mark went out at its request, before its checkpoint's data.
      const marks = out.seen.filter((r) => r.type === Msg.CHECKPOINT_MARK).map((r) => r.id);
      assert.deepEqual(
        marks,
        expected.map((_, i) => i + 1),
      );
      for (const { id } of out.seen.filter((r) => r.type === Msg.CHECKPOINT_CHUNK)) {
        assert.ok(
          out.seen.findIndex((r) => r.type === Msg.CHECKPOINT_MARK && r.id === id) <
            out.seen.findIndex((r) => r.type === Msg.CHECKPOINT_CHUNK && r.id === id),
        );
      }
      const got = expected.map((_, i) => out.checkpoints.get(i + 1) as Uint8Array);
      assert.ok(got.every((bytes) => bytes !== undefined));
      // Restored as a store would: each checkpoint with the rotation - 1 before it.
      const chain = Math.max(1, rotation);
      for (let last = chain - 1; last < expected.length; last++) {
        const from = last - chain + 1;
        assert.deepEqual(restored(got.slice(from, last + 1)), restored(expected.slice(from, last + 1)), `checkpoint ${last + 1}`);
      }
    });
  }
});
