// The record the feed refills for every line or table it emits: a tick as
// SPEC §1 spells it, plus what the encoders need to render a malformed one.
// One instance is reused per record, so the hot loop allocates nothing here.

import { EventType } from '../fb/generated/tickflow/fb/event-type';
import { EVENT_TYPE_NAMES } from '../records/tick-fields';
import { Flaw } from './flaw';

export { EventType, EVENT_TYPE_NAMES };

export class GenTick {
  /** Index of the symbol in the universe; not encoded. */
  symbolIndex = 0;
  symbol = '';
  eventType: EventType = EventType.TRADE;
  timestamp = 0;
  /** NaN when absent, as are volume, bid and ask. */
  price = NaN;
  volume = NaN;
  bid = NaN;
  ask = NaN;
  exchange = '';
  seq = 0;
  /** Flaw.NONE for a valid tick; see flaw.ts for how each flaw is rendered. */
  flaw: Flaw = Flaw.NONE;

  copyFrom(other: GenTick): this {
    this.symbolIndex = other.symbolIndex;
    this.symbol = other.symbol;
    this.eventType = other.eventType;
    this.timestamp = other.timestamp;
    this.price = other.price;
    this.volume = other.volume;
    this.bid = other.bid;
    this.ask = other.ask;
    this.exchange = other.exchange;
    this.seq = other.seq;
    this.flaw = other.flaw;
    return this;
  }
}
