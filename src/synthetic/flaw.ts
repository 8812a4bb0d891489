// The malformed records `--invalid-rate` injects, one per SPEC §1 reject rule.
// Most are ordinary field values (a negative price, a timestamp in seconds)
// that every encoding can carry; UNPARSABLE and NUMBER_AS_STRING exist only
// as text, and a fractional volume cannot be written to a FlatBuffers long,
// so `--format fb` draws from SCHEMA_FLAWS only.

import type { RejectReason } from '../records/rejection';

export enum Flaw {
  NONE = 0,
  /** A truncated line (NDJSON) or a row missing cells (CSV). */
  UNPARSABLE,
  /** The price given as a string: "price":"101.5" in NDJSON, $101.5 in CSV. */
  NUMBER_AS_STRING,
  /** A volume such as 250.5. */
  FRACTIONAL_VOLUME,
  /** A TRADE without its price. */
  MISSING_FIELD,
  NEGATIVE_PRICE,
  /** A timestamp in seconds rather than milliseconds, decades before 2000. */
  TIMESTAMP_OUT_OF_RANGE,
  /** A ticker with a space in it ("ABCD US"). */
  INVALID_SYMBOL,
  /** A crossed quote: bid and ask swapped. */
  BID_ABOVE_ASK,
}

export const FLAW_NAMES: Readonly<Record<Flaw, string>> = {
  [Flaw.NONE]: 'none',
  [Flaw.UNPARSABLE]: 'unparsable',
  [Flaw.NUMBER_AS_STRING]: 'number_as_string',
  [Flaw.FRACTIONAL_VOLUME]: 'fractional_volume',
  [Flaw.MISSING_FIELD]: 'missing_field',
  [Flaw.NEGATIVE_PRICE]: 'negative_price',
  [Flaw.TIMESTAMP_OUT_OF_RANGE]: 'timestamp_out_of_range',
  [Flaw.INVALID_SYMBOL]: 'invalid_symbol',
  [Flaw.BID_ABOVE_ASK]: 'bid_above_ask',
};

/** The dead-letter reason the engine gives each flaw (src/records/rejection.ts). */
export const FLAW_REASON: Readonly<Record<Exclude<Flaw, Flaw.NONE>, RejectReason>> = {
  [Flaw.UNPARSABLE]: 'unparsable',
  [Flaw.NUMBER_AS_STRING]: 'wrong_type',
  [Flaw.FRACTIONAL_VOLUME]: 'wrong_type',
  [Flaw.MISSING_FIELD]: 'missing_field',
  [Flaw.NEGATIVE_PRICE]: 'out_of_range',
  [Flaw.TIMESTAMP_OUT_OF_RANGE]: 'out_of_range',
  [Flaw.INVALID_SYMBOL]: 'invalid_value',
  [Flaw.BID_ABOVE_ASK]: 'bid_above_ask',
};

export const TEXT_FLAWS: readonly Flaw[] = [
  Flaw.UNPARSABLE,
  Flaw.NUMBER_AS_STRING,
  Flaw.FRACTIONAL_VOLUME,
  Flaw.MISSING_FIELD,
  Flaw.NEGATIVE_PRICE,
  Flaw.TIMESTAMP_OUT_OF_RANGE,
  Flaw.INVALID_SYMBOL,
  Flaw.BID_ABOVE_ASK,
];

export const SCHEMA_FLAWS: readonly Flaw[] = [
  Flaw.MISSING_FIELD,
  Flaw.NEGATIVE_PRICE,
  Flaw.TIMESTAMP_OUT_OF_RANGE,
  Flaw.INVALID_SYMBOL,
  Flaw.BID_ABOVE_ASK,
];

/** The fields of a tick a flaw changes (a GenTick has them). */
export interface FlawTarget {
  flaw: Flaw;
  symbol: string;
  timestamp: number;
  price: number;
  volume: number;
  bid: number;
  ask: number;
}

/** The flaw's base record: a QUOTE for BID_ABOVE_ASK, a TRADE for the rest. */
export function flawNeedsQuote(flaw: Flaw): boolean {
  return flaw === Flaw.BID_ABOVE_ASK;
}

/**
 * Breaks a valid tick (a TRADE, or a QUOTE for BID_ABOVE_ASK) in the way
 * `flaw` names. Text-only flaws are only marked: the encoder renders them.
 */
export function applyFlaw(tick: FlawTarget, flaw: Flaw): void {
  tick.flaw = flaw;
  switch (flaw) {
    case Flaw.FRACTIONAL_VOLUME:
      tick.volume += 0.5;
      break;
    case Flaw.MISSING_FIELD:
      tick.price = NaN;
      break;
    case Flaw.NEGATIVE_PRICE:
      tick.price = -tick.price;
      break;
    case Flaw.TIMESTAMP_OUT_OF_RANGE:
      tick.timestamp = Math.floor(tick.timestamp / 1000);
      break;
    case Flaw.INVALID_SYMBOL:
      tick.symbol = `${tick.symbol} US`;
      break;
    case Flaw.BID_ABOVE_ASK: {
      const bid = tick.bid;
      tick.bid = tick.ask;
      tick.ask = bid;
      break;
    }
    default:
      break;
  }
}
