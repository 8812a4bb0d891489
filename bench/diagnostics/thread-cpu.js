// Preload for an engine under a benchmark's load: which of its threads use
// the CPU? Reads user and system time of every thread of the process from
// /proc at 3 s and at 17 s after start (the steady part of a 20 s live run)
// and, at exit, writes one JSON line to the file named by TICKFLOW_DIAG_OUT
// (default: stderr): seconds of each, the event-loop thread as `main`, the
// others by thread id (worker threads, V8's helper threads). Linux only.
//
//   TICKFLOW_BENCH_NODE_ARGS="--require ./bench/diagnostics/thread-cpu.js" \
//     TICKFLOW_DIAG_OUT=/tmp/cpu.ndjson npm run bench -- live --rates 10000 --runs 2 --engines tickflow
'use strict';
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const HZ = 100;

function threadTimes() {
  const times = {};
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = Number(tid) === process.pid ? 'main' : tid;
      times[name] = { user: Number(fields[11]) / HZ, system: Number(fields[12]) / HZ };
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return times;
}

if (isMainThread) {
  let start = null;
  let end = null;
  setTimeout(() => (start = threadTimes()), 3000).unref();
  setTimeout(() => (end = threadTimes()), 17000).unref();
  process.on('exit', () => {
    if (start === null || end === null) return;
    const threads = {};
    for (const [name, t] of Object.entries(end)) {
      const s = start[name] ?? { user: 0, system: 0 };
      const user = t.user - s.user;
      const system = t.system - s.system;
      if (user + system > 0) threads[name] = { user_s: Number(user.toFixed(2)), system_s: Number(system.toFixed(2)) };
    }
    const line = JSON.stringify({ pid: process.pid, window_s: 14, threads }) + '\n';
    fs.appendFileSync(process.env.TICKFLOW_DIAG_OUT ?? '/dev/stderr', line);
  });
}
