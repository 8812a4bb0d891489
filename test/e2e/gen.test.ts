// `tickflow gen`: determinism, the three encodings, the invariants of a clean
// feed, and that injected records come back from `tickflow replay` as the
// dead letters and alerts they were meant to be.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runGen, type GenResult } from '../../src/cli/gen';
import { loadConfig } from '../../src/config/load';
import { ConfigError } from '../../src/errors';
import { TickBatch } from '../../src/fb/generated/tickflow/fb/tick-batch';
import { CsvDecoder } from '../../src/ingest/csv-decoder';
import type { DecodedSink, TickDecoder } from '../../src/ingest/decoded-sink';
import { FlatBuffersDecoder } from '../../src/ingest/flatbuffers-decoder';
import { NdjsonDecoder } from '../../src/ingest/ndjson-decoder';
import type { DeadLetterReason } from '../../src/records/rejection';
import type { ValidTick } from '../../src/ingest/tick-validator';
import { EventType } from '../../src/fb/generated/tickflow/fb/event-type';
import { FLAW_NAMES, FLAW_REASON, SCHEMA_FLAWS, TEXT_FLAWS, type Flaw } from '../../src/synthetic/flaw';
import { Prng } from '../../src/synthetic/prng';
import type { InputFormat as GenFormat } from '../../src/records/records';
import { WeightedPicker } from '../../src/synthetic/weighted-picker';
import { ByteBuffer } from 'flatbuffers';

const ROOT = join(__dirname, '..', '..', '..');
const FORMATS: readonly GenFormat[] = ['ndjson', 'csv', 'fb'];
const START = 1_704_205_800_000;

let dir = '';
let files = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickflow-gen-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Generated {
  readonly path: string;
  readonly bytes: Buffer;
  readonly result: GenResult;
  readonly log: readonly string[];
}

/** Runs `tickflow gen ARGS --format FORMAT` in-process into a fresh file. */
async function gen(format: GenFormat, args: readonly string[]): Promise<Generated> {
  const path = join(dir, `feed-${++files}.${format}`);
  const log: string[] = [];
  // An empty environment: TICKFLOW_* variables of the machine must not leak in.
  const loaded = loadConfig('gen', [...args, '--format', format, '--out', path], {});
  const result = await runGen(loaded, (line) => log.push(line));
  return { path, bytes: readFileSync(path), result, log };
}

interface Decoded {
  readonly ticks: ValidTick[];
  readonly rejects: string[];
}

function decode(format: GenFormat, bytes: Buffer): Decoded {
  const ticks: ValidTick[] = [];
  const rejects: string[] = [];
  const sink: DecodedSink = {
    tick(tick) {
      ticks.push({ ...tick });
    },
    reject(rejection) {
      rejects.push(rejection.reason);
    },
  };
  const decoder: TickDecoder =
    format === 'csv' ? new CsvDecoder(sink) : format === 'fb' ? new FlatBuffersDecoder(sink) : new NdjsonDecoder(sink);
  // Odd-sized chunks, so records and batches straddle chunk boundaries.
  for (let at = 0; at < bytes.length; at += 65_537) decoder.push(bytes.subarray(at, at + 65_537));
  decoder.end();
  return { ticks, rejects };
}

interface Replayed {
  readonly stats: Record<string, number>;
  readonly alerts: Map<string, number>;
  readonly deadLetters: Map<DeadLetterReason, number>;
}

function countBy<T>(items: Iterable<T>): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

function replay(path: string, format: GenFormat, extra: readonly string[] = []): Replayed {
  const deadLetterPath = `${path}.dead.ndjson`;
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'tickflow.js'),
      'replay',
      path,
      '--format',
      format,
      '--dead-letter',
      deadLetterPath,
      '--partitions',
      '2',
      '--no-pin',
      ...extra,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28, env: {} },
  );
  assert.equal(run.status, 0, `replay failed: ${run.stderr}`);
  const records = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const stats = records.at(-1) as Record<string, number>;
  assert.equal(stats.type, 'stats');
  const alerts = countBy(records.filter((r) => r.type === 'alert').map((r) => r.anomaly_type as string));
  const deadText = readFileSync(deadLetterPath, 'utf8').trim();
  const deadLetters = countBy(
    deadText === '' ? [] : deadText.split('\n').map((line) => (JSON.parse(line) as { reason: DeadLetterReason }).reason),
  );
  return { stats, alerts, deadLetters };
}

