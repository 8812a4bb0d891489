// The engine, hosted once for `replay` and `serve`: its partitions in one of
// two placements (partition-host.ts), the dispatcher that routes ticks to
// them, and the drain that hands their results to a visitor. The flushes,
// checkpoints, restores and watermark resets that cross the rings are its
// `requests` (engine-requests.ts).
//
// Results are driven in one of two ways. `serve` (results: 'event-loop')
// never owns the event loop: with workers, a drain loop parks on their
// doorbell with Atomics.waitAsync; inline, a tick's results are drained in
// the turn that dispatched it, and a timer runs the clock-driven work
// (forming bars, idle closing). `replay` (results: 'caller') drains when it
// likes and blocks on the out-rings between chunks.
//
// Backpressure: when a partition's in-ring is full, ingest() makes room
// before it returns: a worker is waited for (draining results meanwhile),
// which suits `replay` and sources that own the thread; inline, the
// partition is simply run. `serve` must never block its event loop: offer()
// refuses a tick a full worker ring cannot take, and whenRoom() tells, from
// a timer, when that partition has room again, so only the producers whose
// ticks wait are held (ingest-endpoint.ts, the Kafka source).

import type { AnalyticsConfig } from '../analytics/analytics-config';
import { monotonicMs } from '../clock';
import { Dispatcher } from './dispatcher';
import type { ValidTick } from '../ingest/tick-validator';
import { Doorbell, createDoorbell } from '../ring/doorbell';
import { Answers } from './answers';
import { EngineRequests } from './engine-requests';
import { InlineHost } from './inline-host';
import { IDLE_CHECK_MS } from './partition-core';
import type { PartitionHost, Placement } from './partition-host';
import { PartitionPool } from './partition-pool';
import { ResultDrain, type ResultVisitor } from './result-drain';

/**
 * Every how many ticks one carries the dispatch, dequeue and echo times of
 * the stage histograms (`serve`). Five clock reads and five histogram records
 * per tick took about 6 % of the event loop at 100k ticks/s; a uniform sample
 * of one in four gives the same percentiles at a quarter of the cost.
 */
export const PROBE_EVERY = 4;

/**
 * Results (other than accepted ticks) handed on per partition per turn of
 * the event loop in `serve`; the rest wait for the next turn, after the
 * sockets were read. At a second boundary every symbol's 1 s bar closes at
 * once: handed on in one go, 500 symbols' bars kept the event loop busy for
 * milliseconds, and a trade arriving meanwhile waited that long.
 */
export const RESULT_SLICE = 64;
/** The same in `replay`, where nobody waits: large batches, fewer rounds. */
const REPLAY_SLICE = 1024;

/** Results before deliverTo() are a bug of the host, not data to drop. */
const NO_VISITOR: ResultVisitor = {
  record: () => {
    throw new Error('the engine handed on a result before deliverTo() gave it a visitor');
  },
  flushed: () => {
    throw new Error('the engine handed on a flush report before deliverTo() gave it a visitor');
  },
};

export interface EngineOptions {
  /** Worker threads, one partition each; 0 runs the engine inline on this thread. */
  readonly partitions: number;
  readonly pin: boolean;
  readonly ringBytes: number;
  readonly analytics: AnalyticsConfig;
  readonly idleSpinUs?: number;
  /** Who drains results: a loop on the event loop (`serve`) or the caller (`replay`). */
  readonly results: 'event-loop' | 'caller';
  /** Latency probes on one tick in PROBE_EVERY (`serve`). */
  readonly probes: boolean;
}

export class Engine {
  readonly dispatcher: Dispatcher;
  readonly drain: ResultDrain;
  readonly placement: Placement;
  /** Times ingest() had to wait for ring space. */
  blockedWaits = 0;
  /** Times offer() found a worker's ring full and handed the tick back. */
  refusals = 0;
  /** Ticks handed to the partitions. */
  dispatched = 0;
  private readonly doorbell: Doorbell | null;
  private readonly slice: number;
  /** `serve`: results are handed on from the event loop (options.results). */
  private readonly eventLoop: boolean;
  /** Inline `serve`: a turn is booked to hand on the rest of a slice's results. */
  private continuing = false;
  private readonly probeEvery: number;
  private maintenance: NodeJS.Timeout | null = null;
  private running = true;
  private loopEnded: () => void = () => undefined;
  /** Resolves when the drain loop has stopped. */
  private readonly loopDone = new Promise<void>((resolve) => {
    this.loopEnded = resolve;
  });
  private failure: Error | undefined;
  private readonly onFailure: Array<(err: Error) => void> = [];
  /** Requests partitions answer (flushes, checkpoints, restores, resets); the drain hands every record to it first. */
  private readonly answers: Answers;
  /** Producers held until a partition's in-ring has room again (whenRoom). */
  private roomWaiters: Array<{ partition: number; resolve: () => void }> = [];
  private roomTimer: NodeJS.Timeout | null = null;

