// CSV output: a header naming the SPEC §1 fields, then one row per tick with
// empty cells for absent fields. No cell needs quoting: names, venue codes and
// numbers hold no comma, quote or newline.

import { Flaw } from './flaw';
import { EVENT_TYPE_NAMES, type GenTick } from './gen-tick';
import type { EncoderOutput, TickEncoder } from './tick-encoder';

export const CSV_HEADER = 'symbol,event_type,timestamp,price,volume,bid,ask,exchange,seq';

function cell(value: number): string {
  return value === value ? String(value) : '';
}

export function csvRow(t: GenTick): string {
  // A price typed as currency text is a string to the CSV reader, as "101.5" is in JSON.
  const price = t.flaw === Flaw.NUMBER_AS_STRING ? `$${t.price}` : cell(t.price);
  const type = EVENT_TYPE_NAMES[t.eventType] as string;
  const head = `${t.symbol},${type},${t.timestamp},${price},${cell(t.volume)},${cell(t.bid)},${cell(t.ask)}`;
  // A truncated row: two cells short of the header.
  return t.flaw === Flaw.UNPARSABLE ? head : `${head},${t.exchange},${t.seq}`;
}

export class CsvEncoder implements TickEncoder {
  /** Writes the header at once, so even an empty feed is a readable CSV file. */
  constructor(private readonly out: EncoderOutput) {
    out.line(CSV_HEADER);
  }

  write(tick: GenTick): void {
    this.out.line(csvRow(tick));
  }

  flush(): void {}
}
