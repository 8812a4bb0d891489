// FlatBuffers input: TickBatch buffers (fbs/tick.fbs). A file is either one
// TickBatch (identifier "TFTB" at byte 4), read whole, or a stream of
// size-prefixed TickBatches (4-byte little-endian length, then the batch,
// identifier at byte 8 of the file), read one batch at a time in bounded
// memory; `tickflow gen --format fb` writes the latter. Ticks are numbered
// from 1 across the file for dead letters.

import { ByteBuffer } from 'flatbuffers';
import { EventType } from '../fb/generated/tickflow/fb/event-type';
import { Tick } from '../fb/generated/tickflow/fb/tick';
import { InputError } from '../errors';
import type { DecodedSink, TickDecoder } from './decoded-sink';
import { FlatBuffersVerifier } from './flatbuffers-verifier';
import { Rejection } from '../records/rejection';
import { float64Field, int64Field, stringField } from '../fb/fields';
import { ScannedTick } from './tick-scanner';
import { ValidTick, validateTick } from './tick-validator';

export const TICK_BATCH_IDENTIFIER = 'TFTB';
/** Largest single batch accepted, prefixed or not. */
export const MAX_BATCH_BYTES = 256 << 20;

function identifierAt(bytes: Uint8Array, at: number): boolean {
  if (bytes.length < at + 4) return false;
  for (let i = 0; i < 4; i++) if (bytes[at + i] !== TICK_BATCH_IDENTIFIER.charCodeAt(i)) return false;
  return true;
}

/** True when `bytes` (a file's start) look like FlatBuffers tick input. */
export function looksLikeTickBatch(bytes: Uint8Array): boolean {
  return identifierAt(bytes, 4) || identifierAt(bytes, 8);
}

function int64(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

/** The fields of a Tick as a JSON-like object, in the shape validateTick reads. */
export function tickToFields(tick: Tick): Record<string, unknown> {
  const type = tick.eventType();
  return {
    symbol: tick.symbol(),
    event_type: type === null ? null : (EventType[type] ?? `EventType(${type})`),
    timestamp: int64(tick.timestamp()),
    price: tick.price(),
    volume: int64(tick.volume()),
    bid: tick.bid(),
    ask: tick.ask(),
    exchange: tick.exchange(),
    seq: int64(tick.seq()),
  };
}

/**
 * tickToFields without the object, the BigInts and the UTF-8 decoding per
 * tick: the same values (tested) into a reused holder.
 */
export function readTickFields(bb: ByteBuffer, pos: number, out: ScannedTick): ScannedTick {
  out.symbol = stringField(bb, pos, 4);
  const typeOffset = bb.__offset(pos, 6);
  if (typeOffset === 0) out.event_type = null;
  else {
    const type = bb.readInt8(pos + typeOffset);
    out.event_type = EventType[type] ?? `EventType(${type})`;
  }
  out.timestamp = int64Field(bb, pos, 8);
  out.price = float64Field(bb, pos, 10);
  out.volume = int64Field(bb, pos, 12);
  out.bid = float64Field(bb, pos, 14);
  out.ask = float64Field(bb, pos, 16);
  out.exchange = stringField(bb, pos, 18);
  out.seq = int64Field(bb, pos, 20);
  return out;
}

export class FlatBuffersDecoder implements TickDecoder {
  private readonly fields = new ScannedTick();
  private readonly tick = new ValidTick();
  private readonly view = new Tick();
  private readonly verifier = new FlatBuffersVerifier();
  private pending: Buffer = Buffer.alloc(0);
  private mode: 'unknown' | 'prefixed' | 'whole' = 'unknown';
  private index = 0;

  constructor(private readonly sink: DecodedSink) {}

  push(chunk: Uint8Array): void {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    if (this.mode === 'unknown') {
      if (this.pending.length < 12) return;
      if (identifierAt(this.pending, 8)) this.mode = 'prefixed';
      else if (identifierAt(this.pending, 4)) this.mode = 'whole';
      else throw new InputError(`not FlatBuffers tick input: no "${TICK_BATCH_IDENTIFIER}" identifier at byte 4 or 8`);
    }
    if (this.mode === 'whole') {
      if (this.pending.length > MAX_BATCH_BYTES)
        throw new InputError(`a single TickBatch larger than ${MAX_BATCH_BYTES} bytes; write size-prefixed batches instead`);
      return;
    }
    let pos = 0;
    while (this.pending.length - pos >= 4) {
      const size = this.pending.readUInt32LE(pos);
      if (size > MAX_BATCH_BYTES)
        throw new InputError(`size prefix of ${size} bytes at byte ${pos} exceeds the ${MAX_BATCH_BYTES}-byte limit`);
      if (this.pending.length - pos - 4 < size) break;
      this.decodeBatch(this.pending.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    this.pending = pos === 0 ? this.pending : Buffer.from(this.pending.subarray(pos));
  }

  end(): void {
    if (this.mode === 'whole' || (this.mode === 'unknown' && this.pending.length > 0)) {
      if (this.mode === 'unknown' && !identifierAt(this.pending, 4)) {
        throw new InputError(`not FlatBuffers tick input: no "${TICK_BATCH_IDENTIFIER}" identifier at byte 4 or 8`);
      }
      this.decodeBatch(this.pending);
    } else if (this.pending.length > 0) {
      this.sink.reject(
        new Rejection('unparsable', '', `truncated input: ${this.pending.length} bytes after the last complete batch`),
        this.index + 1,
        null,
        null,
      );
    }
    this.pending = Buffer.alloc(0);
  }

  pendingBytes(): number {
    return this.pending.length;
  }

  recordsRead(): number {
    return this.index;
  }

  /** Resuming mid-file is only possible between size-prefixed batches. */
  resumeAt(records: number): void {
    this.index = records;
    this.mode = 'prefixed';
  }

  /** Decodes one TickBatch (an /ingest binary frame, or one batch of a file). */
  decodeBatch(bytes: Uint8Array): void {
    const tables = this.verifier.tickTables(bytes);
    if (typeof tables === 'string') {
      this.sink.reject(new Rejection('unparsable', '', `malformed TickBatch: ${tables}`), this.index + 1, null, null);
      return;
    }
    const bb = new ByteBuffer(bytes);
    for (const at of tables) {
      this.index++;
      const problem = this.verifier.checkTick(at);
      if (problem !== null) {
        this.sink.reject(new Rejection('unparsable', '', `malformed Tick: ${problem}`), this.index, null, null);
        continue;
      }
      const rejection = validateTick(readTickFields(bb, at, this.fields), this.tick);
      if (rejection === null) this.sink.tick(this.tick, this.index);
      else this.sink.reject(rejection, this.index, null, tickToFields(this.view.__init(at, bb)));
    }
  }
}
