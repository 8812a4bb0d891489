import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder } from 'flatbuffers';
import { Tick } from '../../src/fb/generated/tickflow/fb/tick';
import { TickBatch } from '../../src/fb/generated/tickflow/fb/tick-batch';
import { CsvDecoder, splitCsvRow } from '../../src/ingest/csv-decoder';
import type { DecodedSink } from '../../src/ingest/decoded-sink';
import { FlatBuffersDecoder } from '../../src/ingest/flatbuffers-decoder';
import { NdjsonDecoder } from '../../src/ingest/ndjson-decoder';
import type { Rejection } from '../../src/records/rejection';
import { ValidTick, validateTick } from '../../src/ingest/tick-validator';

const TS = 1_704_205_800_000;
const trade = { symbol: 'AAPL', event_type: 'TRADE', timestamp: TS, price: 100.5, volume: 10 };
const quote = { symbol: 'AAPL', event_type: 'QUOTE', timestamp: TS, bid: 100, ask: 100.1 };

function check(value: unknown): { reason: string; field: string } | ValidTick {
  const out = new ValidTick();
  const rejection = validateTick(value, out);
  return rejection === null ? out : { reason: rejection.reason, field: rejection.field };
}

const REJECTS: Array<[string, unknown, string, string]> = [
  ['an array', [1, 2], 'not_an_object', ''],
  ['a number', 42, 'not_an_object', ''],
  ['null', null, 'not_an_object', ''],
  ['no symbol', { ...trade, symbol: undefined }, 'missing_field', 'symbol'],
  ['a null symbol', { ...trade, symbol: null }, 'missing_field', 'symbol'],
  ['a numeric symbol', { ...trade, symbol: 7 }, 'wrong_type', 'symbol'],
  ['an empty symbol', { ...trade, symbol: '' }, 'invalid_value', 'symbol'],
  ['a symbol with a space', { ...trade, symbol: 'BRK A' }, 'invalid_value', 'symbol'],
  ['a 33-character symbol', { ...trade, symbol: 'A'.repeat(33) }, 'invalid_value', 'symbol'],
  ['no event_type', { ...trade, event_type: undefined }, 'missing_field', 'event_type'],
  ['a lower-case event_type', { ...trade, event_type: 'trade' }, 'invalid_value', 'event_type'],
  ['a numeric event_type', { ...trade, event_type: 0 }, 'wrong_type', 'event_type'],
  ['no timestamp', { ...trade, timestamp: undefined }, 'missing_field', 'timestamp'],
  ['a timestamp as a string', { ...trade, timestamp: String(TS) }, 'wrong_type', 'timestamp'],
  ['a fractional timestamp', { ...trade, timestamp: TS + 0.5 }, 'wrong_type', 'timestamp'],
  ['a timestamp before 2000', { ...trade, timestamp: 946_684_799_999 }, 'out_of_range', 'timestamp'],
  ['a timestamp in 2100', { ...trade, timestamp: 4_102_444_800_000 }, 'out_of_range', 'timestamp'],
  ['a trade without price', { ...trade, price: undefined }, 'missing_field', 'price'],
  ['a price as a string', { ...trade, price: '100.5' }, 'wrong_type', 'price'],
  ['a zero price', { ...trade, price: 0 }, 'out_of_range', 'price'],
  ['a negative price', { ...trade, price: -1 }, 'out_of_range', 'price'],
  ['an infinite price', { ...trade, price: Infinity }, 'out_of_range', 'price'],
  ['a trade without volume', { ...trade, volume: undefined }, 'missing_field', 'volume'],
  ['a fractional volume', { ...trade, volume: 1.5 }, 'wrong_type', 'volume'],
  ['a volume as a string', { ...trade, volume: '10' }, 'wrong_type', 'volume'],
  ['a negative volume', { ...trade, volume: -1 }, 'out_of_range', 'volume'],
  ['a volume above 2^53', { ...trade, volume: 2 ** 60 }, 'out_of_range', 'volume'],
  ['a quote without bid', { ...quote, bid: undefined }, 'missing_field', 'bid'],
  ['a BBO without ask', { ...quote, event_type: 'BBO', ask: null }, 'missing_field', 'ask'],
  ['a bid as a string', { ...quote, bid: '100' }, 'wrong_type', 'bid'],
  ['a zero ask', { ...quote, ask: 0 }, 'out_of_range', 'ask'],
  ['bid above ask', { ...quote, bid: 100.2 }, 'bid_above_ask', 'bid'],
  ['a trade with bid above ask', { ...trade, bid: 101, ask: 100 }, 'bid_above_ask', 'bid'],
  ['a quote with a bad optional price', { ...quote, price: -5 }, 'out_of_range', 'price'],
  ['a numeric exchange', { ...trade, exchange: 1 }, 'wrong_type', 'exchange'],
  ['a 17-character exchange', { ...trade, exchange: 'X'.repeat(17) }, 'invalid_value', 'exchange'],
  ['a fractional seq', { ...trade, seq: 1.5 }, 'wrong_type', 'seq'],
  ['a negative seq', { ...trade, seq: -1 }, 'out_of_range', 'seq'],
  ['a seq as a string', { ...trade, seq: '3' }, 'wrong_type', 'seq'],
];