/** Dead-letter reasons the feed's invalid records should produce, by count. */
function expectedRejects(flaws: readonly Flaw[], counts: Record<string, number>): Map<DeadLetterReason, number> {
  const expected = new Map<DeadLetterReason, number>();
  for (const flaw of flaws) {
    const n = counts[FLAW_NAMES[flaw]] ?? 0;
    const reason = FLAW_REASON[flaw as Exclude<Flaw, Flaw.NONE>];
    if (n > 0) expected.set(reason, (expected.get(reason) ?? 0) + n);
  }
  return expected;
}

const INJECTIONS = ['--anomaly-rate', '0.01', '--duplicate-rate', '0.02', '--late-rate', '0.02', '--invalid-rate', '0.03'];

describe('tickflow gen', () => {
  for (const format of FORMATS) {
    it(`gives identical ${format} bytes for the same seed and different bytes for another seed`, async () => {
      const args = ['--symbols', '30', '--rate', '2000', '--duration', '5s', ...INJECTIONS];
      const first = await gen(format, [...args, '--seed', '42']);
      const again = await gen(format, [...args, '--seed', '42']);
      const other = await gen(format, [...args, '--seed', '43']);
      assert.ok(first.bytes.length > 0);
      assert.ok(first.bytes.equals(again.bytes), 'same seed, different bytes');
      assert.ok(!first.bytes.equals(other.bytes), 'different seeds, same bytes');
    });
  }

  it('writes the same valid ticks in NDJSON, CSV and FlatBuffers', async () => {
    const args = ['--symbols', '40', '--count', '30000', '--seed', '7', ...INJECTIONS];
    const decoded = new Map<GenFormat, Decoded>();
    for (const format of FORMATS) {
      const { bytes, result } = await gen(format, args);
      const d = decode(format, bytes);
      assert.equal(d.rejects.length, result.counts.invalid, `${format}: rejects`);
      assert.equal(d.ticks.length + d.rejects.length, 30_000, `${format}: records`);
      decoded.set(format, d);
    }
    const ndjson = decoded.get('ndjson') as Decoded;
    assert.deepEqual(decoded.get('csv')?.ticks, ndjson.ticks);
    assert.deepEqual(decoded.get('fb')?.ticks, ndjson.ticks);
    // The cases a binary encoding could lose: a volume of 0 and a TRADE (enum value 0).
    assert.ok(
      ndjson.ticks.some((t) => t.eventType === EventType.TRADE && t.volume === 0),
      'no zero-volume trade to compare',
    );
    for (const type of [EventType.TRADE, EventType.QUOTE, EventType.BBO]) {
      assert.ok(
        ndjson.ticks.some((t) => t.eventType === type),
        `no ${EventType[type]} tick`,
      );
    }
  });

  it('without injections writes rate x duration valid ticks, ordered per symbol and sequenced per venue', async () => {
    const { bytes, result } = await gen('ndjson', ['--symbols', '25', '--rate', '3000', '--duration', '20s', '--seed', '11']);
    assert.equal(result.counts.records, 60_000);
    const { ticks, rejects } = decode('ndjson', bytes);
    assert.deepEqual(rejects, []);
    assert.equal(ticks.length, 60_000);

    const lastTs = new Map<string, number>();
    const lastSeq = new Map<string, number>();
    const venues = new Map<string, Set<string>>();
    for (const t of ticks) {
      assert.match(t.symbol, /^[A-Z]{3,5}$/);
      assert.ok(t.exchange.length > 0 && t.exchange.length <= 16, `exchange ${t.exchange}`);
      assert.ok(t.timestamp >= START && t.timestamp < START + 21_000, `timestamp ${t.timestamp}`);
      const prevTs = lastTs.get(t.symbol) ?? -Infinity;
      assert.ok(t.timestamp > prevTs, `${t.symbol}: timestamp ${t.timestamp} after ${prevTs}`);
      lastTs.set(t.symbol, t.timestamp);
      const key = `${t.exchange}|${t.symbol}`;
      assert.equal(t.seq, (lastSeq.get(key) ?? 0) + 1, `${key}: seq`);
      lastSeq.set(key, t.seq);
      venues.set(t.symbol, (venues.get(t.symbol) ?? new Set()).add(t.exchange));
      if (t.eventType === EventType.TRADE) {
        assert.ok(t.price > 0 && Number.isInteger(t.volume) && t.volume >= 0, `trade ${t.price} x ${t.volume}`);
        assert.ok(Number.isNaN(t.bid) && Number.isNaN(t.ask), 'a trade carries no bid or ask');
      } else {
        assert.ok(t.bid > 0 && t.bid < t.ask, `quote ${t.bid} / ${t.ask}`);
        assert.ok(Number.isNaN(t.price), 'a quote carries no price');
        // A few basis points, rounded outwards to the cent.
        assert.ok(t.ask - t.bid <= 0.001 * t.ask + 0.02 + 1e-9, `spread ${t.bid} / ${t.ask}`);
      }
    }
    assert.equal(lastTs.size, 25, 'every symbol ticks');
    for (const [symbol, set] of venues) assert.ok(set.size <= 2, `${symbol} trades on ${[...set].join(', ')}`);
    // Prices on the cent grid.
    for (const t of ticks) if (t.eventType === EventType.TRADE) assert.equal(Math.round(t.price * 100) / 100, t.price);
  });

  it('picks indexes in proportion to their weights, never one of weight 0', () => {
    const weights = [1, 2, 3, 4, 0, 10];
    const total = 20;
    const picker = new WeightedPicker(weights);
    const prng = new Prng(99);
    const picks = new Array<number>(weights.length).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) {
      const index = picker.pick(prng.float());
      picks[index] = (picks[index] as number) + 1;
    }
    assert.equal(picks[4], 0);
    weights.forEach((w, i) => {
      const expected = (draws * w) / total;
      // Binomial standard deviations here are under 230 picks; 5% is over 4 of them.
      assert.ok(Math.abs((picks[i] as number) - expected) <= 0.05 * expected, `index ${i}: ${picks[i]} picks, expected about ${expected}`);
    });
  });

  it('makes distinct ticker-like symbols with skewed activity and small price steps', async () => {
    const { bytes } = await gen('ndjson', ['--symbols', '200', '--count', '100000', '--seed', '5']);
    const { ticks } = decode('ndjson', bytes);
    const perSymbol = countBy(ticks.map((t) => t.symbol));
    assert.equal(perSymbol.size, 200);
    const sorted = [...perSymbol.values()].sort((a, b) => b - a);
    assert.ok((sorted[0] as number) > 10 * (sorted[100] as number), `busiest ${sorted[0]}, median ${sorted[100]}`);

    const busiest = [...perSymbol].find(([, n]) => n === sorted[0])?.[0];
    const lastPrice = new Map<string, number>();
    const busiestMoves: number[] = [];
    for (const t of ticks) {
      if (t.eventType !== EventType.TRADE) continue;
      const prev = lastPrice.get(t.symbol);
      lastPrice.set(t.symbol, t.price);
      assert.ok(t.price >= 4.9 && t.price <= 510, `${t.symbol} at ${t.price}`);
      if (prev === undefined) continue;
      const move = Math.abs(t.price / prev - 1);
      assert.ok(move < 0.007, `${t.symbol}: ${prev} -> ${t.price}`);
      if (t.symbol === busiest) busiestMoves.push(move);
    }
    busiestMoves.sort((a, b) => a - b);
    assert.ok(busiestMoves.length > 5000);
    const median = busiestMoves[busiestMoves.length >> 1] as number;
    assert.ok(median < 5e-4, `median move of ${busiest} between trades is ${(median * 1e4).toFixed(2)} bp`);
  });

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
          async () => runGen(loadConfig('gen', ['--out', join(dir, 'unused.ndjson'), ...args], {}), () => {}),
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
