// Checkpoints cross the rings as numbered chunks: put back together, they
// are the bytes written, whether the first chunk says the total (one buffer)
// or not (chunks from a writer that did not), with several checkpoints'
// chunks interleaved on one ring.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder, ByteBuffer } from 'flatbuffers';
import { byteVector } from '../../src/fb/bulk-vectors';
import { Chunk } from '../../src/fb/generated/tickflow/ring/chunk';
import { ChunkAssembler, ChunkWriter, writeChunks } from '../../src/partition/chunks';
import { createRing } from '../../src/ring/ring-descriptor';
import { RingConsumer } from '../../src/ring/ring-consumer';
import { RingProducer } from '../../src/ring/ring-producer';
import { seededRandom } from '../fixtures/seeded-random';

function ring(): { producer: RingProducer; consumer: RingConsumer } {
  const buffer = createRing(1 << 14);
  return { producer: new RingProducer(buffer), consumer: new RingConsumer(buffer) };
}

function bytes(seed: number, length: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

describe('checkpoint chunks', () => {
  it('are put back together as written, for sizes from none to many chunks, two checkpoints interleaved', () => {
    const { producer, consumer } = ring();
    const assembler = new ChunkAssembler();
    const got = new Map<number, Uint8Array>();
    const drain = (): void => {
      producer.publish();
      consumer.poll((_type, offset) => {
        const whole = assembler.add(consumer.bytes, offset);
        if (whole !== null) got.set(whole.id, Buffer.from(whole.data));
      });
    };
    for (const length of [0, 1, 2047, 2048, 2049, 50_000]) {
      const a = bytes(length, length);
      const b = bytes(length + 1, length + 7);
      const first = new ChunkWriter(producer, 24, 1, a, drain);
      const second = new ChunkWriter(producer, 24, 2, b, drain);
      while (!first.done || !second.done) {
        if (!first.done) first.next(() => 5, 10);
        if (!second.done) second.next(() => 5, 10);
      }
      drain();
      assert.deepEqual(got.get(1), Buffer.from(a), `${length} bytes`);
      assert.deepEqual(got.get(2), Buffer.from(b), `${length + 7} bytes`);
      got.clear();
    }
  });

  it('without a total on the first chunk, as an older writer sent them, still come back whole', () => {
    const { producer, consumer } = ring();
    const data = bytes(3, 9000);
    const b = new Builder(4096);
    for (let at = 0; at < data.length; at += 1000) {
      b.clear();
      const last = at + 1000 >= data.length;
      b.finish(Chunk.createChunk(b, 4, last, byteVector(b, data.subarray(at, at + 1000)), last ? 77 : 0, last ? 88 : 0, 0));
      assert.ok(producer.write(24, b.asUint8Array()));
    }
    producer.publish();
    const assembler = new ChunkAssembler();
    let whole: ReturnType<ChunkAssembler['add']> = null;
    consumer.poll((_type, offset) => {
      whole = assembler.add(consumer.bytes, offset) ?? whole;
    });
    assert.deepEqual(whole, { id: 4, data: Buffer.from(data), heldUs: 77, stateBytes: 88 });
  });

  it('writeChunks waits for room and carries the state size on the last chunk', () => {
    const { producer, consumer } = ring();
    const data = bytes(5, 40_000);
    const assembler = new ChunkAssembler();
    let whole: ReturnType<ChunkAssembler['add']> = null;
    // The first chunk says the total, so the reader puts them together in one buffer.
    const totals: number[] = [];
    const drain = (): void => {
      producer.publish();
      consumer.poll((_type, offset) => {
        const bb = new ByteBuffer(consumer.bytes);
        bb.setPosition(offset);
        totals.push(Chunk.getRootAsChunk(bb).total());
        whole = assembler.add(consumer.bytes, offset) ?? whole;
      });
    };
    writeChunks(producer, 24, 9, data, drain, 123);
    drain();
    assert.ok(whole !== null);
    const got = whole as NonNullable<ReturnType<ChunkAssembler['add']>>;
    assert.deepEqual([got.id, Buffer.from(got.data), got.stateBytes], [9, Buffer.from(data), 123]);
    assert.ok(totals.length > 2, `${totals.length} chunks`);
    assert.deepEqual(totals, [data.length, ...totals.slice(1).map(() => 0)]);
  });
});
