// What the reference model accepts, against hand-computed cases: validation
// of each field, lateness against per-symbol watermarks, and de-duplication.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barsOf, quote, run, T0, trade } from '../fixtures/reference-cases';
import { runReference } from '../fixtures/reference-model';

describe('reference model: watermarks and lateness', () => {
  it('drops a tick below max − lateness as late, and keeps one exactly at it', () => {
    const result = run([trade(10_000, 1, 1), trade(4_999, 2, 1), trade(5_000, 3, 1)]);
    assert.deepEqual([result.accepted, result.late], [2, 1]);
    assert.deepEqual(result.deadLetters, [{ reason: 'late', index: 1 }]);
    assert.equal(barsOf(result, '1m')[0].trade_count, 2);
  });

  it('keeps watermarks per symbol, advances them on quotes too, and honours latenessMs', () => {
    assert.equal(run([trade(10_000, 1, 1), trade(0, 1, 1, { symbol: 'MSFT' })]).late, 0);
    assert.equal(run([quote(10_000, 1, 2), trade(4_000, 1, 1)]).late, 1);
    assert.equal(run([trade(1, 1, 1), trade(0, 1, 1)], { latenessMs: 0 }).late, 1);
    assert.equal(run([trade(1, 1, 1), trade(1, 1, 1)], { latenessMs: 0 }).late, 0);
  });
});

describe('reference model: de-duplication', () => {
  it('drops a repeated (exchange, symbol, seq) and nothing else', () => {
    const result = run([
      trade(0, 1, 1, { seq: 7, exchange: 'X' }),
      trade(1, 2, 1, { seq: 7, exchange: 'X' }), // duplicate, even with other content
      trade(2, 3, 1, { seq: 7, exchange: 'Y' }),
      trade(3, 4, 1, { seq: 7, symbol: 'MSFT', exchange: 'X' }),
      trade(4, 5, 1),
      trade(5, 5, 1), // no seq: never a duplicate
      trade(6, 6, 1, { seq: 8 }),
      trade(7, 6, 1, { seq: 8, exchange: '' }), // absent exchange is ""
    ]);
    assert.deepEqual(result.deadLetters, [
      { reason: 'duplicate', index: 1 },
      { reason: 'duplicate', index: 7 },
    ]);
    // AAPL keeps the trades at indexes 0, 2, 4, 5, 6: the duplicate's price 2 never counts.
    const aapl = barsOf(result, '1s').find((b) => b.symbol === 'AAPL');
    assert.deepEqual([aapl?.trade_count, aapl?.low, aapl?.high], [5, 1, 6]);
  });

  it('checks lateness before duplication, and remembers only accepted seqs', () => {
    const result = run([
      trade(0, 1, 1, { seq: 1 }),
      trade(10_000, 1, 1, { seq: 2 }),
      trade(0, 1, 1, { seq: 1 }), // both late and a duplicate: late
      trade(1_000, 1, 1, { seq: 3 }), // late, so seq 3 is not remembered
      trade(9_000, 1, 1, { seq: 3 }),
      { symbol: 'AAPL', event_type: 'TRADE', timestamp: T0 + 9_000, price: -1, volume: 1, seq: 4 },
      trade(9_000, 1, 1, { seq: 4 }),
    ]);
    assert.deepEqual(result.deadLetters, [
      { reason: 'late', index: 2 },
      { reason: 'late', index: 3 },
      { reason: 'out_of_range', index: 5 },
    ]);
  });
});

