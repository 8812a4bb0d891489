// Fan-out subscribers that only count: raw TCP connections that perform the
// WebSocket upgrade, send one subscribe frame, then count the server's frames
// by their headers without decoding a payload. A `ws` client spends about a
// microsecond per message, which would measure the client rather than the
// server at millions of messages per second.
//
// Same parent protocol and report as subscribers.ts (histograms empty).

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { encodeHistogram, initHdr, newHistogram } from '../hdr';
import type { SubscriberPlan, SubscriberReport } from './subscribers';

/** A masked client text frame. */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return Buffer.concat([header, mask, body]);
}

class FrameCounter {
  frames = 0;
  /** Bytes of the current frame's payload still to skip. */
  private skip = 0;
  /** A header split across chunks. */
  private partial: Buffer | null = null;

  feed(chunk: Buffer): void {
    const data = this.partial === null ? chunk : Buffer.concat([this.partial, chunk]);
    this.partial = null;
    let at = 0;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      at = n;
    }
    while (at < data.length) {
      if (data.length - at < 2) break;
      const len7 = (data[at + 1] as number) & 0x7f;
      const headerBytes = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      if (data.length - at < headerBytes) break;
      const length = len7 === 126 ? data.readUInt16BE(at + 2) : len7 === 127 ? Number(data.readBigUInt64BE(at + 2)) : len7;
      this.frames++;
      const end = at + headerBytes + length;
      if (end > data.length) {
        this.skip = end - data.length;
        at = data.length;
        break;
      }
      at = end;
    }
    if (at < data.length) this.partial = Buffer.from(data.subarray(at));
  }
}

function open(url: URL, channels: readonly string[], counter: FrameCounter): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    socket.once('error', reject);
    let head = '';
    const onHead = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.startsWith('HTTP/1.1 101')) {
        reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return;
      }
      socket.off('data', onHead);
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      socket.on('data', (data: Buffer) => counter.feed(data));
      if (rest.length > 0) counter.feed(rest);
      socket.write(clientFrame(JSON.stringify({ op: 'subscribe', channels })));
      resolve(socket);
    };
    socket.on('data', onHead);
    socket.once('connect', () => {
      socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
  });
}

async function run(plan: SubscriberPlan): Promise<void> {
  await initHdr();
  const url = new URL(plan.url);
  const counters: FrameCounter[] = [];
  const sockets: Socket[] = [];
  for (const channels of plan.connections) {
    const counter = new FrameCounter();
    counters.push(counter);
    sockets.push(await open(url, channels, counter));
  }
  // Every connection's first frame is its subscribe reply.
  const deadline = Date.now() + 10_000;
  while (counters.some((c) => c.frames < 1) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  if (counters.some((c) => c.frames < 1)) throw new Error('not every connection got its subscribe reply');
  const start = BigInt(plan.start);
  const total = (): number => counters.reduce((sum, c) => sum + c.frames, 0) - counters.length;
  let firstNs = 0;
  let lastNs = 0;
  let lastTotal = 0;
  // Delivery window: from the first counted frame to the last, sampled every 10 ms.
  const sampler = setInterval(() => {
    const n = total();
    if (n === lastTotal) return;
    const now = Number(process.hrtime.bigint() - start);
    if (lastTotal === 0) firstNs = now;
    lastNs = now;
    lastTotal = n;
  }, 10);
  process.send?.({ ready: true });
  process.once('message', () => {
    clearInterval(sampler);
    for (const socket of sockets) socket.destroy();
    const empty = newHistogram();
    const report: SubscriberReport = { received: total(), specific: encodeHistogram(empty), wildcard: encodeHistogram(empty), intervals: [], firstNs, lastNs };
    process.send?.(report, () => process.exit(0));
  });
}

process.once('message', (plan: SubscriberPlan) => {
  run(plan).catch((err: unknown) => {
    process.send?.({ error: (err as Error).message }, () => process.exit(1));
  });
});
process.on('disconnect', () => process.exit(0));
