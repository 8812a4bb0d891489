// Picks the decoder for an input: by --format, else by file extension, else by
// sniffing the first bytes.

import { extname } from 'node:path';
import type { InputFormat } from '../records/records';
import { CsvDecoder } from './csv-decoder';
import type { DecodedSink, TickDecoder } from './decoded-sink';
import { FlatBuffersDecoder, looksLikeTickBatch } from './flatbuffers-decoder';
import { NdjsonDecoder } from './ndjson-decoder';

export type { InputFormat };

export function formatFromName(path: string): InputFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.fb' || ext === '.bin') return 'fb';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  return undefined;
}

export function sniffFormat(head: Uint8Array): InputFormat {
  if (looksLikeTickBatch(head)) return 'fb';
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 4096))
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const first = text.trimStart();
  if (first.startsWith('{') || first.startsWith('[')) return 'ndjson';
  const line = first.split('\n', 1)[0] ?? '';
  return line.includes(',') && /\bsymbol\b/.test(line) ? 'csv' : 'ndjson';
}

export function createDecoder(format: InputFormat, sink: DecodedSink): TickDecoder {
  if (format === 'csv') return new CsvDecoder(sink);
  if (format === 'fb') return new FlatBuffersDecoder(sink);
  return new NdjsonDecoder(sink);
}
