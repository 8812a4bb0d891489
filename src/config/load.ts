// Resolves the configuration of one command from, in order of precedence,
// command-line flags, TICKFLOW_* environment variables, a JSON config file and
// the frozen defaults. Every value is validated here, at start-up.

import { readFileSync } from 'node:fs';
import { checkCommand } from './checks';
import { invalidOption, usageError, type Origin } from './invalid';
import { envName, type CommandName, type Option, type RawValue } from './option';
import type { Config, Loaded } from './loaded';
import { options, type OptionKey } from './options';

export type { Config, Loaded };

type AnyOption = Option<unknown>;

export function optionsFor(command: CommandName): Array<[OptionKey, AnyOption]> {
  return (Object.keys(options) as OptionKey[])
    .map((key): [OptionKey, AnyOption] => [key, options[key] as AnyOption])
    .filter(([, option]) => option.commands.includes(command));
}

interface ParsedArgs {
  flags: Map<string, RawValue>;
  positionals: string[];
  help: boolean;
}

function parseArgs(command: CommandName, argv: readonly string[], known: Map<string, AnyOption>): ParsedArgs {
  const flags = new Map<string, RawValue>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    let name = arg.slice(2, eq === -1 ? undefined : eq);
    let value: RawValue | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let option = arg.startsWith('--') ? known.get(name) : undefined;
    if (option === undefined && name.startsWith('no-') && value === undefined) {
      const positive = known.get(name.slice(3));
      if (positive?.boolean === true) {
        option = positive;
        name = name.slice(3);
        value = false;
      }
    }
    if (option === undefined) {
      throw usageError(`unknown option ${arg.split('=')[0]} for tickflow ${command}; see tickflow ${command} --help`);
    }
    if (value === undefined) {
      if (option.boolean) {
        value = true;
      } else {
        const next = argv[i + 1];
        if (next === undefined) throw usageError(`invalid configuration: --${name} needs a value: expected ${option.expected}`);
        value = next;
        i++;
      }
    }
    flags.set(name, value);
  }
  return { flags, positionals, help };
}

function readConfigFile(path: string): Record<string, unknown> {
  let textValue: string;
  try {
    textValue = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalidOption('config', path, `a readable JSON file (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(textValue);
  } catch (err) {
    throw invalidOption('config', path, `a file of valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidOption('config', path, 'a JSON object keyed by option names');
  }
  return parsed as Record<string, unknown>;
}

export function loadConfig(command: CommandName, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Loaded {
  const own = optionsFor(command);
  const known = new Map(own.map(([, option]) => [option.flag, option]));
  const args = parseArgs(command, argv, known);

  const configPath = args.flags.get('config') ?? env[envName('config')];
  let file: Record<string, unknown> = {};
  if (typeof configPath === 'string' && configPath !== '') {
    file = readConfigFile(configPath);
    const everyFlag = new Set(Object.values(options).map((o) => o.flag));
    for (const key of Object.keys(file)) {
      if (!everyFlag.has(key) || key === 'config') {
        throw usageError(
          `invalid configuration: config file ${JSON.stringify(configPath)} has unknown key ${JSON.stringify(key)}; ` +
            `keys are option names such as "lateness-ms"`,
        );
      }
    }
  }

  const values: Record<string, unknown> = {};
  const origin: Record<string, Origin> = {};
  for (const key of Object.keys(options) as OptionKey[]) {
    const option = options[key] as AnyOption;
    values[key] = option.defaultValue();
    if (!option.commands.includes(command)) continue;
    const fromFlag = args.flags.get(option.flag);
    const fromEnv = env[envName(option.flag)];
    const fromFile = option.cliOnly === true ? undefined : file[option.flag];
    let raw: RawValue | undefined;
    if (fromFlag !== undefined) {
      raw = fromFlag;
      origin[option.flag] = 'flag';
    } else if (fromEnv !== undefined) {
      raw = fromEnv;
      origin[option.flag] = 'env';
    } else if (fromFile !== undefined) {
      if (typeof fromFile !== 'string' && typeof fromFile !== 'number' && typeof fromFile !== 'boolean') {
        throw invalidOption(option.flag, fromFile, option.expected, 'file');
      }
      raw = fromFile;
      origin[option.flag] = 'file';
    } else {
      origin[option.flag] = 'default';
      continue;
    }
    const parsed = option.parse(raw);
    if (parsed === undefined) throw invalidOption(option.flag, raw, option.expected, origin[option.flag]);
    values[key] = parsed;
  }
  const loaded: Loaded = { config: Object.freeze(values) as Config, positionals: args.positionals, origin, help: args.help };
  if (!loaded.help) checkCommand(command, loaded);
  return loaded;
}
