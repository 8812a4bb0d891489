// One partition's side of its two rings, whichever thread runs it: takes the
// records of its in-ring (ticks, names, flushes, checkpoints, resets) through
// a PartitionEngine and writes every result to its out-ring. A worker thread
// (partition-worker.ts) runs one in a loop and parks between records; the
// inline placement (inline-host.ts) runs it on the event-loop thread right
// after ticks are dispatched. The same code both ways is what makes the two
// placements produce the same records.

import { Builder } from 'flatbuffers';
import type { AnalyticsConfig } from '../analytics/analytics-config';
import { PartitionEngine } from '../analytics/partition-engine';
import { TickFields } from '../records/tick-fields';
import { monotonicMs } from '../clock';
import { PartitionReport } from '../fb/generated/tickflow/ring/partition-report';
import type { RingConsumer } from '../ring/ring-consumer';
import type { RingProducer } from '../ring/ring-producer';
import { CheckpointCapture } from './checkpoint-capture';
import { restoreCheckpoint } from './checkpoint-codec';
import { ChunkAssembler, decodeCheckpointRequest, encodeCheckpointRequest } from './chunks';
import { decodeFlush, decodeWatermarkReset, encodeWatermarkResetDone } from './control-records';
import { Msg } from './protocol';
import { ResultEncoder } from './result-encoder';
import { NameKind, RingDecoder } from './ring-codec';

/** How often idle symbols are checked in `serve` (ms of processing time). */
export const IDLE_CHECK_MS = 50;

export class PartitionCore {
  /** False once STOP was handled. */
  running = true;
  readonly engine: PartitionEngine;
  /** Live mode: forming bars, echoed ticks or idle closing need the clock. */
  readonly live: boolean;
  private readonly idleClose: boolean;
  private readonly exchanges: string[] = [''];
  private readonly exchangeIds = new Map<string, number>([['', 0]]);
  private readonly symbolIds = new Map<string, number>();
  private readonly restores = new ChunkAssembler();
  private readonly decoder: RingDecoder;
  private readonly tick = new TickFields();
  /** Checkpoints in progress, written between records. */
  private readonly capture: CheckpointCapture;
  private lastForming = 0;
  private lastIdleCheck: number;

  constructor(
    readonly partition: number,
    private readonly analytics: AnalyticsConfig,
    private readonly input: RingConsumer,
    private readonly output: RingProducer,
    echo: RingProducer,
    /**
     * Called while an output ring (results or echo) has no room for `bytes`,
     * until it has: a worker waits for the ingest thread to drain it; the
     * inline placement drains it itself.
     */
    private readonly waitForOutput: (ring: RingProducer, bytes: number) => void,
  ) {
    this.engine = new PartitionEngine(analytics, new ResultEncoder(output, echo, (id) => this.exchanges[id] ?? '', waitForOutput));
    this.decoder = new RingDecoder(input.bytes);
    this.capture = new CheckpointCapture(
      this.engine,
      output,
      (id) => this.exchanges[id] ?? '',
      () => waitForOutput(output, output.maxPayload),
    );
    this.idleClose = analytics.idleCloseMs > 0;
    this.live = analytics.echoTicks || analytics.barUpdateMs >= 0;
    this.lastIdleCheck = Date.now();
  }

  /** Handles up to `limit` in-ring records; returns how many. */
  poll(limit: number): number {
    return this.input.poll(this.handle, limit);
  }

  /** A checkpoint is in progress: call checkpointSlice() before parking. */
  get checkpointing(): boolean {
    return this.capture.busy;
  }

  /** Works on the checkpoints in progress for up to `budgetMs`; false when they wait for room in the out-ring. */
  checkpointSlice(budgetMs: number): boolean {
    return this.capture.slice(budgetMs);
  }

  /**
   * Live mode's clock-driven work: forming-bar updates (at most once per
   * millisecond, as the scan covers every pending bar) and idle closing
   * (every IDLE_CHECK_MS).
   */
  maintain(now: number): void {
    if (!this.live) return;
    if (now !== this.lastForming) {
      this.lastForming = now;
      this.engine.emitForming(now);
    }
    if (this.idleClose && now - this.lastIdleCheck >= IDLE_CHECK_MS) {
      this.lastIdleCheck = now;
      this.engine.advanceIdle(now);
    }
  }

  private write(type: number, payload: Uint8Array): void {
    while (!this.output.write(type, payload)) this.waitForOutput(this.output, payload.length);
  }

  private report(type: number): void {
    const b = new Builder(128);
    b.forceDefaults(true);
    const c = this.engine.counters;
    b.finish(
      PartitionReport.createPartitionReport(
        b,
        this.partition,
        c.accepted,
        c.duplicate,
        c.late,
        c.bars,
        c.indicators,
        c.alerts,
        c.rejected,
        c.corrections,
        c.revisions,
      ),
    );
    this.write(type, b.asUint8Array());
  }

  private readonly handle = (type: number, offset: number): void => {
    const { engine, input } = this;
    switch (type) {
      case Msg.TICK: {
        const tick = this.decoder.tick(offset, this.tick);
        if (this.live && tick.ingestTime > 0) tick.dequeueTime = monotonicMs();
        engine.process(tick, this.idleClose ? Date.now() : 0);
        break;
      }
      case Msg.REGISTER_NAME: {
        const name = this.decoder.registerName(offset);
        if (name.kind === NameKind.SYMBOL) {
          engine.registerSymbol(name.id, name.name);
          this.symbolIds.set(name.name, name.id);
        } else {
          this.exchanges[name.id] = name.name;
          this.exchangeIds.set(name.name, name.id);
        }
        break;
      }
      case Msg.CHECKPOINT: {
        const request = decodeCheckpointRequest(input.bytes, offset);
        const wanted = request.symbols === null ? null : new Set(request.symbols);
        const states = engine.allSymbols().filter((state) => wanted === null || wanted.has(state.name));
        this.capture.begin(request.id, states, request.rotation);
        break;
      }
      case Msg.RESTORE_CHUNK: {
        this.capture.finishAll();
        const whole = this.restores.add(input.bytes, offset);
        if (whole === null) break;
        restoreCheckpoint(
          engine,
          this.analytics,
          whole.data,
          (name) => this.symbolIds.get(name),
          (name) => this.exchangeIds.get(name) ?? 0,
          Date.now(),
        );
        this.write(Msg.RESTORED, encodeCheckpointRequest(whole.id, []));
        break;
      }
      case Msg.IDLE_HOLD:
        engine.holdIdle(input.bytes[offset] === 1, Date.now());
        break;
      case Msg.FLUSH: {
        this.capture.finishAll();
        const order = decodeFlush(input.bytes, offset);
        if (order.all) engine.flush();
        else engine.flushSymbols(order.ids);
        if (order.report) this.report(Msg.FLUSHED);
        break;
      }
      case Msg.RESET_WATERMARK: {
        this.capture.finishAll();
        const order = decodeWatermarkReset(input.bytes, offset);
        const result = engine.resetWatermark(order.symbolId, order.clock, Date.now());
        this.write(Msg.WATERMARK_RESET_DONE, encodeWatermarkResetDone({ id: order.id, symbolId: order.symbolId, result }));
        break;
      }
      case Msg.STOP:
        this.capture.finishAll();
        this.report(Msg.STOPPED);
        this.running = false;
        break;
      default:
        throw new Error(`partition ${this.partition}: unknown ring record type ${type}`);
    }
  };
}
