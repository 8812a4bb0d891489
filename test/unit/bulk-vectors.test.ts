// Vectors of doubles and of bytes copied into the builder in one go are the
// same bytes as the generated code's element-by-element vectors, whatever the
// builder held before them, however often the builder grows, and for views
// into larger arrays.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder, ByteBuffer } from 'flatbuffers';
import { byteVector, doubleVector } from '../../src/fb/bulk-vectors';
import { Chunk } from '../../src/fb/generated/tickflow/ring/chunk';
import { Series } from '../../src/fb/generated/tickflow/ring/series';
import { seededRandom } from '../fixtures/seeded-random';

/** A Series table with three vectors, each made by `vector`, after an odd-sized string to upset alignment. */
function build(columns: readonly Float64Array[], vector: (b: Builder, values: Float64Array) => number, initial: number): Uint8Array {
  const b = new Builder(initial);
  b.createString('odd');
  const offsets = columns.map((c) => vector(b, c));
  b.finish(Series.createSeries(b, offsets[0] as number, offsets[1] as number, offsets[2] as number, true, 3, 7));
  return b.asUint8Array();
}

describe('double vectors', () => {
  it('are the bytes the generated code writes, for every length, alignment and growth of the builder', () => {
    const random = seededRandom(11);
    for (const length of [0, 1, 2, 3, 7, 64, 1000, 40_000]) {
      for (const initial of [1, 64, 1 << 20]) {
        const backing = new Float64Array(length + 3);
        for (let i = 0; i < backing.length; i++) backing[i] = (random() - 0.5) * 10 ** Math.floor(random() * 30 - 10);
        backing[1] = -0;
        backing[2] = NaN;
        // Views that start inside a larger array, as a series' columns are.
        const columns = [backing.subarray(1, 1 + length), backing.subarray(2, 2 + length), backing.subarray(3, 3 + length)];
        const generated = build(columns, (b, values) => Series.createTimestampsVector(b, values), initial);
        const copied = build(columns, doubleVector, initial);
        assert.deepEqual(Buffer.from(copied), Buffer.from(generated), `length ${length}, builder of ${initial} bytes`);
      }
    }
  });

  it('takes plain arrays too, element by element', () => {
    const values = [1.5, -2, 3e300];
    const b = new Builder(8);
    const offset = doubleVector(b, values);
    b.finish(Series.createSeries(b, offset, 0, 0, false, 0, 0));
    const read = Series.getRootAsSeries(new ByteBuffer(b.asUint8Array()));
    assert.deepEqual(Array.from(read.timestampsArray() ?? []), values);
  });

  it('of bytes are the bytes the generated code writes, for every length, alignment and growth of the builder', () => {
    const random = seededRandom(12);
    for (const length of [0, 1, 3, 8, 1000, 300_000]) {
      for (const initial of [1, 64, 1 << 20]) {
        const backing = Uint8Array.from({ length: length + 5 }, () => Math.floor(random() * 256));
        const piece = backing.subarray(5);
        const make = (vector: (b: Builder, bytes: Uint8Array) => number): Buffer => {
          const b = new Builder(initial);
          b.createString('odd');
          b.finish(Chunk.createChunk(b, 7, true, vector(b, piece), 9, 1.5, length));
          return Buffer.from(b.asUint8Array());
        };
        assert.deepEqual(
          make(byteVector),
          make((b, bytes) => Chunk.createDataVector(b, bytes)),
          `length ${length}, builder of ${initial} bytes`,
        );
      }
    }
  });
});
