// Preload for an engine under a benchmark's load: how fast does its old
// generation fill, and when do major collections come? Every 2 s it notes
// the used size of the old, new and large-object spaces of the main thread
// (MB), and it notes every collection other than a scavenge (its start in
// ms from process start, its kind as perf_hooks gives it, and its duration).
// At exit one JSON line goes to TICKFLOW_DIAG_OUT (default: stderr). An old
// space that grows by megabytes a second while the live heap stays flat is
// promoted garbage: heap-sample.js with TICKFLOW_DIAG_PROMOTED=1 says who
// allocates it.
//
//   TICKFLOW_BENCH_NODE_ARGS="--require ./bench/diagnostics/heap-spaces.js" \
//     TICKFLOW_DIAG_OUT=/tmp/spaces.ndjson npm run bench -- live --rates 10000 --runs 1 --engines tickflow
'use strict';
const v8 = require('node:v8');
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');
const { PerformanceObserver, performance, constants } = require('node:perf_hooks');

const MB = 1024 * 1024;

if (isMainThread) {
  const samples = [];
  const majors = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = e.detail?.kind ?? 0;
      if (kind !== constants.NODE_PERFORMANCE_GC_MINOR)
        majors.push({ at: Math.round(e.startTime), kind, ms: Number(e.duration.toFixed(2)) });
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    const used = {};
    for (const space of v8.getHeapSpaceStatistics()) used[space.space_name] = Number((space.space_used_size / MB).toFixed(1));
    samples.push({ at: Math.round(performance.now()), old: used.old_space, young: used.new_space, large: used.large_object_space });
  }, 2000).unref();
  process.on('exit', () => {
    const line = JSON.stringify({ pid: process.pid, samples, majors });
    if (process.env.TICKFLOW_DIAG_OUT) fs.appendFileSync(process.env.TICKFLOW_DIAG_OUT, `${line}\n`);
    else process.stderr.write(`${line}\n`);
  });
}
