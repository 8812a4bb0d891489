// The probe's clock: wakes the probe's event loop when its next tick is
// due, to the tens of microseconds, without spinning. Node's own timers
// round to a millisecond, and a setImmediate loop that polls the clock
// takes a whole core, on a machine whose two cores the engine under test
// needs. So a worker thread (probe-clock-worker.ts) sleeps in Atomics.wait,
// whose timeout is a futex's, and wakes the main thread through
// Atomics.waitAsync, which leaves it free to read its sockets meanwhile.
//
// A thread's timed waits end up to its timer slack late (50 µs by default);
// a thread inherits the slack of the thread that starts it, so the probe
// lowers its own to 1 ns before starting the clock's worker. A 100 µs
// Atomics.wait in a worker overshot by 68 µs at the median with the default,
// 19 µs with 1 ns (2,000 waits each on the 2-core bench machine). Where
// /proc/self/timerslack_ns cannot be written, the default stays and the
// probe's lateness shows it.
//
// Shared memory, one Int32 per slot (this file is the only definition):
//
//   slot   written by   waited on by   meaning
//   SENT   main         clock          ticks sent so far (tick i is due at start + i · interval)
//   WAKE   clock        main           wake-ups given so far
//   STOP   main         clock          1: the clock ends
//
// Order of operations, and why no wake-up is lost: the clock reads SENT
// (n), sleeps until tick n is due, then adds 1 to WAKE and notifies, then
// waits on SENT while it still equals n. The main thread waits on WAKE
// while it equals the count it last saw, sends every tick due, stores the
// new SENT and notifies. Each wait compares its slot with the expected value
// inside the wait itself, so a bump made between a thread's last read and
// its wait returns at once ("not-equal") instead of sleeping through it.
// The main thread always sends tick n when woken, because it tests
// `n · interval <= elapsed` with the same arithmetic on a later clock
// reading than the worker's, so SENT moves and the clock goes on; at most
// one wake-up is ever outstanding. The clock's waits on SENT time out now
// and then only so that it sees STOP even if the main thread has stopped.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export const SLOT_SENT = 0;
export const SLOT_WAKE = 1;
export const SLOT_STOP = 2;
export const SLOTS = 3;

/** What the clock is told when the run starts; crosses to the worker by postMessage. */
export interface ClockStart {
  /** hrtime ns (decimal string) at which tick 0 is due. */
  readonly start: string;
  readonly intervalNs: number;
  readonly total: number;
  /** At most one wake-up per this many ns (on a grid from tick 0): above 1 / minGapNs ticks a second, the ticks due go out in batches. */
  readonly minGapNs: number;
}

export interface ClockData {
  readonly slots: SharedArrayBuffer;
}

export class ProbeClock {
  private readonly slots = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private readonly worker: Worker;
  private seen = 0;

  private constructor() {
    try {
      writeFileSync('/proc/self/timerslack_ns', '1');
    } catch {
      // Not Linux, or not allowed: the default slack.
    }
    const data: ClockData = { slots: this.slots.buffer as SharedArrayBuffer };
    this.worker = new Worker(join(__dirname, 'probe-clock-worker.js'), { workerData: data });
    this.worker.unref();
  }

  /** Starts the worker thread and resolves once it runs, so that starting the clock later costs no thread start-up. */
  static async create(): Promise<ProbeClock> {
    const clock = new ProbeClock();
    await new Promise<void>((resolve, reject) => {
      clock.worker.once('online', resolve);
      clock.worker.once('error', reject);
    });
    return clock;
  }

  begin(plan: ClockStart): void {
    this.worker.postMessage(plan);
  }

  /** Resolves at the clock's next wake-up: at once when one came since the last call. */
  async wake(): Promise<void> {
    const wait = Atomics.waitAsync(this.slots, SLOT_WAKE, this.seen);
    if (wait.async) await wait.value;
    this.seen = Atomics.load(this.slots, SLOT_WAKE);
  }

  /** Ticks 0..count-1 are sent: the clock may sleep until tick `count` is due. */
  sent(count: number): void {
    Atomics.store(this.slots, SLOT_SENT, count);
    Atomics.notify(this.slots, SLOT_SENT);
  }

  /** The timer slack the clock's thread started with, in ns; NaN where the kernel does not say. */
  static timerSlackNs(): number {
    try {
      return Number(readFileSync('/proc/self/timerslack_ns', 'utf8'));
    } catch {
      return NaN;
    }
  }

  get wakes(): number {
    return Atomics.load(this.slots, SLOT_WAKE);
  }

  async stop(): Promise<void> {
    Atomics.store(this.slots, SLOT_STOP, 1);
    Atomics.notify(this.slots, SLOT_STOP);
    Atomics.notify(this.slots, SLOT_SENT);
    await this.worker.terminate();
  }
}
