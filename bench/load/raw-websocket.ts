// The least WebSocket client a load generator needs, over a raw TCP socket:
// the upgrade, masked client frames and a reader of the server's frames. A
// `ws` client spends about a microsecond per message in its own machinery;
// on a shared 2-core machine that is time taken from the server being
// measured, so the counting and probing clients do the framing themselves.
//
// Server frames (RFC 6455 §5.2; a server never masks):
//
//   byte 0      byte 1          then                        then
//   FIN|opcode  len7 (0-125)    -                           payload
//               126             16-bit length (2 bytes)     payload
//               127             64-bit length (8 bytes)     payload

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const OPCODE_TEXT = 0x1;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/**
 * A masking key of zeros leaves the payload as it is, so a frame is its
 * header and the payload's bytes with no XOR pass. The key exists to stop
 * proxies caching forged requests, which loopback benchmarks do not meet;
 * every server unmasks either way.
 */
export const ZERO_MASK: Uint8Array = new Uint8Array(4);

function header(opcode: number, length: number, mask: Uint8Array): Buffer {
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + lengthBytes + 4);
  out[0] = 0x80 | opcode;
  if (lengthBytes === 0) {
    out[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  out.set(mask, 2 + lengthBytes);
  return out;
}

/** A masked client frame (FIN set) of any length; the random key by default, as clients are asked to use. */
export function clientFrame(payload: string | Buffer, mask: Uint8Array = randomBytes(4), opcode = OPCODE_TEXT): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = header(opcode, body.length, mask);
  const out = Buffer.allocUnsafe(head.length + body.length);
  head.copy(out, 0);
  if (mask.every((b) => b === 0)) {
    body.copy(out, head.length);
  } else {
    for (let i = 0; i < body.length; i++) out[head.length + i] = (body[i] as number) ^ (mask[i & 3] as number);
  }
  return out;
}

/**
 * A text frame of an ASCII string under ZERO_MASK, written straight into
 * one buffer: the probe's publisher sends one per wake-up, of up to
 * thousands of lines.
 */
export function asciiFrame(text: string): Buffer {
  const head = header(OPCODE_TEXT, text.length, ZERO_MASK);
  const out = Buffer.allocUnsafe(head.length + text.length);
  head.copy(out, 0);
  out.write(text, head.length, 'latin1');
  return out;
}

/** Bytes of the frame header at data[at], or 0 when it is not all there yet. */
export function frameHeaderBytes(data: Buffer, at: number): number {
  if (data.length - at < 2) return 0;
  const len7 = (data[at + 1] as number) & 0x7f;
  const bytes = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  return data.length - at < bytes ? 0 : bytes;
}

/** Payload length of the frame whose (complete) header is at data[at]. */
export function framePayloadLength(data: Buffer, at: number): number {
  const len7 = (data[at + 1] as number) & 0x7f;
  return len7 === 126 ? data.readUInt16BE(at + 2) : len7 === 127 ? Number(data.readBigUInt64BE(at + 2)) : len7;
}

/** Called once per whole frame with its payload at bytes[start, end); the bytes are only valid during the call. */
export type FrameHandler = (opcode: number, bytes: Buffer, start: number, end: number) => void;

/** Cuts the server's byte stream into frames, carrying a frame split across chunks over to the next. */
export class FrameReader {
  private partial: Buffer | null = null;

  constructor(private readonly onFrame: FrameHandler) {}

  feed(chunk: Buffer): void {
    const data = this.partial === null ? chunk : Buffer.concat([this.partial, chunk]);
    this.partial = null;
    let at = 0;
    while (at < data.length) {
      const head = frameHeaderBytes(data, at);
      if (head === 0) break;
      const end = at + head + framePayloadLength(data, at);
      if (end > data.length) break;
      this.onFrame((data[at] as number) & 0x0f, data, at + head, end);
      at = end;
    }
    if (at < data.length) this.partial = Buffer.from(data.subarray(at));
  }
}

/**
 * Connects, performs the upgrade on url's path and resolves with the socket
 * once the server has answered 101; every byte after the answer goes to
 * onData. Rejects on a refused upgrade or a socket error before it.
 */
export function upgrade(url: URL, onData: (chunk: Buffer) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    // Kept after the upgrade: an error then (a reset at teardown) is the owner's to notice, never an uncaught exception.
    socket.on('error', reject);
    let head = '';
    const onHead = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`upgrade of ${url.pathname} refused: ${head.split('\r\n')[0] ?? ''}`));
        return;
      }
      socket.on('data', onData);
      resolve(socket);
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length > 0) onData(rest);
    };
    socket.on('data', onHead);
    socket.once('connect', () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  });
}
