// The output encodings of `tickflow gen`, by format, and the malformed
// records each can carry.

import type { InputFormat } from '../records/records';
import { CsvEncoder } from './csv-encoder';
import { FlatBuffersEncoder } from './flatbuffers-encoder';
import { type Flaw, SCHEMA_FLAWS, TEXT_FLAWS } from './flaw';
import { NdjsonEncoder } from './ndjson-encoder';
import type { EncoderOutput, TickEncoder } from './tick-encoder';

export function createEncoder(format: InputFormat, out: EncoderOutput): TickEncoder {
  if (format === 'csv') return new CsvEncoder(out);
  if (format === 'fb') return new FlatBuffersEncoder(out);
  return new NdjsonEncoder(out);
}

/** The malformed records a format can carry. */
export function flawsFor(format: InputFormat): readonly Flaw[] {
  return format === 'fb' ? SCHEMA_FLAWS : TEXT_FLAWS;
}
