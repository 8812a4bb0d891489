// The one wording of a configuration error (SPEC: "one line naming the field,
// the value and what was expected"), for every place that finds one: the
// option parsers, the checks across options (checks.ts), and the few that
// can only be found when a file is read or a port is bound.
//
//   invalid configuration: --partitions = "1.5" (from TICKFLOW_PARTITIONS): expected auto, or ...
//
// The CLI prints it after `tickflow: ` and before the error's code.

import { ConfigError } from '../errors';
import { envName } from './option';

/** Where a value came from, as the message names it. */
export type Origin = 'flag' | 'env' | 'file' | 'default';

/** " (from TICKFLOW_X)" or " (from config file)"; nothing for a flag or a default. */
export function fromWhere(flag: string, origin: Origin | undefined): string {
  if (origin === 'env') return ` (from ${envName(flag)})`;
  if (origin === 'file') return ' (from config file)';
  return '';
}

function shown(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value)
    : typeof value === 'object' && value !== null
      ? JSON.stringify(value)
      : String(value);
}

/** One option with a value it may not have. */
export function invalidOption(flag: string, value: unknown, expected: string, origin?: Origin): ConfigError {
  return new ConfigError(`invalid configuration: --${flag} = ${shown(value)}${fromWhere(flag, origin)}: expected ${expected}`);
}

/** Options whose values do not go together (each value named). */
export function invalidTogether(values: ReadonlyArray<readonly [string, unknown]>, expected: string): ConfigError {
  return new ConfigError(
    `invalid configuration: ${values.map(([flag, value]) => `--${flag} = ${shown(value)}`).join(', ')}: expected ${expected}`,
  );
}

/** A file an option names whose contents are wrong (`problem` says where and what was expected). */
export function invalidFile(flag: string, path: string, problem: string): ConfigError {
  return new ConfigError(`invalid configuration: --${flag} = ${JSON.stringify(path)}: ${problem}`);
}

/** A command line that is not a configuration at all (an unknown flag, a missing argument). */
export function usageError(message: string): ConfigError {
  return new ConfigError(message);
}
