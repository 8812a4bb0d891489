// NDJSON input: one JSON object per line. Blank lines are skipped (they are
// not records); anything else is a tick or a dead letter.

import type { DecodedSink } from './decoded-sink';
import { LineDecoder } from './line-decoder';
import { Rejection } from '../records/rejection';
import { ScannedTick, scanTick } from './tick-scanner';

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

export class NdjsonDecoder extends LineDecoder {
  private readonly scanned = new ScannedTick();

  constructor(sink: DecodedSink, maxLineBytes?: number) {
    super(sink, 'line', maxLineBytes);
  }

  protected onLine(bytes: Buffer, start: number, end: number, line: number): void {
    if (isBlank(bytes, start, end)) return;
    // A line with an "op" key goes to the general parser: where input has
    // control lines (/ingest), parsed() tells them from ticks.
    if (scanTick(bytes, start, end, this.scanned) && this.scanned.op === undefined) this.deliver(this.scanned, line, bytes, start, end);
    else this.parse(bytes.toString('utf8', start, end), line);
  }

  /** A line the general parser read; a tick or a dead letter here. */
  protected parsed(value: unknown, line: number, text: string): void {
    this.deliver(value, line, text, 0, 0);
  }

  private parse(text: string, line: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.sink.reject(new Rejection('unparsable', '', `not valid JSON: ${(err as Error).message}`), line, text, null);
      return;
    }
    this.parsed(value, line, text);
  }
}
