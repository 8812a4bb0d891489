// --help text, generated from the option definitions so it cannot drift.

import { envName, type CommandName } from '../config/option';
import { optionsFor } from '../config/load';

const USAGE: Readonly<Record<CommandName, string>> = {
  serve: 'tickflow serve [options]\n  Run the engine: ingest, analytics, WebSocket/HTTP on one port.',
  replay:
    'tickflow replay FILE|- [options]\n  Run the pipeline over a file (NDJSON, CSV or FlatBuffers) as fast as it ' +
    'goes;\n  write final bars, indicators and alerts as NDJSON, then a stats line.',
  gen: 'tickflow gen [options]\n  Write a seeded synthetic feed of trades and quotes.',
};

export function commandHelp(command: CommandName): string {
  const rows = optionsFor(command).map(([, option]) => {
    const name = option.boolean ? `--${option.flag}, --no-${option.flag}` : `--${option.flag} <${option.kind}>`;
    const fallback = option.defaultText ?? option.show(option.defaultValue());
    return `  ${name}\n      ${option.description} Default: ${fallback}. [${envName(option.flag)}]`;
  });
  return `${USAGE[command]}\n\nOptions:\n${rows.join('\n')}\n  --help\n      Show this help.\n`;
}

export function mainHelp(): string {
  return [
    'tickflow: a low-latency market data engine.',
    '',
    'Commands:',
    ...(['serve', 'replay', 'gen'] as const).map((c) => `  ${USAGE[c].split('\n')[0]}`),
    '',
    'Every option can also be set with a TICKFLOW_* environment variable or in a JSON',
    'config file (--config FILE); flags win over variables, variables over the file.',
    "Run tickflow <command> --help for a command's options.",
    '',
  ].join('\n');
}
