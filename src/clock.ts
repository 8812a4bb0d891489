// A millisecond clock that every thread of the process reads alike, for
// latency probes that start on one thread and end on another.
// performance.now() is relative to each thread's own timeOrigin; adding the
// origin puts all threads on one (monotonic since start-up) timeline, with
// sub-microsecond resolution at today's epoch values.

export function monotonicMs(): number {
  return performance.timeOrigin + performance.now();
}
