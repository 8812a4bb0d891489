// `tickflow serve`: the live engine. (Its server is not built yet.)

import type { Loaded } from '../config/load';

export async function runServe(_loaded: Loaded, log: (line: string) => void): Promise<number> {
  log('tickflow serve: not available in this build; use tickflow replay or tickflow gen');
  return 1;
}
