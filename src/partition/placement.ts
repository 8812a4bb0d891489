// How many partition workers `--partitions auto` (the default) gives each
// command, from the cores this process may use (its CPU affinity, which a
// container's cpuset or taskset narrows; else every core).
//
// serve   inline below 4 cores, else cores - 2 workers. A worker only pays
//         for its two thread hops when it has a core of its own: one core
//         goes to the event loop and one is left to the store writer, the
//         history readers and the OS. On fewer cores the hops wait for the
//         scheduler, and the inline engine is faster (docs/benchmarks.md).
// replay  cores - 1 workers, at least 1: nobody waits on a replay, and
//         parsing on the main thread overlaps analytics on the workers.

import { availableParallelism } from 'node:os';
import { AUTO_PARTITIONS } from '../config/options';
import { allowedCpus } from '../native/affinity';

export function usableCores(): number {
  return allowedCpus()?.length ?? availableParallelism();
}

/** Worker threads for `command`: the configured number, or the rule's for AUTO_PARTITIONS. */
export function partitionsFor(command: 'serve' | 'replay', configured: number, cores = usableCores()): number {
  if (configured !== AUTO_PARTITIONS) return configured;
  if (command === 'replay') return Math.max(1, cores - 1);
  return cores >= 4 ? cores - 2 : 0;
}
