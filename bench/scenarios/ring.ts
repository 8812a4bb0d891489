// ring: SPSC records/s and handoff latency between two threads, tickflow's
// ring against Node's postMessage over a MessageChannel, in the same run,
// runs interleaved, medians reported.

import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { decodeHistogram, newHistogram, type Histogram } from '../hdr';
import { median } from '../machine';
import { ScenarioRecorder } from '../results';
import { createRing } from '../../src/ring/ring-descriptor';
import type { RingThreadInit, RingThreadResult } from './ring-thread';

export interface RingOptions {
  readonly records: number;
  readonly latencyRecords: number;
  readonly rate: number;
  readonly runs: number;
}

async function once(
  transport: RingThreadInit['transport'],
  mode: RingThreadInit['mode'],
  records: number,
  rate: number,
): Promise<RingThreadResult> {
  const ring = createRing(1 << 20);
  const start = new SharedArrayBuffer(4);
  const channel = transport === 'postMessage' ? new MessageChannel() : null;
  const base = String(process.hrtime.bigint());
  const spawn = (role: RingThreadInit['role']): Promise<RingThreadResult> => {
    const port = channel === null ? null : role === 'producer' ? channel.port1 : channel.port2;
    const init: RingThreadInit = { role, transport, mode, records, rate, ring, start, port, base };
    const worker = new Worker(join(__dirname, 'ring-thread.js'), { workerData: init, transferList: port === null ? [] : [port] });
    return new Promise((resolve, reject) => {
      worker.once('message', (result: RingThreadResult) => {
        resolve(result);
        void worker.terminate();
      });
      worker.once('error', reject);
    });
  };
  const [producer, consumer] = await Promise.all([spawn('producer'), spawn('consumer')]);
  let expected = 0;
  for (let i = 0; i < records; i++) expected += i * 6;
  if (consumer.records !== records || consumer.checksum !== expected) throw new Error(`${transport}: records lost or changed`);
  return { ...consumer, firstNs: producer.firstNs };
}

export async function ringScenario(options: RingOptions): Promise<void> {
  const rec = new ScenarioRecorder('ring', {
    records: options.records,
    latency_records: options.latencyRecords,
    latency_rate: options.rate,
    runs: options.runs,
    record_bytes: 64,
  });
  const transports = ['ring', 'postMessage'] as const;
  const rates: Record<string, number[]> = { ring: [], postMessage: [] };
  for (let r = 0; r < options.runs; r++) {
    for (const transport of transports) {
      const result = await once(transport, 'throughput', transport === 'ring' ? options.records : Math.min(options.records, 2_000_000), 0);
      rates[transport]?.push(result.records / ((result.lastNs - result.firstNs) / 1e9));
    }
  }
  const ringRate = median(rates.ring ?? []);
  const postRate = median(rates.postMessage ?? []);
  rec.add({
    name: 'ring throughput',
    settings: { transport: 'ring', publish_every: 64 },
    throughput: ringRate,
    unit: 'records/s',
    extra: { runs: (rates.ring ?? []).map(Math.round).join(' ') },
  });
  rec.add({
    name: 'postMessage throughput',
    settings: { transport: 'postMessage' },
    throughput: postRate,
    unit: 'records/s',
    extra: { runs: (rates.postMessage ?? []).map(Math.round).join(' ') },
  });
  rec.note(`ring / postMessage throughput: ${(ringRate / postRate).toFixed(1)}x`);

  const latency: Record<string, Histogram> = { ring: newHistogram(), postMessage: newHistogram() };
  for (let r = 0; r < options.runs; r++) {
    for (const transport of transports) {
      const result = await once(transport, 'latency', options.latencyRecords, options.rate);
      const h = decodeHistogram(result.histogram as string);
      latency[transport]?.add(h);
      h.destroy();
    }
  }
  for (const transport of transports) {
    rec.add(
      {
        name: `${transport} handoff`,
        settings: { transport, offered_rate: options.rate, consumer: transport === 'ring' ? 'spinning' : 'event loop' },
      },
      latency[transport],
    );
  }
  rec.write();
}
