// Blocking file I/O for `replay` and `gen`, which run their hot loop on the
// main thread without returning to the event loop. Pipes may be non-blocking
// (EAGAIN): we sleep a millisecond and retry rather than spin or fail.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';

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

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset, data.length - offset);
    } catch (err) {
      if (isAgain(err)) sleepMs(1);
      else throw err;
    }
  }
}

/** Line-oriented output, written in blocks of about 64 KiB. */
export class SyncWriter {
  private parts: string[] = [];
  private size = 0;
  lines = 0;

  constructor(
    private readonly fd: number,
    private readonly blockBytes = 64 * 1024,
  ) {}

  line(text: string): void {
    this.parts.push(text);
    this.size += text.length + 1;
    this.lines++;
    if (this.size >= this.blockBytes) this.flush();
  }

  /** Raw bytes (binary formats); flushes pending lines first. */
  bytes(data: Uint8Array): void {
    this.flush();
    writeAll(this.fd, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.parts.push('');
    writeAll(this.fd, Buffer.from(this.parts.join('\n'), 'utf8'));
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeFd(this.fd);
  }
}

export { sleepMs };
