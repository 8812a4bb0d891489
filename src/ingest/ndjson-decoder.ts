// NDJSON input: one JSON object per line. Blank lines are skipped (they are
// not records); anything else is a tick or a dead letter.

import type { DecodedSink, TickDecoder } from './decoded-sink';
import { LineSplitter } from './line-splitter';
import { Rejection } from './rejection';
import { ScannedTick, scanTick } from './tick-scanner';
import { ValidTick, validateTick } from './tick-validator';

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

export class NdjsonDecoder implements TickDecoder {
  private readonly tick = new ValidTick();
  private readonly scanned = new ScannedTick();
  private readonly lines: LineSplitter;

  constructor(private readonly sink: DecodedSink, maxLineBytes?: number) {
    this.lines = new LineSplitter(
      (bytes, start, end, line) => this.onLine(bytes as Buffer, start, end, line),
      (line, prefix) => sink.reject(new Rejection('unparsable', '', `line is longer than the ${maxLineBytes ?? 1 << 20}-byte limit`), line, prefix, null),
      maxLineBytes,
    );
  }

  push(chunk: Uint8Array): void {
    this.lines.push(chunk);
  }

  end(): void {
    this.lines.end();
  }

  pendingBytes(): number {
    return this.lines.pendingBytes;
  }

  recordsRead(): number {
    return this.lines.lines;
  }

  resumeAt(records: number): void {
    this.lines.startAtLine(records);
  }

  /** Decodes one line of text (an /ingest frame may carry several). */
  decodeLine(text: string, line: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.sink.reject(new Rejection('unparsable', '', `not valid JSON: ${(err as Error).message}`), line, text, null);
      return;
    }
    const rejection = validateTick(value, this.tick);
    if (rejection === null) this.sink.tick(this.tick, line);
    else this.sink.reject(rejection, line, text, null);
  }

  private onLine(bytes: Buffer, start: number, end: number, line: number): void {
    if (isBlank(bytes, start, end)) return;
    if (!scanTick(bytes, start, end, this.scanned)) {
      this.decodeLine(bytes.toString('utf8', start, end), line);
      return;
    }
    const rejection = validateTick(this.scanned, this.tick);
    if (rejection === null) this.sink.tick(this.tick, line);
    else this.sink.reject(rejection, line, bytes.toString('utf8', start, end), null);
  }
}
