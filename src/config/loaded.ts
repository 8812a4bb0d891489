// The shape of a command's configuration once read: every option's value,
// where each came from, and the positional arguments. A file of its own so
// that the checks across options (checks.ts) and the reader (load.ts) both
// name it without importing each other.

import type { Origin } from './invalid';
import type { OptionKey, ValueOf } from './options';

export type Config = { readonly [K in OptionKey]: ValueOf<K> };

export interface Loaded {
  readonly config: Config;
  readonly positionals: readonly string[];
  /** Where each option of the command came from, for the start-up banner. */
  readonly origin: Readonly<Record<string, Origin>>;
  readonly help: boolean;
}
