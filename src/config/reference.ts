// docs/configuration.md, rendered from the option table (npm run gen:docs).
// test/unit/config-reference.test.ts fails when the file in the repository is not
// what this renders, so the reference cannot drift from the code.

import { CACHE_DIR_ENV } from '../single-executable/unpack';
import { envName, type CommandName, type Option } from './option';
import { optionsFor } from './load';

const COMMANDS: ReadonlyArray<[CommandName, string]> = [
  ['serve', 'Runs the engine: ingest, analytics, WebSocket and HTTP on one port.'],
  ['replay', 'Runs the pipeline over a file as fast as it goes and writes final records as NDJSON.'],
  ['gen', 'Writes a seeded synthetic feed.'],
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(option: Option<unknown>): string {
  const flag = option.boolean ? `\`--${option.flag}\`, \`--no-${option.flag}\`` : `\`--${option.flag}\``;
  const key = option.cliOnly === true ? '—' : `\`${option.flag}\``;
  const fallback = option.defaultText ?? option.show(option.defaultValue());
  return (
    `| ${flag} | \`${envName(option.flag)}\` | ${key} | ${cell(option.kind)} | ${cell(fallback)} | ` +
    `${cell(option.description)} Expects ${cell(option.expected)}. |`
  );
}

export function configurationReference(): string {
  const sections = COMMANDS.map(([command, summary]) =>
    [
      `## tickflow ${command}`,
      '',
      summary,
      '',
      '| flag | variable | config key | type | default | meaning |',
      '|---|---|---|---|---|---|',
      ...optionsFor(command).map(([, option]) => row(option)),
      '',
    ].join('\n'),
  );
  return `# Configuration reference

<!-- Generated from src/config/options.ts by \`npm run gen:docs\`; do not edit by hand. -->

Every option of \`tickflow serve\`, \`replay\` and \`gen\`, from the one option
table in \`src/config/options.ts\`, which also gives \`tickflow <command> --help\`.
This file is generated from it by \`npm run gen:docs\`, and a test fails when
it is stale.

## Where values come from

Each option can be given in three places. The first one found wins:

1. a command-line flag: \`--lateness-ms 2000\` or \`--lateness-ms=2000\`;
   a boolean option is \`--pin\` or \`--no-pin\`;
2. a \`TICKFLOW_*\` environment variable: the flag in capitals with \`-\` as
   \`_\`, e.g. \`TICKFLOW_LATENESS_MS=2000\`; booleans take \`true\`/\`false\`,
   \`1\`/\`0\` or \`yes\`/\`no\`;
3. a JSON config file named by \`--config FILE\` (or \`TICKFLOW_CONFIG\`): one
   object keyed by flag names, with string, number or boolean values:

   \`\`\`json
   { "partitions": 3, "lateness-ms": 2000, "intervals": "1s,1m", "pin": false }
   \`\`\`

   One file can serve every command: a key that a command does not take is
   ignored by it, and a key that no command takes is an error.

Otherwise the default applies. Every value, and every combination of values
that must go together, is checked at start-up; a bad one stops the command
with exit code 2 and one line that names the option, the value, where it came
from and what was expected, then the error's code:

\`\`\`
tickflow: invalid configuration: --partitions = "-1" (from TICKFLOW_PARTITIONS): expected auto, or an integer from 0 (inline) to 256 [ERR_TICKFLOW_CONFIG]
\`\`\`

\`tickflow serve\` logs the effective configuration at start-up (the message
\`configuration\`), with the token file and TLS key shown only as \`(set)\` and,
under \`from\`, where each value that is not a default came from.

Durations are a number and a unit: \`ms\`, \`s\`, \`m\` or \`h\` (\`--retention\`
also takes \`d\` for days).

${sections.join('\n')}
## Environment of the single executable

The \`tickflow\` executable that \`npm run build:binary\` makes reads one more
variable, before any command runs:

| variable | default | meaning |
|---|---|---|
| \`${CACHE_DIR_ENV}\` | \`$XDG_CACHE_HOME/tickflow\`, else \`~/.cache/tickflow\` | Folder where the executable unpacks its native addons, worker bundles and dashboard on first start, one subfolder per build. It must be writable, and private to the user that runs tickflow: code is loaded from it. |
`;
}
