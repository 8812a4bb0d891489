// The input fast paths must agree with the general decoders. The NDJSON fast path must agree with JSON.parse on every line it accepts,
// down to the last bit of every number, and give up on every line JSON.parse
// rejects.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder, ByteBuffer } from 'flatbuffers';
import { Tick } from '../../src/fb/generated/tickflow/fb/tick';
import { readTickFields, tickToFields } from '../../src/ingest/flatbuffers-decoder';
import { ScannedTick, scanTick } from '../../src/ingest/tick-scanner';
import { seededRandom } from '../fixtures/seeded-random';

const KEYS = ['symbol', 'event_type', 'timestamp', 'price', 'volume', 'bid', 'ask', 'exchange', 'seq'] as const;

function scanBetween(before: string, line: string, after: string): ScannedTick | null {
  const bytes = Buffer.from(`${before}${line}${after}`, 'utf8');
  const start = Buffer.byteLength(before);
  const out = new ScannedTick();
  return scanTick(bytes, start, start + Buffer.byteLength(line), out) ? out : null;
}

function scan(line: string): ScannedTick | null {
  // Surrounded by other bytes, as a line inside a chunk is.
  const fast = scanBetween('{"x":1}\n', line, '\n{"symbol":"NEXT"}');
  // Followed at once by bytes that would complete a cut-off literal, string
  // or object: the scan must stop at the line's end all the same.
  const glued = scanBetween('', line, 'ue}"}1}');
  assert.equal(glued === null, fast === null, `the bytes after ${line} changed the result`);
  return fast;
}

