// What the input decoders (NDJSON, CSV, FlatBuffers) hand on: each record is
// either a valid tick or a rejection, never neither.

import type { Rejection } from '../records/rejection';
import type { ValidTick } from './tick-validator';

export interface DecodedSink {
  /** A valid tick; `tick` is reused for the next record. `line` is 1-based. */
  tick(tick: ValidTick, line: number): void;
  /**
   * A record that failed validation, with the input text when it was text
   * (`raw`) or the fields that could be read when it was binary (`fields`).
   */
  reject(rejection: Rejection, line: number, raw: string | null, fields: Record<string, unknown> | null): void;
}

export interface TickDecoder {
  /** Decodes what `chunk` completes; partial records wait for the next chunk. */
  push(chunk: Uint8Array): void;
  /** End of input: decodes what is left. */
  end(): void;
  /** Bytes pushed but not yet decoded (a partial last line or batch). */
  pendingBytes(): number;
  /** Lines (text) or ticks (FlatBuffers) decoded so far: the number of the last one. */
  recordsRead(): number;
  /**
   * Resuming mid-file after `records` lines or ticks: number from there on.
   * (A CSV decoder still needs the header row pushed first.)
   */
  resumeAt(records: number): void;
}
