// NDJSON output: one object per line, keys in SPEC §1 order, absent fields
// left out. Lines are concatenated by hand: symbols and exchanges never need
// JSON escaping (the generator only makes [A-Z] names, venue codes and, for
// INVALID_SYMBOL, a space), and a template string is several times cheaper
// than JSON.stringify of an object per tick.

import { Flaw } from './flaw';
import { EVENT_TYPE_NAMES, type GenTick } from './gen-tick';
import type { EncoderOutput, TickEncoder } from './tick-encoder';

export function ndjsonLine(t: GenTick): string {
  let line = `{"symbol":"${t.symbol}","event_type":"${EVENT_TYPE_NAMES[t.eventType] as string}","timestamp":${t.timestamp}`;
  if (t.price === t.price) line += t.flaw === Flaw.NUMBER_AS_STRING ? `,"price":"${t.price}"` : `,"price":${t.price}`;
  if (t.volume === t.volume) line += `,"volume":${t.volume}`;
  if (t.bid === t.bid) line += `,"bid":${t.bid}`;
  if (t.ask === t.ask) line += `,"ask":${t.ask}`;
  line += `,"exchange":"${t.exchange}","seq":${t.seq}}`;
  // A writer that died mid-line.
  return t.flaw === Flaw.UNPARSABLE ? line.slice(0, line.length >> 1) : line;
}

export class NdjsonEncoder implements TickEncoder {
  constructor(private readonly out: EncoderOutput) {}

  write(tick: GenTick): void {
    this.out.line(ndjsonLine(tick));
  }

  flush(): void {}
}
