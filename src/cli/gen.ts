import type { Loaded } from '../config/load';

export async function runGen(_loaded: Loaded, _log: (line: string) => void): Promise<void> {
  throw new Error('gen: not implemented');
}
