// The two control records an operator or a publisher can cause, both ways
// across the ring: a flush of some or all symbols (FlushRequest) and a
// watermark reset (WatermarkReset, answered by WatermarkResetDone), from
// fbs/ring.fbs. One encoder and one decoder for each, used by both sides.

import { Builder, ByteBuffer } from 'flatbuffers';
import type { WatermarkResetResult } from '../analytics/partition-engine';
import { FlushRequest } from '../fb/generated/tickflow/ring/flush-request';
import { WatermarkReset } from '../fb/generated/tickflow/ring/watermark-reset';
import { WatermarkResetDone } from '../fb/generated/tickflow/ring/watermark-reset-done';

/** Room for a FlushRequest table around its id vector. */
const FLUSH_OVERHEAD = 64;

/**
 * The FlushRequest records that flush these symbol ids (null: every symbol)
 * in one partition, each at most `maxPayload` bytes; only the last asks for
 * the FLUSHED report.
 */
export function encodeFlush(ids: readonly number[] | null, maxPayload: number): Uint8Array[] {
  const perRecord = Math.max(1, Math.floor((maxPayload - FLUSH_OVERHEAD) / 4));
  const list = ids ?? [];
  const records: Uint8Array[] = [];
  let at = 0;
  do {
    const piece = list.slice(at, at + perRecord);
    at += piece.length;
    const b = new Builder(FLUSH_OVERHEAD + 4 * piece.length);
    b.forceDefaults(true);
    b.finish(FlushRequest.createFlushRequest(b, ids === null, at >= list.length, FlushRequest.createSymbolIdsVector(b, piece)));
    records.push(b.asUint8Array().slice());
  } while (at < list.length);
  return records;
}

export interface FlushOrder {
  /** Every symbol of the partition. */
  readonly all: boolean;
  /** Answer FLUSHED after this one. */
  readonly report: boolean;
  readonly ids: number[];
}

export function decodeFlush(bytes: Uint8Array, offset: number): FlushOrder {
  const bb = new ByteBuffer(bytes);
  bb.setPosition(offset);
  const request = FlushRequest.getRootAsFlushRequest(bb);
  // Element by element: a typed-array view needs 4-byte alignment that a
  // ring record does not promise.
  const ids = Array.from({ length: request.symbolIdsLength() }, (_, i) => request.symbolIds(i) ?? 0);
  return { all: request.all(), report: request.report(), ids };
}

export interface WatermarkResetOrder {
  readonly id: number;
  readonly symbolId: number;
  /** The server's clock, ms since the epoch. */
  readonly clock: number;
}

export function encodeWatermarkReset(order: WatermarkResetOrder): Uint8Array {
  const b = new Builder(64);
  b.forceDefaults(true);
  b.finish(WatermarkReset.createWatermarkReset(b, order.id, order.symbolId, order.clock));
  return b.asUint8Array().slice();
}

export function decodeWatermarkReset(bytes: Uint8Array, offset: number): WatermarkResetOrder {
  const bb = new ByteBuffer(bytes);
  bb.setPosition(offset);
  const r = WatermarkReset.getRootAsWatermarkReset(bb);
  return { id: r.id(), symbolId: r.symbolId(), clock: r.clock() };
}

/** A worker's answer: null `result` when it does not hold the symbol. */
export interface WatermarkResetAnswer {
  readonly id: number;
  readonly symbolId: number;
  readonly result: WatermarkResetResult | null;
}

export function encodeWatermarkResetDone(answer: WatermarkResetAnswer): Uint8Array {
  const r = answer.result;
  const b = new Builder(128);
  b.forceDefaults(true);
  b.finish(
    WatermarkResetDone.createWatermarkResetDone(
      b,
      answer.id,
      answer.symbolId,
      r !== null,
      r?.watermarkBefore ?? 0,
      r?.watermarkAfter ?? 0,
      r?.barsDiscarded ?? 0,
      r?.panesDiscarded ?? 0,
      r?.tradesDiscarded ?? 0,
      r?.quotesDiscarded ?? 0,
    ),
  );
  return b.asUint8Array().slice();
}

export function decodeWatermarkResetDone(bytes: Uint8Array, offset: number): WatermarkResetAnswer {
  const bb = new ByteBuffer(bytes);
  bb.setPosition(offset);
  const d = WatermarkResetDone.getRootAsWatermarkResetDone(bb);
  const result: WatermarkResetResult | null = d.found()
    ? {
        watermarkBefore: d.watermarkBefore(),
        watermarkAfter: d.watermarkAfter(),
        barsDiscarded: d.barsDiscarded(),
        panesDiscarded: d.panesDiscarded(),
        tradesDiscarded: d.tradesDiscarded(),
        quotesDiscarded: d.quotesDiscarded(),
      }
    : null;
  return { id: d.id(), symbolId: d.symbolId(), result };
}
