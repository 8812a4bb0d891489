// The partitioned placement (partition-host.ts): the ingest thread's side of
// the partition workers. It creates their rings, starts them (each pinned to
// its own core where possible) and stops them.

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalyticsConfig } from '../analytics/analytics-config';
import { allowedCpus } from '../native/affinity';
import { createRing } from '../ring/ring-descriptor';
import { RingConsumer } from '../ring/ring-consumer';
import { RingProducer } from '../ring/ring-producer';
import { echoRingBytes, type PartitionHost, type PartitionInfo } from './partition-host';
import { Msg, type WorkerEvent, type WorkerInit } from './protocol';

export interface PoolOptions {
  readonly partitions: number;
  readonly pin: boolean;
  readonly ringBytes: number;
  readonly analytics: AnalyticsConfig;
  /** Microseconds a worker busy-polls an empty ring before parking (default 0). */
  readonly idleSpinUs?: number;
  /** Rung by workers after they publish results (serve); null in replay. */
  readonly doorbell?: SharedArrayBuffer | null;
}

const WORKER_FILE = join(__dirname, 'partition-worker.js');

/**
 * CPU for each worker: the cores this process may use, skipping the first,
 * which is left to the ingest thread, and wrapping when there are more
 * workers than cores.
 */
export function assignCpus(partitions: number, cpus: readonly number[]): number[] {
  const pool = cpus.length > 1 ? cpus.slice(1) : cpus.slice();
  return Array.from({ length: partitions }, (_, i) => pool[i % pool.length] as number);
}

export class PartitionPool implements PartitionHost {
  readonly placement = 'partitioned';
  readonly inputs: RingProducer[];
  readonly outputs: RingConsumer[];
  readonly echoes: RingConsumer[];
  readonly info: PartitionInfo[] = [];
  readonly warnings: string[] = [];
  private readonly workers: Worker[] = [];
  private readonly exits: Array<Promise<number>> = [];
  private failure: Error | undefined;

  private constructor(
    readonly partitions: number,
    inRings: SharedArrayBuffer[],
    outRings: SharedArrayBuffer[],
    echoRings: SharedArrayBuffer[],
  ) {
    this.inputs = inRings.map((ring) => new RingProducer(ring));
    this.outputs = outRings.map((ring) => new RingConsumer(ring));
    this.echoes = echoRings.map((ring) => new RingConsumer(ring));
  }

  static async start(options: PoolOptions): Promise<PartitionPool> {
    const { partitions } = options;
    const inRings = Array.from({ length: partitions }, () => createRing(options.ringBytes));
    const outRings = Array.from({ length: partitions }, () => createRing(options.ringBytes));
    const echoRings = Array.from({ length: partitions }, () => createRing(echoRingBytes(options.ringBytes, options.analytics)));
    const pool = new PartitionPool(partitions, inRings, outRings, echoRings);
    let cpus: Array<number | null> = new Array<number | null>(partitions).fill(null);
    if (options.pin) {
      const allowed = allowedCpus();
      if (allowed === null || allowed.length === 0) {
        pool.warnings.push('CPU pinning is unavailable (the native addon is missing or unsupported here); running unpinned');
      } else {
        cpus = assignCpus(partitions, allowed);
        if (partitions > Math.max(1, allowed.length - 1)) {
          pool.warnings.push(`${partitions} partitions on ${allowed.length} CPUs: some workers share a core`);
        }
      }
    }
    const ready = Array.from({ length: partitions }, (_, partition) => {
      const init: WorkerInit = {
        partition,
        inRing: inRings[partition] as SharedArrayBuffer,
        outRing: outRings[partition] as SharedArrayBuffer,
        echoRing: echoRings[partition] as SharedArrayBuffer,
        analytics: options.analytics,
        pinCpu: cpus[partition] ?? null,
        doorbell: options.doorbell ?? null,
        idleSpinUs: options.idleSpinUs ?? 0,
      };
      return pool.spawn(init);
    });
    const events = await Promise.all(ready);
    for (const event of events) {
      pool.info.push({ partition: event.partition, pinnedCpu: event.pinnedCpu });
      if (event.warning !== null) pool.warnings.push(`partition ${event.partition}: ${event.warning}; running unpinned`);
    }
    return pool;
  }

  /** Set once a worker died unexpectedly; the caller should stop. */
  get failed(): Error | undefined {
    return this.failure;
  }

  get threads(): number {
    return this.partitions;
  }

  run(): void {
    // The workers were woken by the rings' publish.
  }

  maintain(): void {
    // Each worker keeps its own clock.
  }

  private spawn(init: WorkerInit): Promise<Extract<WorkerEvent, { kind: 'ready' }>> {
    // Node pipes a worker's stdio into process.stdout and process.stderr
    // unless told not to, and piping reads process.stdout, which makes fd 1
    // non-blocking: `replay` then met EAGAIN on a full pipe and slept on it.
    // A worker's stray text goes to stderr, never among the records.
    const worker = new Worker(WORKER_FILE, {
      workerData: init,
      name: `tickflow-partition-${init.partition}`,
      stdout: true,
      stderr: true,
    });
    const toStderr = (text: Buffer): void => {
      process.stderr.write(text);
    };
    worker.stdout.on('data', toStderr);
    worker.stderr.on('data', toStderr);
    this.workers.push(worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (event: WorkerEvent) => {
        if (event.kind === 'ready') resolve(event);
        else this.failure ??= new Error(`partition ${event.partition} failed: ${event.message}`);
      });
      worker.once('error', (err) => {
        this.failure ??= err;
        reject(err);
      });
      this.exits.push(new Promise((done) => worker.once('exit', done)));
    });
  }

  /** Asks every worker to finish its queue and exit; resolves when all have. */
  async stop(): Promise<void> {
    for (const input of this.inputs) {
      while (!input.write(Msg.STOP, new Uint8Array(0))) input.waitForSpace(0, 10);
      input.publish();
    }
    // Keep draining results so a worker blocked on a full out-ring can exit.
    const timer = setInterval(() => {
      for (const output of [...this.outputs, ...this.echoes]) output.poll(() => undefined);
    }, 5);
    try {
      await Promise.all(this.exits);
    } finally {
      clearInterval(timer);
    }
  }

  /** Immediate stop, for failures. */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
