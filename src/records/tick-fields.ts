// A validated tick as the partition engine sees it: interned ids instead of
// strings and sentinels instead of nulls (see fbs/ring.fbs). One instance is
// refilled per tick, so the hot path allocates nothing for it.

import { EventType } from '../fb/generated/tickflow/fb/event-type';
import { EVENT_TYPES } from './records';

export { EventType };

export class TickFields {
  symbolId = 0;
  exchangeId = 0;
  eventType: EventType = EventType.TRADE;
  timestamp = 0;
  /** 0 when absent. */
  price = 0;
  volume = 0;
  /** 0 when absent. */
  bid = 0;
  /** 0 when absent. */
  ask = 0;
  /** -1 when absent. */
  seq = -1;
  /**
   * Where the tick came from (fbs/ring.fbs RingTick.origin): a file's line or
   * tick index, a Kafka position, or an /ingest connection and index
   * (ingestOrigin in serve/ws/ingest-endpoint.ts); 0 when unknown.
   */
  origin = 0;
  /** Latency probes (ms, shared monotonic clock); 0 when not measured. */
  ingestTime = 0;
  dequeueTime = 0;
  emitTime = 0;

  /** Takes a validated tick's values (absent price, bid and ask as NaN) under interned ids. */
  fill(tick: TickValues, symbolId: number, exchangeId: number): void {
    this.symbolId = symbolId;
    this.exchangeId = exchangeId;
    this.eventType = tick.eventType;
    this.timestamp = tick.timestamp;
    this.price = Number.isNaN(tick.price) ? 0 : tick.price;
    this.volume = tick.volume;
    this.bid = Number.isNaN(tick.bid) ? 0 : tick.bid;
    this.ask = Number.isNaN(tick.ask) ? 0 : tick.ask;
    this.seq = tick.seq;
  }
}

/** What a validated tick carries besides its names. */
export interface TickValues {
  readonly eventType: EventType;
  readonly timestamp: number;
  readonly price: number;
  readonly volume: number;
  readonly bid: number;
  readonly ask: number;
  readonly seq: number;
}

/** The JSON name of each EventType value (records.ts lists them in enum order). */
export const EVENT_TYPE_NAMES: readonly string[] = EVENT_TYPES;