describe('reference model: validation', () => {
  const ok = { symbol: 'AAPL', event_type: 'TRADE', timestamp: T0, price: 1, volume: 1 };
  const cases: Array<[string, unknown, string]> = [
    ['an array', [ok], 'not_an_object'],
    ['a string', 'AAPL', 'not_an_object'],
    ['null', null, 'not_an_object'],
    ['a number', 42, 'not_an_object'],
    ['no symbol', { ...ok, symbol: undefined }, 'missing_field'],
    ['a null symbol', { ...ok, symbol: null }, 'missing_field'],
    ['a numeric symbol', { ...ok, symbol: 5 }, 'wrong_type'],
    ['a symbol with a space', { ...ok, symbol: 'AA PL' }, 'invalid_value'],
    ['an empty symbol', { ...ok, symbol: '' }, 'invalid_value'],
    ['a 33-char symbol', { ...ok, symbol: 'A'.repeat(33) }, 'invalid_value'],
    ['no event_type', { ...ok, event_type: null }, 'missing_field'],
    ['a numeric event_type', { ...ok, event_type: 1 }, 'wrong_type'],
    ['a lower-case event_type', { ...ok, event_type: 'trade' }, 'invalid_value'],
    ['no timestamp', { ...ok, timestamp: undefined }, 'missing_field'],
    ['a string timestamp', { ...ok, timestamp: String(T0) }, 'wrong_type'],
    ['a fractional timestamp', { ...ok, timestamp: T0 + 0.5 }, 'wrong_type'],
    ['a timestamp before 2000', { ...ok, timestamp: 946_684_799_999 }, 'out_of_range'],
    ['a timestamp at 2100', { ...ok, timestamp: 4_102_444_800_000 }, 'out_of_range'],
    ['a trade without price', { ...ok, price: null }, 'missing_field'],
    ['a string price', { ...ok, price: '1' }, 'wrong_type'],
    ['a zero price', { ...ok, price: 0 }, 'out_of_range'],
    ['a negative price', { ...ok, price: -1 }, 'out_of_range'],
    ['an infinite price', { ...ok, price: Infinity }, 'out_of_range'],
    ['a trade without volume', { ...ok, volume: undefined }, 'missing_field'],
    ['a fractional volume', { ...ok, volume: 1.5 }, 'wrong_type'],
    ['a string volume', { ...ok, volume: '1' }, 'wrong_type'],
    ['a negative volume', { ...ok, volume: -1 }, 'out_of_range'],
    ['a volume above 2^53 − 1', { ...ok, volume: 2 ** 53 }, 'out_of_range'],
    ['a quote without bid', { ...ok, event_type: 'QUOTE', ask: 2 }, 'missing_field'],
    ['a BBO without ask', { ...ok, event_type: 'BBO', bid: 2 }, 'missing_field'],
    ['a string bid', { ...ok, bid: '1', ask: 2 }, 'wrong_type'],
    ['a zero ask', { ...ok, bid: 1, ask: 0 }, 'out_of_range'],
    ['a numeric exchange', { ...ok, exchange: 5 }, 'wrong_type'],
    ['a 17-char exchange', { ...ok, exchange: 'E'.repeat(17) }, 'invalid_value'],
    ['a fractional seq', { ...ok, seq: 1.5 }, 'wrong_type'],
    ['a string seq', { ...ok, seq: '1' }, 'wrong_type'],
    ['a negative seq', { ...ok, seq: -1 }, 'out_of_range'],
    ['bid above ask', { ...ok, event_type: 'QUOTE', bid: 2, ask: 1 }, 'bid_above_ask'],
    ['bid above ask on a trade', { ...ok, bid: 2, ask: 1 }, 'bid_above_ask'],
    // First failure wins, in field order.
    ['a bad symbol and event_type', { ...ok, symbol: 5, event_type: 'X' }, 'wrong_type'],
    ['a bad timestamp and price', { ...ok, timestamp: 0, price: '1' }, 'out_of_range'],
    ['a bad volume and ask', { ...ok, volume: -1, bid: 1, ask: 'x' }, 'out_of_range'],
    ['a bad ask and bid above it', { ...ok, bid: 3, ask: -1 }, 'out_of_range'],
    ['a bad seq and bid above ask', { ...ok, bid: 3, ask: 1, seq: 'x' }, 'wrong_type'],
  ];
  for (const [what, value, reason] of cases) {
    it(`rejects ${what} as ${reason}`, () => {
      const result = run([ok, value]);
      assert.deepEqual(result.deadLetters, [{ reason, index: 1 }]);
      assert.equal(result.rejected, 1);
    });
  }

  it('accepts nulls for optional fields, unknown fields, quotes without volume, and 16 code points of exchange', () => {
    const result = run([
      { ...ok, exchange: null, seq: null, bid: null, note: 'ignored' },
      { symbol: 'a.B_c:d/e-1', event_type: 'QUOTE', timestamp: T0, bid: 1, ask: 1 },
      { ...ok, exchange: '\u{1F4C8}'.repeat(16), seq: 0, price: 0.5 },
      { ...ok, symbol: 'OLD', timestamp: 946_684_800_000, volume: 0 }, // own symbol: no watermark yet
    ]);
    assert.deepEqual([result.accepted, result.deadLetters], [4, []]);
  });

  it('refuses a config whose labels do not match its intervals, naming the field', () => {
    assert.throws(() => runReference([], { intervals: [1000] }), /intervalLabels/);
  });
});
