// The typed configuration of every command: the single definition from which
// flags, TICKFLOW_* variables, config-file keys, --help and
// docs/configuration.md are all derived. The options are defined by concept
// (engine-options.ts, serve-options.ts, file-options.ts) and gathered here in
// the order --help lists them.

import { engineOptions } from './engine-options';
import { fileOptions } from './file-options';
import { text } from './option';
import { serveOptions } from './serve-options';

export { AUTO_PARTITIONS, AUTO_RING, ringKibFor } from './engine-options';

export const options = {
  config: text({
    flag: 'config',
    default: '',
    defaultText: '(none)',
    cliOnly: true,
    commands: ['serve', 'replay', 'gen'],
    description: 'JSON file of option values keyed by flag name; flags and TICKFLOW_* variables override it.',
  }),
  ...engineOptions,
  ...serveOptions,
  ...fileOptions,
} as const;

export type Options = typeof options;
export type OptionKey = keyof Options;
export type ValueOf<K extends OptionKey> = ReturnType<Options[K]['defaultValue']>;
