// SPEC §1 validation of one tick given as a decoded JSON value (CSV rows are
// first turned into such values by csv-decoder.ts). Produces the fields the
// engine needs, or a Rejection naming the first rule broken, checking fields
// in the SPEC's order. Unknown fields are ignored.

import { EventType } from '../fb/generated/tickflow/fb/event-type';
import { Rejection } from '../records/rejection';
import { MAX_EXCHANGE_LENGTH, MAX_TIMESTAMP_EXCLUSIVE, MIN_TIMESTAMP, SYMBOL_PATTERN } from '../records/tick-rules';

/** A valid tick. Absent optional numbers are NaN (seq: -1); exchange defaults to "". */
export class ValidTick {
  symbol = '';
  eventType: EventType = EventType.TRADE;
  timestamp = 0;
  price = NaN;
  volume = 0;
  bid = NaN;
  ask = NaN;
  exchange = '';
  seq = -1;
}

type Fields = Record<string, unknown>;

/** A valid tick as the SPEC names its fields, absent ones left out (for dead letters). */
export function tickRecord(tick: ValidTick): Fields {
  const out: Fields = { symbol: tick.symbol, event_type: EventType[tick.eventType], timestamp: tick.timestamp };
  if (!Number.isNaN(tick.price)) out.price = tick.price;
  out.volume = tick.volume;
  if (!Number.isNaN(tick.bid)) out.bid = tick.bid;
  if (!Number.isNaN(tick.ask)) out.ask = tick.ask;
  if (tick.exchange !== '') out.exchange = tick.exchange;
  if (tick.seq >= 0) out.seq = tick.seq;
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${String(value)}`;
}

/** Characters as users count them: code points, not UTF-16 units. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function absent(value: unknown): boolean {
  return value === undefined || value === null;
}

function missing(field: string, why: string): Rejection {
  return new Rejection('missing_field', field, `${field} is required${why}`);
}

/** A finite number > 0, or a Rejection. */
function positive(fields: Fields, field: string): number | Rejection {
  const value = fields[field];
  if (typeof value !== 'number') return new Rejection('wrong_type', field, `${field} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value <= 0)
    return new Rejection('out_of_range', field, `${field} must be a finite number > 0, got ${value}`);
  return value;
}

/** An integer in [0, 2^53), or a Rejection. */
function count(fields: Fields, field: string): number | Rejection {
  const value = fields[field];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return new Rejection('wrong_type', field, `${field} must be an integer, got ${describe(value)}`);
  }
  if (value < 0 || value > Number.MAX_SAFE_INTEGER)
    return new Rejection('out_of_range', field, `${field} must be >= 0 and <= 2^53-1, got ${value}`);
  return value;
}

/** Symbols already found valid: a feed repeats a few many thousand times a second. */
const validSymbols = new Set<string>();
/** Past this many, further symbols are checked every time (a flood of distinct names cannot grow the set). */
const MAX_REMEMBERED_SYMBOLS = 100_000;

function validSymbol(symbol: string): boolean {
  if (validSymbols.has(symbol)) return true;
  if (!SYMBOL_PATTERN.test(symbol)) return false;
  if (validSymbols.size < MAX_REMEMBERED_SYMBOLS) validSymbols.add(symbol);
  return true;
}

/** Fills `out` from `value`; returns null when valid or the Rejection. */
export function validateTick(value: unknown, out: ValidTick): Rejection | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return new Rejection('not_an_object', '', `a tick must be a JSON object, got ${describe(value)}`);
  }
  const fields = value as Fields;

  const symbol = fields.symbol;
  if (absent(symbol)) return missing('symbol', '');
  if (typeof symbol !== 'string') return new Rejection('wrong_type', 'symbol', `symbol must be a string, got ${describe(symbol)}`);
  if (!validSymbol(symbol)) {
    return new Rejection('invalid_value', 'symbol', `symbol must be 1-32 characters of A-Z a-z 0-9 . _ : / -, got ${describe(symbol)}`);
  }

  const type = fields.event_type;
  if (absent(type)) return missing('event_type', '');
  if (typeof type !== 'string') return new Rejection('wrong_type', 'event_type', `event_type must be a string, got ${describe(type)}`);
  let eventType: EventType;
  if (type === 'TRADE') eventType = EventType.TRADE;
  else if (type === 'QUOTE') eventType = EventType.QUOTE;
  else if (type === 'BBO') eventType = EventType.BBO;
  else return new Rejection('invalid_value', 'event_type', `event_type must be TRADE, QUOTE or BBO, got ${describe(type)}`);
  const trade = eventType === EventType.TRADE;

  const timestamp = fields.timestamp;
  if (absent(timestamp)) return missing('timestamp', '');
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp)) {
    return new Rejection('wrong_type', 'timestamp', `timestamp must be an integer of ms since the epoch, got ${describe(timestamp)}`);
  }
  if (timestamp < MIN_TIMESTAMP || timestamp >= MAX_TIMESTAMP_EXCLUSIVE) {
    return new Rejection(
      'out_of_range',
      'timestamp',
      `timestamp must be in [${MIN_TIMESTAMP}, ${MAX_TIMESTAMP_EXCLUSIVE}), got ${timestamp}`,
    );
  }

  let price = NaN;
  if (absent(fields.price)) {
    if (trade) return missing('price', ' for a TRADE');
  } else {
    const p = positive(fields, 'price');
    if (p instanceof Rejection) return p;
    price = p;
  }

  let volume = 0;
  if (absent(fields.volume)) {
    if (trade) return missing('volume', ' for a TRADE');
  } else {
    const v = count(fields, 'volume');
    if (v instanceof Rejection) return v;
    volume = v;
  }

  let bid = NaN;
  let ask = NaN;
  if (absent(fields.bid)) {
    if (!trade) return missing('bid', ` for a ${type}`);
  } else {
    const b = positive(fields, 'bid');
    if (b instanceof Rejection) return b;
    bid = b;
  }
  if (absent(fields.ask)) {
    if (!trade) return missing('ask', ` for a ${type}`);
  } else {
    const a = positive(fields, 'ask');
    if (a instanceof Rejection) return a;
    ask = a;
  }

  let exchange = '';
  if (!absent(fields.exchange)) {
    if (typeof fields.exchange !== 'string') {
      return new Rejection('wrong_type', 'exchange', `exchange must be a string, got ${describe(fields.exchange)}`);
    }
    if (fields.exchange.length > MAX_EXCHANGE_LENGTH && codePoints(fields.exchange) > MAX_EXCHANGE_LENGTH) {
      return new Rejection(
        'invalid_value',
        'exchange',
        `exchange must be at most ${MAX_EXCHANGE_LENGTH} characters, got ${describe(fields.exchange)}`,
      );
    }
    exchange = fields.exchange;
  }

  let seq = -1;
  if (!absent(fields.seq)) {
    const s = count(fields, 'seq');
    if (s instanceof Rejection) return s;
    seq = s;
  }

  if (bid > ask) return new Rejection('bid_above_ask', 'bid', `bid ${bid} is above ask ${ask}`);

  out.symbol = symbol;
  out.eventType = eventType;
  out.timestamp = timestamp;
  out.price = price;
  out.volume = volume;
  out.bid = bid;
  out.ask = ask;
  out.exchange = exchange;
  out.seq = seq;
  return null;
}
