// Subscribers, a child process of the live and fan-out scenarios: many
// WebSocket connections on trade channels. For every trade delivered, the
// latency is now minus the tick's intended send time, recomputed from its
// seq (see publisher.ts); it goes into an HDR histogram per connection kind.
// Fan-out mode only counts frames.
//
// Parent protocol (IPC): receives a SubscriberPlan; sends {ready} once every
// connection is subscribed; receives {finish}; sends SubscriberReport.

import WebSocket from 'ws';
import { encodeHistogram, initHdr, newHistogram, type Histogram } from '../hdr';

export interface SubscriberPlan {
  readonly url: string;
  /** Channel lists, one per connection. */
  readonly connections: ReadonlyArray<readonly string[]>;
  /** Latency: intended send time of seq i is start + i * 1e9 / rate (hrtime ns). */
  readonly start: string;
  readonly rate: number;
  readonly measure: 'latency' | 'count';
  /** Ticks due in the first this many seconds warm the engine up (JIT, new symbols) and are counted but not timed. */
  readonly warmupSeconds: number;
  /** Also keep one histogram per this many seconds of the run (soak). */
  readonly intervalSeconds?: number;
}

export interface SubscriberReport {
  readonly received: number;
  /** Encoded histograms: connections on one symbol's channels, and on a wildcard. */
  readonly specific: string;
  readonly wildcard: string;
  /** With intervalSeconds: every latency by the interval it was received in. */
  readonly intervals: string[];
  readonly firstNs: number;
  readonly lastNs: number;
}

const DATA = '"data":';
const SEQ = '"seq":';

/** The tick's own seq, inside "data" (the frame's channel seq comes first). */
function tickSeq(text: string): number {
  const at = text.indexOf(SEQ, text.indexOf(DATA) + DATA.length);
  if (at < 0) return -1;
  return parseInt(text.slice(at + SEQ.length, at + SEQ.length + 16), 10);
}

async function run(plan: SubscriberPlan): Promise<void> {
  await initHdr();
  const specific = newHistogram();
  const wildcard = newHistogram();
  const start = BigInt(plan.start);
  const interval = 1e9 / plan.rate;
  const warmupNs = plan.warmupSeconds * 1e9;
  const intervalNs = (plan.intervalSeconds ?? 0) * 1e9;
  const intervals: Histogram[] = [];
  let received = 0;
  let firstNs = 0;
  let lastNs = 0;
  const sockets: WebSocket[] = [];
  await Promise.all(
    plan.connections.map(
      (channels) =>
        new Promise<void>((resolve, reject) => {
          const socket = new WebSocket(plan.url, { perMessageDeflate: false });
          sockets.push(socket);
          const histogram: Histogram = channels.some((c) => c.endsWith('.*')) ? wildcard : specific;
          let subscribed = false;
          socket.on('error', reject);
          socket.on('open', () => socket.send(JSON.stringify({ op: 'subscribe', channels })));
          socket.on('message', (data: Buffer, binary: boolean) => {
            if (binary) return;
            const text = data.toString('utf8');
            if (!subscribed) {
              if (text.includes('"op":"subscribed"')) {
                subscribed = true;
                resolve();
              }
              return;
            }
            const now = Number(process.hrtime.bigint() - start);
            if (received === 0) firstNs = now;
            lastNs = now;
            received++;
            if (plan.measure === 'count') return;
            const seq = tickSeq(text);
            if (seq < 0 || seq * interval < warmupNs) return;
            const latency = Math.max(1, now - seq * interval);
            histogram.recordValue(latency);
            if (intervalNs > 0 && now >= 0) {
              const k = Math.floor(now / intervalNs);
              while (intervals.length <= k) intervals.push(newHistogram());
              (intervals[k] as Histogram).recordValue(latency);
            }
          });
        }),
    ),
  );
  process.send?.({ ready: true });
  process.once('message', () => {
    for (const socket of sockets) socket.terminate();
    const report: SubscriberReport = {
      received,
      specific: encodeHistogram(specific),
      wildcard: encodeHistogram(wildcard),
      intervals: intervals.map(encodeHistogram),
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
