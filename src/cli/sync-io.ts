// Blocking file I/O for `replay` and `gen`, which run their hot loop on the
// main thread without returning to the event loop. Pipes may be non-blocking
// (EAGAIN): we sleep a millisecond and retry rather than spin or fail.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { JsonBytes } from '../records/json-bytes';

const LF = 0x0a;

const pause = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

function isAgain(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'EAGAIN';
}

export function openInput(path: string): number {
  return path === '-' ? 0 : openSync(path, 'r');
}

export function openOutput(path: string): number {
  return path === '-' ? 1 : openSync(path, 'w');
}

export function closeFd(fd: number): void {
  if (fd > 2) closeSync(fd);
}

/** Reads up to buffer.length bytes; 0 at end of input. */
export function readChunk(fd: number, buffer: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      if (isAgain(err)) sleepMs(1);
      else if ((err as NodeJS.ErrnoException).code === 'EOF') return 0;
      else throw err;
    }
  }
}

function writeAll(fd: number, data: Uint8Array, offset: number, end: number): void {
  while (offset < end) {
    try {
      offset += writeSync(fd, data, offset, end - offset);
    } catch (err) {
      if (isAgain(err)) sleepMs(1);
      else throw err;
    }
  }
}

/**
 * Output bytes, written in blocks. Writing a block costs a system call and,
 * into a pipe, a wake-up of the reader; records are written straight into
 * the pending block (`text`, then endLine()), with no string per line.
 * Blocks of 256 KiB: docs/benchmarks.md, "Replay output".
 */
export class SyncWriter {
  /** The pending block; a record is appended here, then ended with endLine() or endRecord(). */
  readonly text: JsonBytes;
  lines = 0;

  constructor(
    private readonly fd: number,
    private readonly blockBytes = 256 * 1024,
  ) {
    // Room for a block and the record that passes its end, so it seldom grows.
    this.text = new JsonBytes(2 * blockBytes);
  }

  line(text: string): void {
    this.text.utf8(text);
    this.endLine();
  }

  /** Ends the line written into `text`; writes the block once it is full. */
  endLine(): void {
    this.text.byte(LF);
    this.endRecord();
  }

  /** Ends a record written into `text` (a binary one: no newline); writes the block once it is full. */
  endRecord(): void {
    this.lines++;
    if (this.text.length >= this.blockBytes) this.flush();
  }

  /** Raw bytes (binary formats); flushes pending lines first. */
  bytes(data: Uint8Array): void {
    this.flush();
    writeAll(this.fd, data, 0, data.byteLength);
  }

  flush(): void {
    if (this.text.length === 0) return;
    writeAll(this.fd, this.text.buffer, 0, this.text.length);
    this.text.reset();
  }

  close(): void {
    this.flush();
    closeFd(this.fd);
  }
}

export { sleepMs };
