// Fan-out subscribers that only count: raw TCP connections that perform the
// WebSocket upgrade, send one subscribe frame, then count the server's frames
// by their headers without decoding a payload. A `ws` client spends about a
// microsecond per message, which would measure the client rather than the
// server at millions of messages per second.
//
// Same parent protocol and report as subscribers.ts (histograms empty).

import type { Socket } from 'node:net';
import { encodeHistogram, initHdr, newHistogram } from '../hdr';
import { clientFrame, frameHeaderBytes, framePayloadLength, upgrade } from './raw-websocket';
import type { SubscriberPlan, SubscriberReport } from './subscribers';

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
      const headerBytes = frameHeaderBytes(data, at);
      if (headerBytes === 0) break;
      this.frames++;
      const end = at + headerBytes + framePayloadLength(data, at);
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

async function open(url: URL, channels: readonly string[], counter: FrameCounter): Promise<Socket> {
  const socket = await upgrade(url, (data) => counter.feed(data));
  socket.write(clientFrame(JSON.stringify({ op: 'subscribe', channels })));
  return socket;
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
    const report: SubscriberReport = {
      received: total(),
      specific: encodeHistogram(empty),
      wildcard: encodeHistogram(empty),
      intervals: [],
      firstNs,
      lastNs,
    };
    process.send?.(report, () => process.exit(0));
  });
}

process.once('message', (plan: SubscriberPlan) => {
  run(plan).catch((err: unknown) => {
    process.send?.({ error: (err as Error).message }, () => process.exit(1));
  });
});
process.on('disconnect', () => process.exit(0));
