// Preload for an engine under a benchmark's load: what does its main thread
// allocate? The inspector's sampling heap profiler runs from start to exit,
// keeping objects that were collected (the garbage is the point), and at exit
// one JSON line goes to TICKFLOW_DIAG_OUT (default: stderr): the megabytes
// allocated and the 15 functions that allocated most, by self size.
//
//   TICKFLOW_BENCH_NODE_ARGS="--require ./bench/diagnostics/heap-sample.js" \
//     TICKFLOW_DIAG_OUT=/tmp/heap.ndjson npm run bench -- live --rates 10000 --runs 1 --engines tickflow
//
// With TICKFLOW_DIAG_PROMOTED=1 it keeps only what outlived the young
// generation (objects a scavenge collected are left out): what was promoted
// to the old generation, live or collected later by a major GC.
'use strict';
const inspector = require('node:inspector');
const { isMainThread } = require('node:worker_threads');
const fs = require('node:fs');

if (isMainThread) {
  const session = new inspector.Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env.TICKFLOW_DIAG_PROMOTED !== '1',
  });
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // The inspector answers synchronously on its own session.
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) return;
      const bySite = new Map();
      const visit = (node) => {
        const f = node.callFrame;
        const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
        bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
        for (const child of node.children) visit(child);
      };
      visit(result.profile.head);
      const total = [...bySite.values()].reduce((a, b) => a + b, 0);
      const top = [...bySite]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([site, bytes]) => [site, Number((bytes / 1e6).toFixed(1))]);
      const line = JSON.stringify({ pid: process.pid, allocated_mb: Math.round(total / 1e6), top_mb: top });
      if (process.env.TICKFLOW_DIAG_OUT) fs.appendFileSync(process.env.TICKFLOW_DIAG_OUT, `${line}\n`);
      else process.stderr.write(`${line}\n`);
    });
  };
  process.on('exit', write);
}
