// What a subscriber asked for and how each channel reaches it. A wildcard
// (`trades.*`) covers the concrete channels of its family, so those are not
// delivered twice; for a token restricted to some symbols a wildcard is
// expanded to those symbols' channels when it is requested.

import { entitled, type Principal } from '../access/auth';
import { channelName, parseChannel, wildcardOf, type ChannelSpec } from '../hub/channel-names';

export interface Requested {
  readonly spec: ChannelSpec;
  readonly throttleMs: number;
}

export type Mode = 'topic' | 'managed';

export interface Delivery {
  readonly mode: Mode;
  readonly throttleMs: number;
}

export interface Expansion {
  /** Names to subscribe (concrete, or a wildcard for unrestricted tokens). */
  readonly names: string[];
  readonly error?: { readonly code: 'bad_channel' | 'forbidden'; readonly message: string };
}

export class SubscriptionSet {
  private readonly requested = new Map<string, Requested>();

  constructor(
    private readonly principal: Principal,
    private readonly intervals: readonly string[],
  ) {}

  get size(): number {
    return this.requested.size;
  }

  has(name: string): boolean {
    return this.requested.has(name);
  }

  /** The names a requested channel stands for, or why it is refused. */
  expand(name: unknown): Expansion {
    const spec = parseChannel(name, this.intervals);
    if (typeof spec === 'string') return { names: [], error: { code: 'bad_channel', message: spec } };
    if (spec.symbol !== '*') {
      if (!entitled(this.principal, spec.symbol)) {
        return { names: [], error: { code: 'forbidden', message: `not entitled to ${spec.symbol}` } };
      }
      return { names: [name as string] };
    }
    const symbols = this.principal.symbols;
    if (symbols === null) return { names: [name as string] };
    return { names: [...symbols].sort().map((symbol) => channelName(spec.kind, spec.interval, symbol)) };
  }

  add(name: string, throttleMs: number): void {
    const spec = parseChannel(name, this.intervals);
    if (typeof spec !== 'string') this.requested.set(name, { spec, throttleMs });
  }

  remove(name: string): boolean {
    return this.requested.delete(name);
  }

  names(): string[] {
    return [...this.requested.keys()];
  }

  /**
   * How each channel should be delivered: through its uWS topic, or managed
   * by the session (throttled, or a conflatable kind while the client lags).
   */
  delivery(slow: boolean): Map<string, Delivery> {
    const out = new Map<string, Delivery>();
    for (const [name, { spec, throttleMs }] of this.requested) {
      if (spec.symbol !== '*' && this.requested.has(wildcardOf(spec))) continue;
      const conflatable = spec.kind === 'quotes' || spec.kind === 'bars';
      out.set(name, { mode: throttleMs > 0 || (slow && conflatable) ? 'managed' : 'topic', throttleMs });
    }
    return out;
  }
}