describe('tick validation', () => {
  for (const [name, value, reason, field] of REJECTS) {
    it(`rejects ${name} as ${reason}`, () => {
      assert.deepEqual(check(value), { reason, field });
    });
  }

  it('accepts a full trade, a quote, a BBO and a trade with a book, with defaults for absent fields', () => {
    const full = check({ ...trade, bid: 100.4, ask: 100.6, exchange: 'XNAS', seq: 9, extra: 'ignored' });
    assert.ok(full instanceof ValidTick);
    assert.deepEqual(
      { ...full },
      {
        ...Object.assign(new ValidTick(), {
          symbol: 'AAPL',
          eventType: 0,
          timestamp: TS,
          price: 100.5,
          volume: 10,
          bid: 100.4,
          ask: 100.6,
          exchange: 'XNAS',
          seq: 9,
        }),
      },
    );
    const q = check(quote);
    assert.ok(q instanceof ValidTick);
    assert.deepEqual([q.eventType, q.volume, Number.isNaN(q.price), q.exchange, q.seq], [1, 0, true, '', -1]);
    assert.ok(check({ ...quote, event_type: 'BBO', bid: 100.1 }) instanceof ValidTick, 'bid equal to ask is a valid locked book');
    assert.ok(check({ ...trade, volume: 0, symbol: 'BRK.B:US/x_y-1' }) instanceof ValidTick);
    assert.ok(
      check({ ...trade, exchange: '\u{1F4C8}'.repeat(16) }) instanceof ValidTick,
      'exchange length counts characters, not UTF-16 units',
    );
  });
});

class Collect implements DecodedSink {
  readonly ticks: Array<{ symbol: string; timestamp: number; line: number }> = [];
  readonly rejects: Array<{ reason: string; line: number; raw: string | null }> = [];
  tick(t: ValidTick, line: number): void {
    this.ticks.push({ symbol: t.symbol, timestamp: t.timestamp, line });
  }
  reject(r: Rejection, line: number, raw: string | null): void {
    this.rejects.push({ reason: r.reason, line, raw });
  }
}

describe('NDJSON input', () => {
  it('numbers lines from 1, skips blank ones and handles CRLF and lines split across chunks', () => {
    const sink = new Collect();
    const decoder = new NdjsonDecoder(sink);
    const text = `${JSON.stringify(trade)}\r\n\n  \n{"symbol":"MS`;
    decoder.push(Buffer.from(text));
    decoder.push(Buffer.from(`FT","event_type":"TRADE","timestamp":${TS},"price":1,"volume":1}\nnot json\n{"a":1}`));
    decoder.end();
    assert.deepEqual(
      sink.ticks.map((t) => [t.symbol, t.line]),
      [
        ['AAPL', 1],
        ['MSFT', 4],
      ],
    );
    assert.deepEqual(
      sink.rejects.map((r) => [r.reason, r.line, r.raw]),
      [
        ['unparsable', 5, 'not json'],
        ['missing_field', 6, '{"a":1}'],
      ],
    );
  });

  it('rejects an overlong line once and carries on with the next', () => {
    const sink = new Collect();
    const decoder = new NdjsonDecoder(sink, 1000);
    decoder.push(Buffer.from(`{"symbol":"${'A'.repeat(600)}`));
    decoder.push(Buffer.from(`${'A'.repeat(600)}"}\n${JSON.stringify(trade)}\n`));
    decoder.end();
    assert.deepEqual(
      sink.rejects.map((r) => [r.reason, r.line]),
      [['unparsable', 1]],
    );
    assert.deepEqual(
      sink.ticks.map((t) => t.line),
      [2],
    );
  });
});