  /** Flushes, watermark resets, idle holds, checkpoints and restores: what the partitions answer. */
  readonly requests: EngineRequests;

  /** Where results go (deliverTo); none may arrive before it is set. */
  private visitor: ResultVisitor = NO_VISITOR;

  private host!: PartitionHost;

  private constructor(options: EngineOptions, bell: SharedArrayBuffer | null, host: (engine: Engine) => PartitionHost) {
    this.host = host(this);
    this.placement = this.host.placement;
    this.dispatcher = new Dispatcher(this.host.inputs);
    this.drain = new ResultDrain(this.host.outputs, this.host.echoes);
    this.eventLoop = options.results === 'event-loop';
    this.slice = this.eventLoop ? RESULT_SLICE : REPLAY_SLICE;
    this.doorbell = bell === null ? null : new Doorbell(bell);
    this.probeEvery = options.probes ? PROBE_EVERY : 0;
    this.answers = new Answers(this.host.outputs.length, () => this.visitor);
    this.requests = new EngineRequests({
      host: this.host,
      dispatcher: this.dispatcher,
      answers: this.answers,
      analytics: options.analytics,
      publish: () => this.publish(),
      waitForRoom: this.waitForRoom,
    });
  }

  /** Starts the partitions; results go to the visitor given to deliverTo(), before any tick is ingested. */
  static async start(options: EngineOptions): Promise<Engine> {
    const loop = options.results === 'event-loop';
    if (options.partitions === 0) {
      const engine = new Engine(
        options,
        null,
        (e) =>
          new InlineHost(
            options.ringBytes,
            options.analytics,
            () => e.drainNow(),
            () => e.drainSlice(),
          ),
      );
      // No drain loop: results are drained as ticks are published.
      engine.loopEnded();
      if (loop) engine.startMaintenance(options.analytics);
      return engine;
    }
    const bell = loop ? createDoorbell() : null;
    const pool = await PartitionPool.start({ ...options, doorbell: bell });
    const engine = new Engine(options, bell, () => pool);
    if (loop) engine.step();
    else engine.loopEnded();
    return engine;
  }

  /**
   * Where every result goes: bars, indicators, alerts, dead letters and
   * accepted ticks, and each partition's flush reports. Its reader (the
   * result router) needs the dispatcher's name tables, so it is made after
   * the engine and handed in here.
   */
  deliverTo(visitor: ResultVisitor): void {
    this.visitor = visitor;
  }

  /** Where the partitions run, their rings and their warnings. */
  get partitions(): PartitionHost {
    return this.host;
  }

  /** Set when a partition failed; the caller should stop. */
  get failed(): Error | undefined {
    return this.failure ?? this.host.failed;
  }

  whenFailed(listener: (err: Error) => void): void {
    this.onFailure.push(listener);
  }

  /**
   * Hands a valid tick to its partition (published by the next publish());
   * returns the tick's symbol id. One tick in PROBE_EVERY carries latency
   * probes for the stage histograms.
   */
  ingest(tick: ValidTick, origin: number): number {
    return this.hand(tick, origin, false);
  }

  /**
   * Hands a valid tick to its partition without ever blocking the thread:
   * returns the tick's symbol id, or -1 - partition when that partition's
   * worker ring is full (the tick was not taken: try again after
   * whenRoom()). Inline, a full ring is made room in by running the
   * partition, so a tick is always taken.
   */
  offer(tick: ValidTick, origin: number): number {
    return this.hand(tick, origin, this.host.threads > 0);
  }

  /** ingest() and offer(): with `refuse`, a full ring hands the tick back instead of being waited for. */
  private hand(tick: ValidTick, origin: number, refuse: boolean): number {
    const probe = this.probeEvery > 0 && this.dispatched % this.probeEvery === 0 ? monotonicMs() : 0;
    for (;;) {
      const result = this.dispatcher.dispatch(tick, origin, probe);
      if (result >= 0) {
        this.dispatched++;
        return this.dispatcher.lastSymbolId;
      }
      const partition = -1 - result;
      if (refuse) {
        this.refusals++;
        // What was written before it must reach the worker, which frees the room.
        this.host.inputs[partition]?.publish();
        return result;
      }
      this.blockedWaits++;
      this.makeRoom(partition, 64);
    }
  }

  /**
   * Resolves once a partition's in-ring is a quarter free again (or the
   * engine stopped or failed). Checked every millisecond from a timer while
   * anyone waits: the event loop goes on meanwhile, delivering results that
   * the worker may itself be waiting to hand over.
   */
  whenRoom(partition: number): Promise<void> {
    return new Promise((resolve) => {
      this.roomWaiters.push({ partition, resolve });
      this.roomTimer ??= setInterval(this.checkRoom, 1);
    });
  }

  private readonly checkRoom = (): void => {
    const waiting: typeof this.roomWaiters = [];
    const over = !this.running || this.failed !== undefined;
    for (const waiter of this.roomWaiters) {
      const ring = this.host.inputs[waiter.partition];
      if (over || ring === undefined || ring.capacity - ring.used() >= ring.capacity >> 2) waiter.resolve();
      else waiting.push(waiter);
    }
    this.roomWaiters = waiting;
    if (waiting.length === 0 && this.roomTimer !== null) {
      clearInterval(this.roomTimer);
      this.roomTimer = null;
    }
  };

