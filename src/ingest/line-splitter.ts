// Splits a byte stream into lines (LF or CRLF) across chunk boundaries, in
// bounded memory: a line longer than `maxLineBytes` is reported once as
// overlong and skipped up to its end rather than buffered.

export type LineHandler = (bytes: Uint8Array, start: number, end: number, line: number) => void;
export type OverlongHandler = (line: number, prefix: string) => void;

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private carry: Buffer | null = null;
  private skipping = false;
  private line = 0;

  constructor(
    private readonly onLine: LineHandler,
    private readonly onOverlong: OverlongHandler,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  push(input: Uint8Array): void {
    const chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    let pos = 0;
    if (this.carry !== null || this.skipping) {
      const nl = chunk.indexOf(LF);
      const upTo = nl === -1 ? chunk.length : nl;
      if (!this.skipping) {
        const joined = Buffer.concat([this.carry as Buffer, chunk.subarray(0, upTo)]);
        if (nl === -1) {
          this.keep(joined);
          return;
        }
        this.carry = null;
        this.emit(joined, 0, joined.length);
      } else if (nl === -1) {
        return;
      } else {
        this.skipping = false;
      }
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) break;
      this.emit(chunk, pos, nl);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.keep(Buffer.from(chunk.subarray(pos)));
  }

  /** Bytes of a partial line held for the next chunk. */
  get pendingBytes(): number {
    return this.carry?.length ?? 0;
  }

  /** Lines emitted (or skipped as overlong) so far. */
  get lines(): number {
    return this.line;
  }

  /** Continues numbering from a line (after resuming mid-file). */
  startAtLine(line: number): void {
    this.line = line;
  }

  end(): void {
    if (this.carry !== null) {
      const rest = this.carry;
      this.carry = null;
      this.emit(rest, 0, rest.length);
    }
    this.skipping = false;
  }

  private keep(partial: Buffer): void {
    if (partial.length > this.maxLineBytes) {
      this.line++;
      this.onOverlong(this.line, partial.toString('utf8', 0, 200));
      this.carry = null;
      this.skipping = true;
      return;
    }
    this.carry = partial;
  }

  private emit(bytes: Buffer, start: number, end: number): void {
    this.line++;
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) {
      this.onOverlong(this.line, bytes.toString('utf8', start, start + 200));
      return;
    }
    this.onLine(bytes, start, end, this.line);
  }
}
