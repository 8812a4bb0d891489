// One option of the typed configuration: how it is spelt, parsed, defaulted and
// documented. Every command-line flag, TICKFLOW_* variable, config-file key,
// --help line and docs/configuration.md row comes from one of these.

export type CommandName = 'serve' | 'replay' | 'gen';

/** A raw value as a flag, an environment variable or a config-file entry gives it. */
export type RawValue = string | number | boolean;

export interface Option<T> {
  /** kebab-case flag name without dashes; also the config-file key. */
  readonly flag: string;
  /** Short type name for help and docs, e.g. "integer", "duration". */
  readonly kind: string;
  /** What a valid value looks like, completing "expected ...". */
  readonly expected: string;
  readonly description: string;
  readonly commands: readonly CommandName[];
  /** Text for docs when the default is computed at start-up. */
  readonly defaultText?: string;
  /** True for flags that take no value (`--pin`, `--no-pin`). */
  readonly boolean: boolean;
  /** Options a config file cannot set (--config itself); flags and TICKFLOW_* variables still can. */
  readonly cliOnly?: boolean;
  defaultValue(): T;
  /** The parsed value, or undefined when `raw` is not valid. */
  parse(raw: RawValue): T | undefined;
  /** How the value is shown in the effective configuration and docs. */
  show(value: T): string;
}

export function envName(flag: string): string {
  return `TICKFLOW_${flag.toUpperCase().replace(/-/g, '_')}`;
}

interface Common<T> {
  flag: string;
  description: string;
  commands: readonly CommandName[];
  default: T | (() => T);
  defaultText?: string;
  cliOnly?: boolean;
}

function defaultOf<T>(spec: Common<T>): () => T {
  const d = spec.default;
  return typeof d === 'function' ? (d as () => T) : () => d;
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function toInteger(raw: RawValue): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string' || !INTEGER.test(raw.trim())) return undefined;
  const n = Number(raw.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

export function integer(spec: Common<number> & { min: number; max?: number }): Option<number> {
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  const expected = spec.max === undefined ? `an integer >= ${spec.min}` : `an integer from ${spec.min} to ${max}`;
  return {
    flag: spec.flag,
    kind: 'integer',
    expected,
    description: spec.description,
    commands: spec.commands,
    defaultText: spec.defaultText,
    boolean: false,
    cliOnly: spec.cliOnly,
    defaultValue: defaultOf(spec),
    parse(raw) {
      const n = toInteger(raw);
      return n !== undefined && n >= spec.min && n <= max ? n : undefined;
    },
    show: String,
  };
}

export function decimal(spec: Common<number> & { min: number; exclusiveMin?: boolean }): Option<number> {
  const expected = `a number ${spec.exclusiveMin === true ? '>' : '>='} ${spec.min}`;
  return {
    flag: spec.flag,
    kind: 'number',
    expected,
    description: spec.description,
    commands: spec.commands,
    defaultText: spec.defaultText,
    boolean: false,
    cliOnly: spec.cliOnly,
    defaultValue: defaultOf(spec),
    parse(raw) {
      let n: number | undefined;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && NUMBER.test(raw.trim())) n = Number(raw.trim());
      if (n === undefined || !Number.isFinite(n)) return undefined;
      return (spec.exclusiveMin === true ? n > spec.min : n >= spec.min) ? n : undefined;
    },
    show: String,
  };
}

export function flag(spec: Common<boolean>): Option<boolean> {
  return {
    flag: spec.flag,
    kind: 'boolean',
    expected: 'true or false',
    description: spec.description,
    commands: spec.commands,
    defaultText: spec.defaultText,
    boolean: true,
    cliOnly: spec.cliOnly,
    defaultValue: defaultOf(spec),
    parse(raw) {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (s === 'true' || s === '1' || s === 'yes') return true;
      if (s === 'false' || s === '0' || s === 'no') return false;
      return undefined;
    },
    show: String,
  };
}

export function text(spec: Common<string> & { allowEmpty?: boolean }): Option<string> {
  return {
    flag: spec.flag,
    kind: 'string',
    expected: 'a non-empty string',
    description: spec.description,
    commands: spec.commands,
    defaultText: spec.defaultText,
    boolean: false,
    cliOnly: spec.cliOnly,
    defaultValue: defaultOf(spec),
    parse(raw) {
      if (typeof raw !== 'string') return undefined;
      return raw.length > 0 || spec.allowEmpty === true ? raw : undefined;
    },
    show: (v) => (v === '' ? '""' : v),
  };
}

export function choice<C extends string>(spec: Common<C> & { choices: readonly C[] }): Option<C> {
  return {
    flag: spec.flag,
    kind: spec.choices.join('|'),
    expected: `one of ${spec.choices.join(', ')}`,
    description: spec.description,
    commands: spec.commands,
    defaultText: spec.defaultText,
    boolean: false,
    cliOnly: spec.cliOnly,
    defaultValue: defaultOf(spec),
    parse(raw) {
      return spec.choices.find((c) => c === raw);
    },
    show: String,
  };
}

/** A custom-parsed option; `parse` returns undefined for an invalid value. */
export function custom<T>(
  spec: Common<T> & {
    kind: string;
    expected: string;
    parse: (raw: RawValue) => T | undefined;
    show: (v: T) => string;
  },
): Option<T> {
  return {
    flag: spec.flag,
    kind: spec.kind,
    expected: spec.expected,
    description: spec.description,
    commands: spec.commands,
    defaultText: spec.defaultText,
    boolean: false,
    cliOnly: spec.cliOnly,
    defaultValue: defaultOf(spec),
    parse: spec.parse,
    show: spec.show,
  };
}
