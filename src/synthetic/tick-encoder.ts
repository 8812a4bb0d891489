// The three output encodings of `tickflow gen` behind one interface.

import { CsvEncoder } from './csv-encoder';
import { FlatBuffersEncoder } from './flatbuffers-encoder';
import { type Flaw, SCHEMA_FLAWS, TEXT_FLAWS } from './flaw';
import type { GenTick } from './gen-tick';
import { NdjsonEncoder } from './ndjson-encoder';

export type GenFormat = 'ndjson' | 'csv' | 'fb';

/** Where encoded records go; SyncWriter is one. */
export interface EncoderOutput {
  /** One line of text, without its newline. */
  line(text: string): void;
  /** Binary data, valid only for the duration of the call. */
  bytes(data: Uint8Array): void;
}

export interface TickEncoder {
  write(tick: GenTick): void;
  /** Hands on what is buffered (a partial FlatBuffers batch); text is written as it comes. */
  flush(): void;
}

export function createEncoder(format: GenFormat, out: EncoderOutput): TickEncoder {
  if (format === 'csv') return new CsvEncoder(out);
  if (format === 'fb') return new FlatBuffersEncoder(out);
  return new NdjsonEncoder(out);
}

/** The malformed records a format can carry. */
export function flawsFor(format: GenFormat): readonly Flaw[] {
  return format === 'fb' ? SCHEMA_FLAWS : TEXT_FLAWS;
}