describe('CSV input', () => {
  it('splits quoted cells, with "" as a quote', () => {
    assert.deepEqual(splitCsvRow('a,"b,c","d""e",'), ['a', 'b,c', 'd"e', '']);
    assert.equal(splitCsvRow('a,"b'), null);
  });

  it('reads ticks by header name, treats empty cells as absent and non-numbers as wrong types', () => {
    const sink = new Collect();
    const decoder = new CsvDecoder(sink);
    decoder.push(
      Buffer.from(
        [
          '\uFEFFtimestamp,symbol,event_type,price,volume,bid,ask,exchange,seq,note',
          `${TS},AAPL,TRADE,100.5,10,,,XNAS,1,hello`,
          `${TS},AAPL,QUOTE,,,100,100.1,"XNAS",2,`,
          `${TS},AAPL,TRADE,abc,10,,,,,`,
          `${TS},AAPL,TRADE,1,1.5,,,,,`,
          `${TS},AAPL,TRADE,1,1`,
          '',
        ].join('\n'),
      ),
    );
    decoder.end();
    assert.deepEqual(
      sink.ticks.map((t) => t.line),
      [2, 3],
    );
    assert.deepEqual(
      sink.rejects.map((r) => [r.reason, r.line]),
      [
        ['wrong_type', 4],
        ['wrong_type', 5],
        ['unparsable', 6],
      ],
    );
  });

  it('refuses a header without a symbol column', () => {
    const decoder = new CsvDecoder(new Collect());
    assert.throws(() => decoder.push(Buffer.from('a,b\n1,2\n')), /no "symbol" column/);
  });
});

function batch(ticks: Array<(b: Builder) => number>, prefixed: boolean): Uint8Array {
  const b = new Builder(1024);
  b.forceDefaults(true);
  const offsets = ticks.map((t) => t(b));
  const vector = TickBatch.createTicksVector(b, offsets);
  const root = TickBatch.createTickBatch(b, vector);
  if (prefixed) b.finishSizePrefixed(root, 'TFTB');
  else b.finish(root, 'TFTB');
  return b.asUint8Array().slice();
}

function fbTrade(symbol: string | null, volume: bigint | null): (b: Builder) => number {
  return (b) => {
    const s = symbol === null ? 0 : b.createString(symbol);
    Tick.startTick(b);
    if (s !== 0) Tick.addSymbol(b, s);
    Tick.addEventType(b, 0);
    Tick.addTimestamp(b, BigInt(TS));
    Tick.addPrice(b, 10);
    if (volume !== null) Tick.addVolume(b, volume);
    return Tick.endTick(b);
  };
}

describe('FlatBuffers input', () => {
  it('reads size-prefixed batches split at any byte, numbering ticks across batches', () => {
    const bytes = Buffer.concat([
      batch([fbTrade('AAPL', 0n), fbTrade('MSFT', 5n)], true),
      batch([fbTrade(null, 1n), fbTrade('IBM', null), fbTrade('ORCL', -1n), fbTrade('BAD SYMBOL', 1n)], true),
    ]);
    for (const split of [1, 7, 13, bytes.length - 1]) {
      const sink = new Collect();
      const decoder = new FlatBuffersDecoder(sink);
      decoder.push(bytes.subarray(0, split));
      decoder.push(bytes.subarray(split));
      decoder.end();
      assert.deepEqual(
        sink.ticks.map((t) => [t.symbol, t.line]),
        [
          ['AAPL', 1],
          ['MSFT', 2],
        ],
        `split at ${split}`,
      );
      assert.deepEqual(
        sink.rejects.map((r) => [r.reason, r.line]),
        [
          ['missing_field', 3],
          ['missing_field', 4],
          ['out_of_range', 5],
          ['invalid_value', 6],
        ],
      );
    }
  });

  it('reads a single un-prefixed TickBatch', () => {
    const sink = new Collect();
    const decoder = new FlatBuffersDecoder(sink);
    decoder.push(batch([fbTrade('AAPL', 1n)], false));
    decoder.end();
    assert.deepEqual(
      sink.ticks.map((t) => t.symbol),
      ['AAPL'],
    );
  });

  it('dead-letters corrupted buffers as unparsable instead of reading out of bounds', () => {
    const good = batch([fbTrade('AAPL', 1n), fbTrade('MSFT', 1n)], false);
    let unparsable = 0;
    for (let i = 0; i < good.length; i++) {
      for (const value of [0x00, 0x7f, 0xff]) {
        const bad = good.slice();
        bad[i] = value;
        const sink = new Collect();
        new FlatBuffersDecoder(sink).decodeBatch(bad);
        unparsable += sink.rejects.filter((r) => r.reason === 'unparsable').length;
        assert.ok(sink.ticks.length + sink.rejects.length <= 2 || sink.rejects.length === 1);
      }
    }
    assert.ok(unparsable > 0, 'no corruption was detected at all');
    const sink = new Collect();
    new FlatBuffersDecoder(sink).decodeBatch(good.subarray(0, 20));
    assert.deepEqual(
      sink.rejects.map((r) => r.reason),
      ['unparsable'],
    );
  });
});
