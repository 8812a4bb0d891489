// Preload for an engine under a benchmark's load: where does its event loop
// stall, and is it garbage collection? A 1 ms interval timer notes every
// turn that came late by more than 0.7 ms; the gc performance entries note
// every collection. At exit one JSON line goes to the file named by
// TICKFLOW_DIAG_OUT (default: stderr): stalls in the steady window (from 3 s
// after start to 1 s before exit), their total, how many overlapped a
// collection, and the collections by kind.
//
//   TICKFLOW_BENCH_NODE_ARGS="--require ./bench/diagnostics/loop-lag.js" \
//     TICKFLOW_DIAG_OUT=/tmp/lag.ndjson npm run bench -- live --rates 10000 --runs 1 --engines tickflow
'use strict';
const { PerformanceObserver, performance } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');
const fs = require('node:fs');

if (isMainThread) {
  const collections = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) collections.push({ at: e.startTime, ms: e.duration, kind: e.detail?.kind ?? 0 });
  }).observe({ entryTypes: ['gc'] });
  const stalls = [];
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - 1;
    if (late > 0.7) stalls.push({ at: last, ms: late });
    last = now;
  }, 1).unref();
  process.on('exit', () => {
    const end = performance.now() - 1000;
    const steady = stalls.filter((s) => s.at > 3000 && s.at < end);
    const withGc = steady.filter((s) => collections.some((c) => c.at >= s.at - 1 && c.at <= s.at + s.ms + 1)).length;
    const kinds = {};
    for (const c of collections) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    const line = JSON.stringify({
      pid: process.pid,
      steady_stalls: steady.length,
      steady_stall_ms: Math.round(steady.reduce((a, s) => a + s.ms, 0)),
      steady_stalls_with_gc: withGc,
      collections: collections.length,
      collection_ms: Math.round(collections.reduce((a, c) => a + c.ms, 0)),
      collections_by_kind: kinds,
      longest_steady_ms: steady
        .map((s) => s.ms)
        .sort((a, b) => b - a)
        .slice(0, 5)
        .map((ms) => Number(ms.toFixed(1))),
    });
    if (process.env.TICKFLOW_DIAG_OUT) fs.appendFileSync(process.env.TICKFLOW_DIAG_OUT, `${line}\n`);
    else process.stderr.write(`${line}\n`);
  });
}
