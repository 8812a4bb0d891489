// What the text decoders (NDJSON, CSV) share: a LineSplitter that numbers the
// lines and skips overlong ones as dead letters, and the last step of every
// record, validation into a tick or a rejection that carries the input text.

import type { DecodedSink, TickDecoder } from './decoded-sink';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './line-splitter';
import { Rejection } from '../records/rejection';
import { ValidTick, validateTick } from './tick-validator';

export abstract class LineDecoder implements TickDecoder {
  private readonly tick = new ValidTick();
  private readonly lines: LineSplitter;

  /** `unit` names a line in messages: "line" for NDJSON, "row" for CSV. */
  constructor(
    protected readonly sink: DecodedSink,
    unit: string,
    maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.lines = new LineSplitter(
      (bytes, start, end, line) => this.onLine(bytes as Buffer, start, end, line),
      (line, prefix) =>
        sink.reject(new Rejection('unparsable', '', `${unit} is longer than the ${maxLineBytes}-byte limit`), line, prefix, null),
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

  /** One line without its terminator: bytes[start, end), numbered from 1. */
  protected abstract onLine(bytes: Buffer, start: number, end: number, line: number): void;

  /**
   * Validates the fields read from a line. A rejection carries the line's
   * text: `raw` itself, or bytes[start, end) of it, decoded only then.
   */
  protected deliver(fields: unknown, line: number, raw: string | Buffer, start: number, end: number): void {
    const rejection = validateTick(fields, this.tick);
    if (rejection === null) this.sink.tick(this.tick, line);
    else this.sink.reject(rejection, line, typeof raw === 'string' ? raw : raw.toString('utf8', start, end), null);
  }
}
