// Loads the CPU-affinity addon (native/). Pinning is an optimisation: where
// the addon is missing or the OS refuses, tickflow runs unpinned and says why.

import { packagePath } from '../single-executable/layout';

interface AffinityAddon {
  readonly supported: boolean;
  pinCurrentThread(cpu: number): void;
  currentThreadAffinity(): number[];
  currentCpu(): number;
  currentThreadId(): number;
}

const ADDON_PATH = packagePath('native/build/Release/tickflow_native.node', 'tickflow_native.node');

let loaded: AffinityAddon | Error | undefined;

export function affinityAddon(): AffinityAddon | Error {
  if (loaded === undefined) {
    try {
      loaded = require(ADDON_PATH) as AffinityAddon;
    } catch (err) {
      loaded = new Error(`the native addon did not load (${(err as Error).message.split('\n')[0]}); run npm install to build it`);
    }
  }
  return loaded;
}

/** Pins the calling thread to `cpu`. Returns null on success or the reason it could not. */
export function pinCurrentThread(cpu: number): string | null {
  const addon = affinityAddon();
  if (addon instanceof Error) return addon.message;
  if (!addon.supported) return 'thread pinning is not supported on this platform';
  try {
    addon.pinCurrentThread(cpu);
    return null;
  } catch (err) {
    return `pinning to CPU ${cpu} failed: ${(err as Error).message}`;
  }
}

/** The CPUs this process may run on (its affinity mask), or null if unknown. */
export function allowedCpus(): number[] | null {
  const addon = affinityAddon();
  if (addon instanceof Error || !addon.supported) return null;
  return addon.currentThreadAffinity();
}
