// One end of the ring scenario, in its own thread: a producer or consumer of
// 64-byte records (8-byte header + 56-byte payload) over a tickflow ring, or
// of the same payload over a MessagePort (Node's postMessage), for
// throughput (as fast as possible) or handoff latency (open loop at a fixed
// rate, each record stamped with its intended send time on the shared
// monotonic clock).

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { encodeHistogram, initHdr, newHistogram } from '../hdr';
import { RING_FULL } from '../../src/ring/ring-descriptor';
import { RingConsumer } from '../../src/ring/ring-consumer';
import { RingProducer } from '../../src/ring/ring-producer';

export interface RingThreadInit {
  readonly role: 'producer' | 'consumer';
  readonly transport: 'ring' | 'postMessage';
  readonly mode: 'throughput' | 'latency';
  readonly records: number;
  /** Latency mode: records per second offered. */
  readonly rate: number;
  readonly ring: SharedArrayBuffer;
  /** Start barrier: both ends spin until it is 2. */
  readonly start: SharedArrayBuffer;
  readonly port: MessagePort | null;
  /** hrtime at the start of the run, as a decimal string: stamps are ns since then. */
  readonly base: string;
}

export interface RingThreadResult {
  readonly records: number;
  readonly firstNs: number;
  readonly lastNs: number;
  readonly checksum: number;
  readonly histogram: string | null;
}

const PAYLOAD = 56;
const PUBLISH_EVERY = 64;
const init = workerData as RingThreadInit;
const base = BigInt(init.base);
const now = (): number => Number(process.hrtime.bigint() - base);

function barrier(): void {
  const flag = new Int32Array(init.start);
  Atomics.add(flag, 0, 1);
  while (Atomics.load(flag, 0) < 2) {
    /* spin: both ends start together */
  }
}

function ringProducer(): RingThreadResult {
  const ring = new RingProducer(init.ring);
  const words = new Float64Array(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength >> 3);
  const interval = init.mode === 'latency' ? 1e9 / init.rate : 0;
  barrier();
  const first = now();
  for (let i = 0; i < init.records; i++) {
    let stamp = i;
    if (interval > 0) {
      stamp = first + i * interval;
      while (now() < stamp) {
        /* open loop: wait for the intended send time */
      }
    }
    let at = ring.claim(1, PAYLOAD);
    while (at === RING_FULL) {
      ring.publish();
      at = ring.claim(1, PAYLOAD);
    }
    const w = at >> 3;
    words[w] = stamp;
    words[w + 1] = i;
    words[w + 2] = i * 2;
    words[w + 3] = i * 3;
    words[w + 4] = i * 4;
    words[w + 5] = i * 5;
    words[w + 6] = i * 6;
    if (interval > 0 || (i & (PUBLISH_EVERY - 1)) === PUBLISH_EVERY - 1) ring.publish();
  }
  ring.publish();
  return { records: init.records, firstNs: first, lastNs: now(), checksum: 0, histogram: null };
}

function ringConsumer(): RingThreadResult {
  const ring = new RingConsumer(init.ring);
  const words = new Float64Array(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength >> 3);
  const histogram = init.mode === 'latency' ? newHistogram() : null;
  let seen = 0;
  let checksum = 0;
  let expected = 0;
  const handle = (_type: number, offset: number): void => {
    const w = offset >> 3;
    if (histogram !== null) histogram.recordValue(Math.max(1, now() - (words[w] as number)));
    const i = words[w + 1] as number;
    if (i !== expected) throw new Error(`record ${i} arrived where ${expected} was due`);
    expected++;
    checksum += words[w + 6] as number;
    seen++;
  };
  barrier();
  const first = now();
  // The consumer spins: a handoff costs no system call.
  while (seen < init.records) ring.poll(handle, 1024);
  const result = {
    records: seen,
    firstNs: first,
    lastNs: now(),
    checksum,
    histogram: histogram === null ? null : encodeHistogram(histogram),
  };
  histogram?.destroy();
  return result;
}

function postProducer(): Promise<RingThreadResult> {
  const port = init.port as MessagePort;
  const interval = init.mode === 'latency' ? 1e9 / init.rate : 0;
  barrier();
  const first = now();
  const payload = new Float64Array(7);
  for (let i = 0; i < init.records; i++) {
    let stamp = i;
    if (interval > 0) {
      stamp = first + i * interval;
      while (now() < stamp) {
        /* open loop */
      }
    }
    payload[0] = stamp;
    payload[1] = i;
    for (let k = 2; k < 7; k++) payload[k] = i * k;
    port.postMessage(payload);
  }
  return Promise.resolve({ records: init.records, firstNs: first, lastNs: now(), checksum: 0, histogram: null });
}

function postConsumer(): Promise<RingThreadResult> {
  const port = init.port as MessagePort;
  const histogram = init.mode === 'latency' ? newHistogram() : null;
  let seen = 0;
  let checksum = 0;
  return new Promise((resolve) => {
    port.on('message', (payload: Float64Array) => {
      if (histogram !== null) histogram.recordValue(Math.max(1, now() - (payload[0] as number)));
      checksum += payload[6] as number;
      seen++;
      if (seen === init.records) {
        const result = {
          records: seen,
          firstNs: first,
          lastNs: now(),
          checksum,
          histogram: histogram === null ? null : encodeHistogram(histogram),
        };
        port.close();
        resolve(result);
      }
    });
    barrier();
    const first = now();
  });
}

async function main(): Promise<void> {
  await initHdr();
  let result: RingThreadResult;
  if (init.transport === 'ring') result = init.role === 'producer' ? ringProducer() : ringConsumer();
  else result = await (init.role === 'producer' ? postProducer() : postConsumer());
  parentPort?.postMessage(result);
}

void main();