  /**
   * Makes dispatched ticks visible to the partitions. Inline, they are run
   * now and their accepted ticks handed on before this returns (`serve`),
   * or all their results (`replay`).
   */
  publish(): void {
    this.dispatcher.publish();
    if (this.host.threads === 0) {
      this.host.run();
      this.drainSlice(this.eventLoop);
    }
  }

  /**
   * Inline: hands on the accepted ticks now, and the other results (or, with
   * `ticksOnly` false, a slice of them) now or in later turns of the event
   * loop. uWS sends what was published when the event loop's turn ends, so
   * everything done before then delays the trades: the other results of a
   * frame's ticks (forming bars, closing windows) wait for the next turns
   * (docs/benchmarks.md, "The live scenario against a transport floor").
   */
  drainSlice(ticksOnly = false): void {
    try {
      if (ticksOnly) this.drain.pollTicks(this.answers.visitor);
      else this.drain.poll(this.answers.visitor, this.slice);
    } catch (err) {
      this.fail(err as Error);
    }
    if (this.continuing || !this.eventLoop || !this.drain.hasWork()) return;
    this.continuing = true;
    setImmediate(this.continueDrain);
  }

  private readonly continueDrain = (): void => {
    this.continuing = false;
    if (this.failure === undefined) this.drainSlice();
  };

  /**
   * `replay`: blocks this thread until results may be waiting (at most
   * `timeoutMs`). Inline there is nothing to wait for: results are made
   * when ticks are published.
   */
  waitForResults(turn: number, timeoutMs: number): void {
    const outputs = this.host.outputs;
    if (this.host.threads > 0) outputs[turn % outputs.length]?.waitForData(timeoutMs);
  }

  private readonly waitForRoom = (partition: number): void => {
    this.makeRoom(partition, this.host.inputs[partition]?.maxPayload ?? 64);
  };

  /**
   * Called while a partition's in-ring has no room for `bytes`: inline, runs
   * the partition; with workers, hands on results (so a worker blocked on
   * its out-ring can go on) and waits a moment for the worker.
   */
  private makeRoom(partition: number, bytes: number): void {
    const ring = this.host.inputs[partition];
    ring?.publish();
    if (this.host.threads === 0) this.host.run();
    this.drainNow();
    if (this.host.threads > 0) ring?.waitForSpace(bytes, 1);
    else if (this.host.failed !== undefined) throw this.host.failed;
  }

  /** Inline, `serve`: the clock-driven work the workers do between records. */
  private startMaintenance(analytics: AnalyticsConfig): void {
    const live = analytics.echoTicks || analytics.barUpdateMs >= 0 || analytics.idleCloseMs > 0;
    if (!live) return;
    const period = Math.min(IDLE_CHECK_MS, Math.max(1, analytics.barUpdateMs >= 0 ? analytics.barUpdateMs >> 2 : IDLE_CHECK_MS));
    this.maintenance = setInterval(() => {
      this.host.maintain(Date.now());
      this.drainSlice();
      if (this.host.failed !== undefined) this.fail(this.host.failed);
    }, period);
  }

  /** Bytes waiting in each in-ring and out-ring, for metrics. */
  ringOccupancy(): { input: number[]; output: number[]; echo: number[] } {
    return { input: this.host.inputs.map((ring) => ring.used()), ...this.drain.occupancy() };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.checkRoom();
    if (this.maintenance !== null) clearInterval(this.maintenance);
    this.maintenance = null;
    await this.loopDone;
    this.drainNow();
    await this.host.stop();
  }

  /** Immediate stop, for failures: workers are terminated. */
  async terminate(): Promise<void> {
    this.running = false;
    this.checkRoom();
    if (this.maintenance !== null) clearInterval(this.maintenance);
    this.maintenance = null;
    await this.host.terminate();
  }

  /** Hands every waiting accepted tick, and a slice of the other results, to the visitor; returns how many. */
  drainNow(): number {
    try {
      return this.drain.poll(this.answers.visitor, this.slice);
    } catch (err) {
      this.fail(err as Error);
      return 0;
    }
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.running = false;
    for (const listener of this.onFailure) listener(err);
  }

  /**
   * One round of the drain loop: drain, then either yield to the event loop
   * (sockets and timers run between batches) or park until a worker rings.
   */
  private readonly step = (): void => {
    if (!this.running) {
      this.loopEnded();
      return;
    }
    if (this.drainNow() > 0) {
      setImmediate(this.step);
      return;
    }
    if (this.host.failed !== undefined) {
      this.fail(this.host.failed);
      this.loopEnded();
      return;
    }
    this.doorbell?.park(this.hasWork, 50, this.step);
  };

  private readonly hasWork = (): boolean => this.drain.hasWork();
}
