// A partition worker: the one thread that owns the state of the symbols that
// hash to its partition. It pins itself to a core, then loops: take records
// from its in-ring, run them through the PartitionEngine, write results to its
// out-ring, and park on the in-ring when there is nothing to do.

import { parentPort, workerData } from 'node:worker_threads';
import { PartitionEngine } from '../analytics/partition-engine';
import { TickFields } from '../analytics/tick-fields';
import { Builder } from 'flatbuffers';
import { PartitionReport } from '../fb/generated/tickflow/ring/partition-report';
import { monotonicMs } from '../clock';
import { pinCurrentThread } from '../native/affinity';
import { Doorbell } from '../ring/doorbell';
import { RingConsumer } from '../ring/ring-consumer';
import { RingProducer } from '../ring/ring-producer';
import { Msg, type WorkerEvent, type WorkerInit } from './protocol';
import { encodeCheckpoint, restoreCheckpoint } from './checkpoint-codec';
import { ChunkAssembler, decodeCheckpointRequest, encodeCheckpointRequest, writeChunks } from './chunks';
import { decodeFlush, decodeWatermarkReset, encodeWatermarkResetDone } from './control-records';
import { NameKind, RingDecoder } from './ring-codec';
import { ResultEncoder } from './result-encoder';

/** Parking timeout: how often a parked worker checks idle symbols in `serve`. */
const PARK_MS = 50;

function main(init: WorkerInit): void {
  const port = parentPort;
  if (port === null) throw new Error('partition-worker must run as a worker thread');
  let warning: string | null = null;
  if (init.pinCpu !== null) warning = pinCurrentThread(init.pinCpu);
  const ready: WorkerEvent = {
    kind: 'ready', partition: init.partition, pinnedCpu: warning === null ? init.pinCpu : null, warning,
  };
  port.postMessage(ready);

  const input = new RingConsumer(init.inRing);
  const output = new RingProducer(init.outRing);
  const exchanges: string[] = [''];
  const exchangeIds = new Map<string, number>([['', 0]]);
  const symbolIds = new Map<string, number>();
  const restores = new ChunkAssembler();
  const results = new ResultEncoder(output, (id) => exchanges[id] ?? '');
  const engine = new PartitionEngine(init.analytics, results);
  const decoder = new RingDecoder(input.bytes);
  const tick = new TickFields();
  const idleClose = init.analytics.idleCloseMs > 0;
  const live = init.analytics.echoTicks || init.analytics.barUpdateMs >= 0;
  const doorbell = init.doorbell === null ? null : new Doorbell(init.doorbell);
  let running = true;

  const report = (type: number): void => {
    const b = new Builder(128);
    b.forceDefaults(true);
    const c = engine.counters;
    b.finish(PartitionReport.createPartitionReport(b, init.partition, c.accepted, c.duplicate, c.late, c.bars, c.indicators, c.alerts));
    const payload = b.asUint8Array();
    while (!output.write(type, payload)) output.waitForSpace(payload.length, PARK_MS);
  };

  const handle = (type: number, offset: number): void => {
    switch (type) {
      case Msg.TICK:
        decoder.tick(offset, tick);
        if (live && tick.ingestTime > 0) tick.dequeueTime = monotonicMs();
        engine.process(tick, idleClose ? Date.now() : 0);
        break;
      case Msg.REGISTER_NAME: {
        const name = decoder.registerName(offset);
        if (name.kind === NameKind.SYMBOL) {
          engine.registerSymbol(name.id, name.name);
          symbolIds.set(name.name, name.id);
        } else {
          exchanges[name.id] = name.name;
          exchangeIds.set(name.name, name.id);
        }
        break;
      }
      case Msg.CHECKPOINT: {
        const request = decodeCheckpointRequest(input.bytes, offset);
        const wanted = request.symbols === null ? null : new Set(request.symbols);
        const states = engine.allSymbols().filter((state) => wanted === null || wanted.has(state.name));
        const data = encodeCheckpoint(states, (id) => exchanges[id] ?? '');
        writeChunks(output, Msg.CHECKPOINT_CHUNK, request.id, data, () => output.waitForSpace(output.maxPayload, PARK_MS));
        break;
      }
      case Msg.RESTORE_CHUNK: {
        const whole = restores.add(input.bytes, offset);
        if (whole === null) break;
        restoreCheckpoint(engine, init.analytics, whole.data, (name) => symbolIds.get(name), (name) => exchangeIds.get(name) ?? 0, Date.now());
        const done = encodeCheckpointRequest(whole.id, []);
        while (!output.write(Msg.RESTORED, done)) output.waitForSpace(done.length, PARK_MS);
        break;
      }
      case Msg.IDLE_HOLD:
        engine.holdIdle(input.bytes[offset] === 1, Date.now());
        break;
      case Msg.FLUSH: {
        const order = decodeFlush(input.bytes, offset);
        if (order.all) engine.flush();
        else engine.flushSymbols(order.ids);
        if (order.report) report(Msg.FLUSHED);
        break;
      }
      case Msg.RESET_WATERMARK: {
        const order = decodeWatermarkReset(input.bytes, offset);
        const result = engine.resetWatermark(order.symbolId, order.clock, Date.now());
        const done = encodeWatermarkResetDone({ id: order.id, symbolId: order.symbolId, result });
        while (!output.write(Msg.WATERMARK_RESET_DONE, done)) output.waitForSpace(done.length, PARK_MS);
        break;
      }
      case Msg.STOP:
        report(Msg.STOPPED);
        running = false;
        break;
      default:
        throw new Error(`partition ${init.partition}: unknown ring record type ${type}`);
    }
  };

  const publish = (): void => {
    if (output.publish()) doorbell?.ring();
  };

  let lastIdleCheck = Date.now();
  let lastForming = 0;
  while (running) {
    const handled = input.poll(handle, 256);
    if (live) {
      const now = Date.now();
      // At most once per millisecond: the scan covers every pending bar.
      if (now !== lastForming) {
        lastForming = now;
        engine.emitForming(now);
      }
      if (idleClose && now - lastIdleCheck >= PARK_MS) {
        lastIdleCheck = now;
        engine.advanceIdle(now);
      }
    }
    publish();
    // Forming bars still waiting out --bar-update-ms need a wake-up soon.
    if (handled === 0) input.waitForData(live ? Math.min(PARK_MS, Math.max(1, init.analytics.barUpdateMs)) : PARK_MS, 2000, init.idleSpinUs);
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
