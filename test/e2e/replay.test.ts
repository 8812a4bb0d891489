import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, recordSet, records, statsOf, tickflow } from '../fixtures/cli';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FEED = [
  '--symbols',
  '25',
  '--rate',
  '2000',
  '--duration',
  '150s',
  '--seed',
  '7',
  '--anomaly-rate',
  '0.002',
  '--duplicate-rate',
  '0.002',
  '--late-rate',
  '0.002',
  '--invalid-rate',
  '0.002',
];
const file = (name: string): string => join(dir, name);

before(() => {
  for (const format of ['ndjson', 'csv', 'fb']) {
    const result = tickflow(['gen', ...FEED, '--format', format, '--out', file(`feed.${format}`)]);
    assert.equal(result.status, 0, result.stderr);
  }
});

function replay(args: readonly string[], input?: string): { out: string; stderr: string } {
  const result = tickflow(['replay', ...args], input);
  assert.equal(result.status, 0, result.stderr);
  return { out: result.stdout, stderr: result.stderr };
}

describe('tickflow replay', () => {
  it('gives the same set of records for 1, 2 and 3 partitions', () => {
    const one = replay([file('feed.ndjson'), '--partitions', '1']).out;
    const set = recordSet(one);
    assert.ok(set.length > 1000, `only ${set.length} records`);
    for (const partitions of ['2', '3']) {
      const many = replay([file('feed.ndjson'), '--partitions', partitions]).out;
      assert.deepEqual(recordSet(many), set, `--partitions ${partitions}`);
      const { elapsed_ms: _a, ticks_per_second: _b, partitions: _c, max_rss_mb: _g, ...counts } = statsOf(many);
      const { elapsed_ms: _d, ticks_per_second: _e, partitions: _f, max_rss_mb: _h, ...expected } = statsOf(one);
      assert.deepEqual(counts, expected);
    }
  });

  it('gives the same records from NDJSON, CSV and FlatBuffers encodings of one feed', () => {
    const ndjson = recordSet(replay([file('feed.ndjson')]).out);
    assert.deepEqual(recordSet(replay([file('feed.csv')]).out), ndjson);
    assert.deepEqual(recordSet(replay([file('feed.fb'), '--format', 'fb']).out), ndjson);
  });

  it('reads standard input for -', () => {
    const fromFile = recordSet(replay([file('feed.ndjson')]).out);
    assert.deepEqual(recordSet(replay(['-'], readFileSync(file('feed.ndjson'), 'utf8')).out), fromFile);
  });

  it('writes one final bar per (symbol, interval, window), then indicators and alerts, then stats', () => {
    const out = records(replay([file('feed.ndjson')]).out);
    const stats = out.pop();
    assert.equal(stats?.type, 'stats');
    const keys = new Set<string>();
    for (const record of out) {
      assert.ok(['bar', 'indicator', 'alert'].includes(record.type as string));
      if (record.type !== 'bar') continue;
      assert.equal(record.final, true);
      const key = `${record.symbol as string}|${record.interval as string}|${record.window_start as number}`;
      assert.ok(!keys.has(key), `bar ${key} twice`);
      keys.add(key);
    }
    assert.deepEqual(new Set(out.filter((r) => r.type === 'bar').map((r) => r.interval)), new Set(['1s', '1m', '5m']));
    const types = new Set(out.filter((r) => r.type === 'alert').map((r) => r.anomaly_type));
    for (const type of ['PRICE_SPIKE', 'VOLUME_SURGE', 'SPREAD_WIDENING']) assert.ok(types.has(type), `no ${type}`);
  });

  it('dead-letters every rejected, duplicate and late tick with its reason, matching the stats', () => {
    const { out } = replay([file('feed.ndjson'), '--dead-letter', file('dead.ndjson'), '--out', file('out.ndjson')]);
    assert.equal(out, '');
    const stats = statsOf(readFileSync(file('out.ndjson'), 'utf8'));
    const dead = records(readFileSync(file('dead.ndjson'), 'utf8'));
    const count = (reasons: readonly string[]): number => dead.filter((d) => reasons.includes(d.reason as string)).length;
    assert.equal(count(['duplicate']), stats.duplicate);
    assert.equal(count(['late']), stats.late);
    assert.equal(dead.length, stats.rejected + stats.duplicate + stats.late);
    assert.ok((stats.rejected ?? 0) > 0 && (stats.duplicate ?? 0) > 0 && (stats.late ?? 0) > 0);
    assert.equal(stats.ticks, stats.accepted + stats.rejected + stats.duplicate + stats.late);
    for (const d of dead) {
      assert.equal(d.type, 'dead_letter');
      assert.ok(typeof d.message === 'string' && d.message !== '');
      assert.ok(typeof d.line === 'number' && d.line > 0);
      assert.ok('raw' in d || 'tick' in d);
    }
  });

  it('says on stderr how many ticks were dead-lettered when there is no --dead-letter file', () => {
    const { stderr } = replay([file('feed.ndjson'), '--out', file('out2.ndjson')]);
    assert.match(stderr, /ticks dead-lettered \(rejected \d+, duplicate \d+, late \d+\); pass --dead-letter FILE to keep them/);
  });

  it('stops quietly with the status of SIGPIPE when the reader of its output goes away', async () => {
    // `tickflow replay FILE | head -1`: the reader takes one line and closes the pipe.
    const child = spawn(process.execPath, [BIN, 'replay', file('feed.ndjson')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 141, stderr);
    assert.equal(stderr, '');
  });

  it('exits 2 with one line for a missing input, bad flags or a missing argument', () => {
    for (const args of [[file('absent.ndjson')], [file('feed.ndjson'), '--partitions', '-1'], [], [file('feed.ndjson'), '--bogus']]) {
      const result = tickflow(['replay', ...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^tickflow: .* \[ERR_TICKFLOW_(CONFIG|INPUT)\]\n$/, 'one line, its code last');
    }
  });
});
