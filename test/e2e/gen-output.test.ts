// What `tickflow gen` writes: exactly --count records, FlatBuffers framing,
// injected records that come back from `tickflow replay` as the dead letters
// and alerts they were meant to be, and --realtime stamps.

import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runGen } from '../../src/cli/gen';
import { loadConfig } from '../../src/config/load';
import { ConfigError } from '../../src/errors';
import { TickBatch } from '../../src/fb/generated/tickflow/fb/tick-batch';
import type { DeadLetterReason } from '../../src/records/rejection';
import { SCHEMA_FLAWS, TEXT_FLAWS } from '../../src/synthetic/flaw';
import { ByteBuffer } from 'flatbuffers';

import { FORMATS, INJECTIONS, START, decode, expectedRejects, gen, replay, genDir } from '../fixtures/gen-harness';

describe('tickflow gen: what it writes', () => {
  it('writes exactly --count records, injections included', async () => {
    for (const format of FORMATS) {
      const { bytes, result } = await gen(format, ['--count', '12345', '--rate', '100', '--seed', '3', ...INJECTIONS]);
      const c = result.counts;
      assert.equal(c.records, 12_345);
      assert.equal(c.accepted + c.duplicates + c.late + c.invalid, 12_345);
      assert.ok(c.duplicates > 0 && c.late > 0 && c.invalid > 0 && c.priceSpikes > 0, `${format}: ${c.summary()}`);
      const d = decode(format, bytes);
      assert.equal(d.ticks.length + d.rejects.length, 12_345, format);
      if (format !== 'fb') {
        const lines = bytes.toString('utf8').trimEnd().split('\n').length;
        assert.equal(lines, format === 'csv' ? 12_346 : 12_345, `${format}: lines`);
      }
    }
  });

  it('frames FlatBuffers output as size-prefixed TFTB batches of at most 4096 ticks', async () => {
    const { bytes } = await gen('fb', ['--count', '10000', '--seed', '9']);
    const sizes: number[] = [];
    let at = 0;
    while (at < bytes.length) {
      const size = bytes.readUInt32LE(at);
      assert.equal(bytes.toString('latin1', at + 8, at + 12), 'TFTB', `identifier of the batch at byte ${at}`);
      const batch = TickBatch.getRootAsTickBatch(new ByteBuffer(bytes.subarray(at + 4, at + 4 + size)));
      sizes.push(batch.ticksLength());
      at += 4 + size;
    }
    assert.equal(at, bytes.length);
    assert.deepEqual(sizes, [4096, 4096, 1808]);
  });

  for (const format of FORMATS) {
    it(`${format}: replay dead-letters the injected duplicates, late ticks and invalid records, each for its reason`, async () => {
      const { path, result, log } = await gen(format, [
        '--symbols',
        '30',
        '--count',
        '20000',
        '--seed',
        '21',
        '--duplicate-rate',
        '0.02',
        '--late-rate',
        '0.02',
        '--invalid-rate',
        '0.04',
      ]);
      const c = result.counts;
      assert.match(log.join('\n'), new RegExp(`duplicate ${c.duplicates}, late ${c.late}, invalid ${c.invalid}`));
      const { stats, deadLetters } = replay(path, format);
      assert.equal(stats.accepted, c.accepted);
      assert.equal(stats.duplicate, c.duplicates);
      assert.equal(stats.late, c.late);
      assert.equal(stats.rejected, c.invalid);

      const flaws = format === 'fb' ? SCHEMA_FLAWS : TEXT_FLAWS;
      const expected = expectedRejects(flaws, c.flaws);
      expected.set('duplicate', c.duplicates);
      expected.set('late', c.late);
      assert.deepEqual(new Map([...deadLetters].sort()), new Map([...expected].sort()));
      const reasons =
        format === 'fb'
          ? ['duplicate', 'late', 'missing_field', 'out_of_range', 'invalid_value', 'bid_above_ask']
          : ['duplicate', 'late', 'unparsable', 'wrong_type', 'missing_field', 'out_of_range', 'invalid_value', 'bid_above_ask'];
      for (const reason of reasons) assert.ok((deadLetters.get(reason as DeadLetterReason) ?? 0) > 0, `no ${reason} dead letter`);
    });
  }

  it('injects duplicates the engine classifies as duplicate, not late, even at a slow rate and no lateness', async () => {
    // At one tick a second, a tick 8 records back is 8 s old: only repeating
    // a symbol's newest tick keeps a duplicate at the watermark.
    const { path, result } = await gen('ndjson', [
      '--rate',
      '1',
      '--count',
      '3000',
      '--symbols',
      '10',
      '--seed',
      '4',
      '--duplicate-rate',
      '0.05',
    ]);
    const { stats } = replay(path, 'ndjson', ['--lateness-ms', '0']);
    assert.ok(result.counts.duplicates > 100, result.counts.summary());
    assert.equal(stats.duplicate, result.counts.duplicates);
    assert.equal(stats.late, 0);
    assert.equal(stats.accepted, result.counts.accepted);
  });

  it('injected anomalies come back as PRICE_SPIKE, VOLUME_SURGE and SPREAD_WIDENING alerts', async () => {
    const args = ['--count', '50000', '--seed', '1'];
    const clean = await gen('ndjson', args);
    const spiked = await gen('ndjson', [...args, '--anomaly-rate', '0.002']);
    const c = spiked.result.counts;
    assert.ok(c.priceSpikes > 0 && c.volumeSurges > 0 && c.spreadBlowouts > 0, c.summary());
    const base = replay(clean.path, 'ndjson').alerts;
    const alerts = replay(spiked.path, 'ndjson').alerts;
    for (const type of ['PRICE_SPIKE', 'VOLUME_SURGE', 'SPREAD_WIDENING']) {
      const n = alerts.get(type) ?? 0;
      assert.ok(n > 0, `no ${type} alert`);
      // The natural walk alerts too, rarely; the injections must stand out.
      assert.ok(n > (base.get(type) ?? 0), `${type}: ${n} with anomalies, ${base.get(type) ?? 0} without`);
    }
    assert.ok((alerts.get('SPREAD_WIDENING') ?? 0) >= c.spreadBlowouts / 2, 'most spread blow-outs alert');
  });

  it('stamps --realtime ticks from the wall clock', async () => {
    const before = Date.now();
    const { bytes, result } = await gen('ndjson', ['--realtime', '--rate', '1000', '--count', '100', '--start', String(START)]);
    const afterwards = Date.now();
    assert.equal(result.complete, true);
    const { ticks } = decode('ndjson', bytes);
    assert.equal(ticks.length, 100);
    const first = Math.min(...ticks.map((t) => t.timestamp));
    assert.ok(first >= before && first <= afterwards, `first timestamp ${first} outside [${before}, ${afterwards}]`);
  });

  describe('configuration checks', () => {
    const cases: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
      [
        'a probability above 1',
        ['--anomaly-rate', '1.5'],
        /^invalid configuration: --anomaly-rate = 1\.5: expected a probability from 0 to 1$/,
      ],
      ['a trade ratio above 1', ['--trade-ratio', '2'], /^invalid configuration: --trade-ratio = 2: expected a probability from 0 to 1$/],
      [
        'injection rates adding up past 1',
        ['--duplicate-rate', '0.6', '--invalid-rate', '0.6'],
        /^invalid configuration: --anomaly-rate = [\d.]+, --duplicate-rate = 0\.6, --late-rate = [\d.]+, --invalid-rate = 0\.6: expected a /,
      ],
      [
        'a feed running past 2100',
        ['--start', '4102444790000', '--duration', '1m'],
        new RegExp(
          '^invalid configuration: --start = 4102444790000: expected an earlier --start or a shorter feed: ' +
            '60000 records at --rate 1000 would run to timestamp 4102444849999, past the last valid one',
        ),
      ],
      [
        'an output that cannot be opened',
        ['--out', join(tmpdir(), 'tickflow-no-such-dir', 'x', 'feed.ndjson')],
        /^invalid configuration: --out = ".*feed\.ndjson": expected a writable file path or - \(cannot open it for writing: .*ENOENT.*\)$/,
      ],
    ];
    for (const [what, args, message] of cases) {
      it(`rejects ${what} with a ConfigError naming the flag`, async () => {
        // Some are found when the options are read, others when the feed is set up: either way before a record is written.
        await assert.rejects(
          async () => runGen(loadConfig('gen', ['--out', join(genDir(), 'unused.ndjson'), ...args], {}), () => {}),
          (err: unknown) => {
            assert.ok(err instanceof ConfigError);
            assert.match(err.message, message);
            return true;
          },
        );
      });
    }
  });
});
