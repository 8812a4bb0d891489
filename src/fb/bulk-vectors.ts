// FlatBuffers vectors of doubles and of bytes copied into the builder in one
// go. The generated create*Vector() adds elements one by one (a prep and a
// write each); a checkpoint's trailing series are millions of doubles, and
// its chunks millions of bytes, and those loops were most of the engine's
// pause per checkpoint (docs/durability.md, "Costs"). The bytes are the same:
// test/unit/bulk-vectors.test.ts compares them with the generated code's.
//
// It reaches into the builder's write position (`space`), which the
// flatbuffers package keeps private in its typings but has used unchanged
// for years; the test above fails if that ever changes. FlatBuffers are
// little-endian, as Float64Array is on every platform this project supports;
// on another, doubles take the generated path.

import { endianness } from 'node:os';
import type { Builder, ByteBuffer } from 'flatbuffers';

const LITTLE_ENDIAN = endianness() === 'LE';

/** The builder's internals this file touches. */
interface BuilderInternals {
  space: number;
  bb: ByteBuffer;
}

/** Copies `bytes` in front of what the builder holds, in the room startVector() made for them. */
function place(b: Builder, bytes: Uint8Array): void {
  const raw = b as unknown as BuilderInternals;
  // startVector may have grown the buffer, so `bb` is read after it.
  const at = raw.space - bytes.length;
  raw.bb.bytes().set(bytes, at);
  raw.space = at;
}

/** Writes `values` as a vector of doubles and returns its offset, as Table.createXVector(b, values) would. */
export function doubleVector(b: Builder, values: Float64Array | readonly number[]): number {
  const n = values.length;
  b.startVector(8, n, 8);
  if (LITTLE_ENDIAN && values instanceof Float64Array) place(b, new Uint8Array(values.buffer, values.byteOffset, 8 * n));
  else for (let i = n - 1; i >= 0; i--) b.addFloat64(values[i] as number);
  return b.endVector();
}

/** Writes `bytes` as a vector of ubytes and returns its offset, as Table.createXVector(b, bytes) would. */
export function byteVector(b: Builder, bytes: Uint8Array): number {
  b.startVector(1, bytes.length, 1);
  place(b, bytes);
  return b.endVector();
}
