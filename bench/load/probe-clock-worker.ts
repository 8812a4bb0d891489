// The worker side of the probe's clock (probe-clock.ts has the slots and
// why the order of operations below loses no wake-up): sleeps until the
// next unsent tick is due, wakes the main thread, waits for it to send.
//
// A timed wait overshoots, by the thread's timer slack (see probe-clock.ts)
// and the wake-up itself. So the clock sleeps that much less than it has
// to, by a running estimate of the overshoot, and spins the few
// microseconds left, but never more than SPIN_MAX_NS: spinning whatever
// was left under the overshoot took 40 % of a core at 10k ticks/s, and
// sleeping the whole way made the lateness at 200 ticks/s 124 µs at the
// median.

import { parentPort, workerData } from 'node:worker_threads';
import { SLOT_SENT, SLOT_STOP, SLOT_WAKE, type ClockData, type ClockStart } from './probe-clock';

/** How long a wait on SENT lasts before the clock looks at STOP again. */
const RECHECK_MS = 200;
/** The overshoot estimate's start, and the most one sleep may move it by: a stall says nothing about the timer. */
const OVERSHOOT_START_NS = 20_000;
const OVERSHOOT_SAMPLE_MAX_NS = 200_000;
/** The most the clock spins before a due time; with less time left than overshoot + this, it sleeps and is late. */
const SPIN_MAX_NS = 20_000;

function run(slots: Int32Array, plan: ClockStart): void {
  const start = BigInt(plan.start);
  const elapsed = (): number => Number(process.hrtime.bigint() - start);
  let lastWake = -Infinity;
  let overshoot = OVERSHOOT_START_NS;
  while (Atomics.load(slots, SLOT_STOP) === 0) {
    const next = Atomics.load(slots, SLOT_SENT);
    if (next >= plan.total) return;
    // On a grid of minGapNs from tick 0, not minGapNs after the last wake-up, which drifts later by each wake-up's delay.
    const due = Math.max(next * plan.intervalNs, (Math.floor(lastWake / plan.minGapNs) + 1) * plan.minGapNs);
    for (let left = due - elapsed(); left > SPIN_MAX_NS; left = due - elapsed()) {
      // Short of the due time by the usual overshoot; all the way when there is less time than that (late, but not spinning).
      const request = left > overshoot + SPIN_MAX_NS ? left - overshoot : left;
      const end = elapsed() + request;
      if (Atomics.wait(slots, SLOT_STOP, 0, request / 1e6) === 'not-equal') return;
      overshoot += (Math.min(Math.max(elapsed() - end, 0), OVERSHOOT_SAMPLE_MAX_NS) - overshoot) / 16;
    }
    while (elapsed() < due) {
      // The last few microseconds.
    }
    lastWake = elapsed();
    Atomics.add(slots, SLOT_WAKE, 1);
    Atomics.notify(slots, SLOT_WAKE);
    Atomics.wait(slots, SLOT_SENT, next, RECHECK_MS);
  }
}

const slots = new Int32Array((workerData as ClockData).slots);
parentPort?.once('message', (plan: ClockStart) => run(slots, plan));
