// The ticks the load generators send, and how a receiver finds a tick's seq
// again in what the server delivers. Kept apart from the generators'
// programs because those register IPC handlers when loaded: the scenarios
// and the other generators import from here instead.

export function symbolName(i: number): string {
  return `S${String(i).padStart(4, '0')}`;
}

/**
 * publisher.ts's mix: two thirds trades, one third quotes, symbols
 * round-robin with a stride so neighbours differ. `seq` is i.
 */
export function mixedTickLine(i: number, rate: number, eventStart: number, names: readonly string[]): string {
  const symbol = names[(i * 7) % names.length] as string;
  const ts = eventStart + Math.floor((i * 1000) / rate);
  const price = 100 + ((i % 97) - 48) * 0.01;
  const head = `{"symbol":"${symbol}","event_type":"${i % 3 !== 2 ? 'TRADE' : 'QUOTE'}","timestamp":${ts},`;
  const tail = `"exchange":"XNAS","seq":${i}}`;
  if (i % 3 !== 2) return `${head}"price":${price.toFixed(2)},"volume":${100 + (i % 9) * 100},${tail}`;
  return `${head}"bid":${(price - 0.01).toFixed(2)},"ask":${(price + 0.01).toFixed(2)},${tail}`;
}

/** Trades among mixed ticks 0..sent-1 (every third is a quote): each reaches one symbol subscriber and the wildcard. */
export function expectedDeliveries(sent: number): number {
  return 2 * (sent - Math.floor((sent + 1) / 3));
}

/**
 * The probe's ticks: trades only, so each one sent is delivered exactly
 * once on `trades.*`; symbols round-robin over `prefixes` (from
 * tradePrefixes). `seq` is i and comes last, which seqOf relies on.
 */
export function tradeLine(i: number, rate: number, eventStart: number, prefixes: readonly string[]): string {
  const ts = eventStart + Math.floor((i * 1000) / rate);
  const price = 100 + ((i % 97) - 48) * 0.01;
  const volume = 100 + (i % 9) * 100;
  return `${prefixes[i % prefixes.length] as string}${ts},"price":${price.toFixed(2)},"volume":${volume},"exchange":"XNAS","seq":${i}}`;
}

/** Each symbol's constant head of a trade line, built once rather than per tick. */
export function tradePrefixes(symbols: number): string[] {
  return Array.from({ length: symbols }, (_, i) => `{"symbol":"${symbolName(i)}","event_type":"TRADE","timestamp":`);
}

const SEQ = Buffer.from('"seq":', 'latin1');
const ZERO = 0x30;
const NINE = 0x39;

/**
 * The tick's seq in a delivered message bytes[start, end): the value of its
 * last `"seq":`. One rule for every engine: tickflow and the baseline send
 * `{"ch":..,"seq":<channel seq>,"data":{...tick...,"seq":i}}`, where the
 * tick's own seq comes after the channel's, and the floor sends the tick line
 * itself. -1 when there is none. Reads bytes, so nothing is decoded.
 */
export function seqOf(bytes: Buffer, start: number, end: number): number {
  if (end - start < SEQ.length) return -1;
  const at = bytes.lastIndexOf(SEQ, end - SEQ.length);
  if (at < start) return -1;
  let value = -1;
  for (let i = at + SEQ.length; i < end; i++) {
    const c = bytes[i] as number;
    if (c < ZERO || c > NINE) break;
    value = (value < 0 ? 0 : value * 10) + (c - ZERO);
  }
  return value;
}
