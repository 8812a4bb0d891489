// Checkpoints are bigger than a ring record may be (an eighth of the ring),
// so they cross as numbered Chunk records (fbs/checkpoint.fbs) and are put
// back together on the other side.

import { Builder, ByteBuffer } from 'flatbuffers';
import { CheckpointRequest } from '../fb/generated/tickflow/ring/checkpoint-request';
import { Chunk } from '../fb/generated/tickflow/ring/chunk';
import { byteVector } from '../fb/bulk-vectors';
import type { RingProducer } from '../ring/ring-producer';

/** Room for the Chunk table around its data. */
const CHUNK_OVERHEAD = 64;

/**
 * Writes `data` as Chunk records of `type` in one go, waiting for room as
 * needed (blocking), `stateBytes` on the last chunk: restores, which the
 * partition takes whole. Checkpoints go out a slice at a time (ChunkWriter).
 */
export function writeChunks(
  ring: RingProducer,
  type: number,
  id: number,
  data: Uint8Array,
  waitForSpace: () => void,
  stateBytes = data.length,
): void {
  const writer = new ChunkWriter(ring, type, id, data, waitForSpace);
  while (!writer.done) writer.next(() => 0, stateBytes);
}

/** Writes `data` as Chunk records one at a time, so that a partition may do other work between them. */
export class ChunkWriter {
  private at = 0;
  private readonly size: number;
  private readonly b: Builder;
  private written = false;
  /** The chunk built but not yet written (the ring had no room). */
  private payload: Uint8Array | null = null;

  constructor(
    private readonly ring: RingProducer,
    private readonly type: number,
    private readonly id: number,
    private readonly data: Uint8Array,
    private readonly waitForSpace: () => void,
  ) {
    this.size = Math.max(1, ring.maxPayload - CHUNK_OVERHEAD);
    this.b = new Builder(Math.min(data.length, this.size) + CHUNK_OVERHEAD);
  }

  get done(): boolean {
    return this.payload === null && this.written && this.at >= this.data.length;
  }

  /**
   * Writes the next chunk; the last carries `heldUs()` (microseconds the
   * partition was held) and `stateBytes`. While the ring has no room it
   * waits, or with `wait` false returns false, to be called again later.
   */
  next(heldUs: () => number, stateBytes: number, wait = true): boolean {
    if (this.payload === null) {
      const { b, data } = this;
      const piece = data.subarray(this.at, this.at + this.size);
      this.at += piece.length;
      this.written = true;
      const last = this.at >= data.length;
      b.clear();
      const total = piece.byteOffset === data.byteOffset ? data.length : 0;
      b.finish(
        Chunk.createChunk(b, this.id, last, byteVector(b, piece), last ? Math.min(0xffffffff, heldUs()) : 0, last ? stateBytes : 0, total),
      );
      this.payload = b.asUint8Array();
    }
    while (!this.ring.write(this.type, this.payload)) {
      if (!wait) return false;
      this.waitForSpace();
    }
    this.payload = null;
    return true;
  }
}

/**
 * Collects Chunk records by id until the last one arrives, copying each
 * into one buffer of the size the first says (a checkpoint of megabytes
 * was copied twice, piece by piece and then whole, on the event loop).
 */
export class ChunkAssembler {
  private readonly parts = new Map<number, { readonly whole: Uint8Array | null; at: number; readonly pieces: Uint8Array[] }>();
  private readonly view = new Chunk();

  /** Adds a chunk; returns the whole data (and how long its maker was held) when it was the last, else null. */
  add(bytes: Uint8Array, offset: number): { id: number; data: Uint8Array; heldUs: number; stateBytes: number } | null {
    const bb = new ByteBuffer(bytes);
    bb.setPosition(offset);
    const chunk = Chunk.getRootAsChunk(bb, this.view);
    const id = chunk.id();
    const data = chunk.dataArray() ?? new Uint8Array(0);
    let entry = this.parts.get(id);
    if (entry === undefined) {
      const total = chunk.total();
      entry = { whole: total > 0 ? Buffer.allocUnsafeSlow(total) : null, at: 0, pieces: [] };
      this.parts.set(id, entry);
    }
    if (entry.whole !== null) entry.whole.set(data, entry.at);
    else entry.pieces.push(data.slice());
    entry.at += data.length;
    if (!chunk.last()) return null;
    this.parts.delete(id);
    const { whole, pieces } = entry;
    return {
      id,
      data: whole !== null ? whole.subarray(0, entry.at) : pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces),
      heldUs: chunk.heldUs(),
      stateBytes: chunk.stateBytes(),
    };
  }
}

/** `rotation` 0: everything whole; otherwise incremental, each symbol's series whole once in `rotation` checkpoints. */
export function encodeCheckpointRequest(id: number, symbols: readonly string[] | null, rotation = 0): Uint8Array {
  const b = new Builder(256);
  b.forceDefaults(true);
  const names = CheckpointRequest.createSymbolsVector(
    b,
    (symbols ?? []).map((s) => b.createString(s)),
  );
  CheckpointRequest.startCheckpointRequest(b);
  CheckpointRequest.addId(b, id);
  CheckpointRequest.addAll(b, symbols === null);
  CheckpointRequest.addSymbols(b, names);
  CheckpointRequest.addRotation(b, rotation);
  b.finish(CheckpointRequest.endCheckpointRequest(b));
  return b.asUint8Array().slice();
}

export function decodeCheckpointRequest(bytes: Uint8Array, offset: number): { id: number; symbols: string[] | null; rotation: number } {
  const bb = new ByteBuffer(bytes);
  bb.setPosition(offset);
  const request = CheckpointRequest.getRootAsCheckpointRequest(bb);
  const symbols = request.all() ? null : Array.from({ length: request.symbolsLength() }, (_, i) => request.symbols(i) ?? '');
  return { id: request.id(), symbols, rotation: request.rotation() };
}
