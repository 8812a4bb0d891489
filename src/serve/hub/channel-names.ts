// Channel names of the subscriber protocol (SPEC §3):
//
//   trades.<SYM>   quotes.<SYM>   bars.<interval>.<SYM>   indicators.<SYM>   alerts.<SYM>
//
// with `*` in place of <SYM> for every symbol. Symbols may contain dots
// (`BRK.B`), so a name is split at its first dot (and, for bars, its second);
// whatever follows is the symbol.

import { SYMBOL_PATTERN } from '../../records/tick-rules';

export type ChannelKind = 'trades' | 'quotes' | 'bars' | 'indicators' | 'alerts';

export interface ChannelSpec {
  readonly kind: ChannelKind;
  /** Interval label for bars ("1m"), else "". */
  readonly interval: string;
  /** The symbol, or "*" for all. */
  readonly symbol: string;
}

const KINDS: readonly ChannelKind[] = ['trades', 'quotes', 'bars', 'indicators', 'alerts'];

export function channelName(kind: ChannelKind, interval: string, symbol: string): string {
  return kind === 'bars' ? `bars.${interval}.${symbol}` : `${kind}.${symbol}`;
}

/** The wildcard channel covering `spec`'s kind (and interval). */
export function wildcardOf(spec: ChannelSpec): string {
  return channelName(spec.kind, spec.interval, '*');
}

/**
 * Parses a channel name against the configured bar interval labels; returns
 * the spec, or a sentence saying what is wrong.
 */
export function parseChannel(name: unknown, intervals: readonly string[]): ChannelSpec | string {
  if (typeof name !== 'string') return `a channel must be a string, got ${typeof name}`;
  const dot = name.indexOf('.');
  const kind = name.slice(0, dot) as ChannelKind;
  if (dot === -1 || !KINDS.includes(kind)) {
    return (
      `unknown channel ${JSON.stringify(name)}: expected trades.<SYM>, quotes.<SYM>, bars.<interval>.<SYM>, ` +
      `indicators.<SYM> or alerts.<SYM>`
    );
  }
  let interval = '';
  let symbol = name.slice(dot + 1);
  if (kind === 'bars') {
    const second = symbol.indexOf('.');
    interval = second === -1 ? symbol : symbol.slice(0, second);
    symbol = second === -1 ? '' : symbol.slice(second + 1);
    if (!intervals.includes(interval)) {
      return `unknown bar interval in ${JSON.stringify(name)}: this server has ${intervals.join(', ')}`;
    }
  }
  if (symbol !== '*' && !SYMBOL_PATTERN.test(symbol)) {
    return `bad symbol in channel ${JSON.stringify(name)}: expected * or 1-32 characters of A-Z a-z 0-9 . _ : / -`;
  }
  return { kind, interval, symbol };
}
