// A partition worker: the thread that owns the state of the symbols that
// hash to its partition (the partitioned placement). It pins itself to a
// core, then loops: run its PartitionCore over the in-ring, publish results
// to the out-ring (ringing the doorbell in `serve`), and park on the in-ring
// when there is nothing to do.

import { parentPort, workerData } from 'node:worker_threads';
import { pinCurrentThread } from '../native/affinity';
import { Doorbell } from '../ring/doorbell';
import { RingConsumer } from '../ring/ring-consumer';
import { RingProducer } from '../ring/ring-producer';
import { SLICE_MS } from './checkpoint-capture';
import { IDLE_CHECK_MS, PartitionCore } from './partition-core';
import { Msg, type WorkerEvent, type WorkerInit } from './protocol';

/** Records handled between publishes of the out-ring. */
const BATCH = 256;

function main(init: WorkerInit): void {
  const port = parentPort;
  if (port === null) throw new Error('partition-worker must run as a worker thread');
  let warning: string | null = null;
  if (init.pinCpu !== null) warning = pinCurrentThread(init.pinCpu);
  const ready: WorkerEvent = {
    kind: 'ready',
    partition: init.partition,
    pinnedCpu: warning === null ? init.pinCpu : null,
    warning,
  };
  port.postMessage(ready);

  const input = new RingConsumer(init.inRing);
  const output = new RingProducer(init.outRing);
  const echo = new RingProducer(init.echoRing);
  const doorbell = init.doorbell === null ? null : new Doorbell(init.doorbell);
  const publish = (): void => {
    // Ticks first: they are what a subscriber waits for.
    const ticks = echo.publish();
    if (output.publish() || ticks) doorbell?.ring();
  };
  const core = new PartitionCore(init.partition, init.analytics, input, output, echo, (ring, bytes) => {
    // Whatever is ready must be visible, or the ingest thread has nothing to drain.
    publish();
    ring.waitForSpace(bytes, IDLE_CHECK_MS);
  });
  // Forming bars still waiting out --bar-update-ms need a wake-up soon.
  const parkMs = core.live ? Math.min(IDLE_CHECK_MS, Math.max(1, init.analytics.barUpdateMs)) : IDLE_CHECK_MS;
  while (core.running) {
    const handled = core.poll(BATCH);
    core.maintain(Date.now());
    // A checkpoint in progress moves on between batches, a slice at a time.
    const moving = !core.checkpointing || core.checkpointSlice(SLICE_MS);
    publish();
    if (handled > 0 || !core.running) continue;
    if (!core.checkpointing) input.waitForData(parkMs, 2000, init.idleSpinUs);
    // Its next chunk waits for the ingest thread to drain the out-ring.
    else if (!moving) output.waitForSpace(output.maxPayload, 1);
  }
  publish();
}

const init = workerData as WorkerInit;
try {
  main(init);
} catch (err) {
  const message = (err as Error).stack ?? String(err);
  // The ingest thread may be blocked reading rings rather than running its
  // event loop, so the failure also goes down the out-ring.
  const output = new RingProducer(init.outRing);
  const payload = new TextEncoder().encode(message.slice(0, output.maxPayload >> 2));
  if (output.write(Msg.FATAL, payload)) output.publish();
  const event: WorkerEvent = { kind: 'fatal', partition: init.partition, message };
  parentPort?.postMessage(event);
}