function parsed(line: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(line) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function assertAgrees(line: string): boolean {
  const fast = scan(line);
  const slow = parsed(line);
  if (fast === null) return false;
  assert.ok(slow !== null, `scanned a line JSON.parse rejects: ${line}`);
  for (const key of KEYS) {
    const a = fast[key];
    const b = slow[key];
    assert.ok(Object.is(a, b), `${key} of ${line}: scanned ${String(a)}, JSON.parse ${String(b)}`);
  }
  return true;
}

const NUMBERS = [
  '0',
  '-0',
  '1',
  '42',
  '100.5',
  '0.000123',
  '1e3',
  '1E-3',
  '2.5e+2',
  '123456789012345',
  '1234567890123456789',
  '9007199254740993',
  '0.1',
  '0.30000000000000004',
  '1e22',
  '1e23',
  '1e-22',
  '1e-23',
  '4.9e-324',
  '1e400',
  '-1e400',
  '189.45',
  '23.63',
  '15.07',
  '1704205810007',
  '01',
  '1.',
  '.5',
  '-',
  '1e',
  '1e+',
  '+1',
  '0x10',
  'NaN',
  'Infinity',
  '1_000',
  '00',
  '-01',
  '1.2.3',
  '12a',
];
const STRINGS = [
  '"AAPL"',
  '"BRK.B"',
  '"TRADE"',
  '"QUOTE"',
  '"XNAS"',
  '""',
  '"a\\"b"',
  '"\\u0041"',
  '"é"',
  '"tab\there"',
  '"日本"',
  '"unterminated',
];
const OTHERS = ['true', 'false', 'null', '[]', '{}', '{"a":1}', '[1,2]', 'nul', 'tru'];

describe('NDJSON tick scanner', () => {
  it('agrees with JSON.parse on typical ticks and takes the fast path for them', () => {
    const lines = [
      '{"symbol":"NUVV","event_type":"TRADE","timestamp":1704205809992,"price":15.07,"volume":900,"exchange":"XNAS","seq":3184}',
      '{"symbol":"MJG","event_type":"BBO","timestamp":1704205810007,"bid":23.62,"ask":23.64,"exchange":"XNYS","seq":1666}',
      ' { "symbol" : "A" , "event_type" : "QUOTE" , "timestamp" : 1 , "bid" : 1 , "ask" : 2 } ',
      '{"symbol":"A","symbol":"B","unknown":"x","other":null,"flag":true,"n":-3.5e-7}',
      '{}',
    ];
    for (const line of lines) assert.ok(assertAgrees(line), `fell back on ${line}`);
  });

  it('agrees with JSON.parse on random lines, and gives up on what JSON.parse rejects', () => {
    const random = seededRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    let fast = 0;
    for (let n = 0; n < 20_000; n++) {
      const pairs: string[] = [];
      const count = Math.floor(random() * 6);
      for (let k = 0; k < count; k++) {
        const key = random() < 0.8 ? `"${pick(KEYS)}"` : pick(['"other"', '"a\\u0062"', '"sym bol"', 'bare', '"é"']);
        const value = random() < 0.5 ? pick(NUMBERS) : random() < 0.6 ? pick(STRINGS) : pick(OTHERS);
        const space = (): string => (random() < 0.2 ? pick([' ', '\t', '  ', '\r']) : '');
        pairs.push(`${space()}${key}${space()}:${space()}${value}${space()}`);
      }
      let line = `{${pairs.join(random() < 0.97 ? ',' : ';')}}`;
      if (random() < 0.03) line += pick([' ', 'x', ',', '}']);
      if (random() < 0.02) line = line.slice(0, Math.floor(random() * line.length));
      if (assertAgrees(line)) fast++;
    }
    assert.ok(fast > 5000, `only ${fast} of 20000 lines took the fast path`);
  });

  it('never returns a string remembered from bytes that were since overwritten', () => {
    const bytes = Buffer.from('{"symbol":"AAAA","exchange":"XNAS"}', 'latin1');
    const out = new ScannedTick();
    assert.ok(scanTick(bytes, 0, bytes.length, out));
    assert.equal(out.symbol, 'AAAA');
    bytes.write('{"symbol":"BBBB","exchange":"XNYS"}', 'latin1');
    assert.ok(scanTick(bytes, 0, bytes.length, out));
    assert.deepEqual([out.symbol, out.exchange], ['BBBB', 'XNYS']);
    // Many symbols through one reused buffer: remembered strings share hash slots.
    const random = seededRandom(3);
    for (let n = 0; n < 20_000; n++) {
      const symbol = Array.from({ length: 4 }, () => String.fromCharCode(65 + Math.floor(random() * 26))).join('');
      bytes.write(`{"symbol":"${symbol}","exchange":"XNYS"}`, 'latin1');
      assert.ok(scanTick(bytes, 0, bytes.length, out));
      assert.equal(out.symbol, symbol);
    }
  });

  it('agrees on random decimal numbers bit for bit', () => {
    const random = seededRandom(11);
    for (let n = 0; n < 50_000; n++) {
      const digits = 1 + Math.floor(random() * 20);
      let text = '';
      for (let d = 0; d < digits; d++) text += String(Math.floor(random() * 10));
      text = text.replace(/^0+(?=\d)/, '');
      const dot = Math.floor(random() * (text.length + 1));
      if (dot > 0 && dot < text.length && random() < 0.7) text = `${text.slice(0, dot)}.${text.slice(dot)}`;
      if (random() < 0.2) text += `e${random() < 0.5 ? '-' : ''}${Math.floor(random() * 30)}`;
      if (random() < 0.3) text = `-${text}`;
      assertAgrees(`{"price":${text}}`);
    }
  });
});

describe('FlatBuffers tick fields without objects', () => {
  it('reads the same values as the generated accessors, for any present or absent field', () => {
    const random = seededRandom(5);
    const int64s = [
      0n,
      1n,
      -1n,
      1_704_205_810_007n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
      -(2n ** 53n) - 3n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      4_294_967_296n,
      4_294_967_295n,
      -4_294_967_296n,
    ];
    const strings = ['AAPL', 'BRK.B', '', 'é', '日本', 'XNAS', 'a"b'];
    const holder = new ScannedTick();
    for (let n = 0; n < 3000; n++) {
      const b = new Builder(256);
      const maybe = (): boolean => random() < 0.8;
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      const symbol = maybe() ? b.createString(pick(strings)) : 0;
      const exchange = maybe() ? b.createString(pick(strings)) : 0;
      Tick.startTick(b);
      if (symbol !== 0) Tick.addSymbol(b, symbol);
      if (maybe()) Tick.addEventType(b, Math.floor(random() * 5) - 1);
      if (maybe()) Tick.addTimestamp(b, pick(int64s));
      if (maybe()) Tick.addPrice(b, random() < 0.1 ? -0 : random() * 1000);
      if (maybe()) Tick.addVolume(b, pick(int64s));
      if (maybe()) Tick.addBid(b, random() * 100);
      if (maybe()) Tick.addAsk(b, random() * 100);
      if (exchange !== 0) Tick.addExchange(b, exchange);
      if (maybe()) Tick.addSeq(b, pick(int64s));
      b.finish(Tick.endTick(b));
      const bb = new ByteBuffer(b.asUint8Array());
      const tick = Tick.getRootAsTick(bb);
      const slow = tickToFields(tick);
      const fast = readTickFields(bb, tick.bb_pos, holder);
      for (const key of KEYS) assert.ok(Object.is(fast[key], slow[key]), `${key}: ${String(fast[key])} vs ${String(slow[key])}`);
    }
  });
});
