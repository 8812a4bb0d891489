// `tickflow replay --out-format fb`: the same records as NDJSON, read back
// frame by frame with the generated FlatBuffers classes (an independent
// reading of each field, not the engine's own JSON writer).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnomalyType } from '../../src/fb/generated/tickflow/fb/anomaly-type';
import type { Bar } from '../../src/fb/generated/tickflow/fb/bar';
import { Severity } from '../../src/fb/generated/tickflow/fb/severity';
import { readFbOutput, type FbOutputFrame } from '../../src/records/fb-output';
import { records, tickflow } from '../fixtures/cli';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-replay-fb-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => join(dir, name);

// Late ticks (30-120 s behind, docs/gen.md) within the allowed lateness give
// revisions; activity bars give bar_index and complete; anomalies give
// alerts with null fields.
const FEED = ['--symbols', '12', '--rate', '1500', '--duration', '90s', '--seed', '11', '--anomaly-rate', '0.003', '--late-rate', '0.01'];
const FLAGS = ['--intervals', '1s,1m,40t,20000v', '--allowed-lateness-ms', '120000', '--lateness-ms', '200'];

before(() => {
  const result = tickflow(['gen', ...FEED, '--out', file('feed.ndjson')]);
  assert.equal(result.status, 0, result.stderr);
});

function replay(args: readonly string[]): string {
  const result = tickflow(['replay', file('feed.ndjson'), ...FLAGS, ...args]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

const num = (n: bigint | null): number | null => (n === null ? null : Number(n));

function barJson(b: Bar): Record<string, unknown> {
  const json: Record<string, unknown> = {
    type: 'bar',
    symbol: b.symbol(),
    interval: b.interval(),
    window_start: Number(b.windowStart()),
    window_end: Number(b.windowEnd()),
    open: b.open(),
    high: b.high(),
    low: b.low(),
    close: b.close(),
    volume: Number(b.volume()),
    vwap: b.vwap(),
    trade_count: Number(b.tradeCount()),
    final: b.final(),
  };
  if (b.barIndex() !== null) {
    json.bar_index = num(b.barIndex());
    json.complete = b.complete();
  }
  json.buy_volume = num(b.buyVolume());
  json.sell_volume = num(b.sellVolume());
  json.buy_count = num(b.buyCount());
  json.sell_count = num(b.sellCount());
  json.revision = b.revision();
  return json;
}

/** A frame as the JSON record NDJSON output has for it. */
function asJson(frame: FbOutputFrame): Record<string, unknown> {
  switch (frame.kind) {
    case 'bar':
      return barJson(frame.record);
    case 'indicator': {
      const i = frame.record;
      return {
        type: 'indicator',
        symbol: i.symbol(),
        window_start: Number(i.windowStart()),
        window_end: Number(i.windowEnd()),
        ma: i.ma(),
        volatility: i.volatility(),
        trade_count: Number(i.tradeCount()),
        revision: i.revision(),
      };
    }
    case 'alert': {
      const a = frame.record;
      return {
        type: 'alert',
        symbol: a.symbol(),
        anomaly_type: AnomalyType[a.anomalyType()],
        severity: Severity[a.severity()],
        timestamp: Number(a.timestamp()),
        price: a.price(),
        volume: num(a.volume()),
        price_zscore: a.priceZscore(),
        volume_ratio: a.volumeRatio(),
        spread_ratio: a.spreadRatio(),
        volatility: a.volatility(),
      };
    }
    case 'stats': {
      const s = frame.record;
      return {
        type: 'stats',
        accepted: Number(s.accepted()),
        rejected: Number(s.rejected()),
        duplicate: Number(s.duplicate()),
        late: Number(s.late()),
        ticks: Number(s.ticks()),
        bars: Number(s.bars()),
        indicators: Number(s.indicators()),
        alerts: Number(s.alerts()),
        corrections: Number(s.corrections()),
        revisions: Number(s.revisions()),
        partitions: s.partitions(),
        elapsed_ms: s.elapsedMs(),
        ticks_per_second: Number(s.ticksPerSecond()),
        max_rss_mb: Number(s.maxRssMb()),
      };
    }
  }
}

const sorted = (list: Array<Record<string, unknown>>): string[] => list.map((r) => JSON.stringify(r)).sort();
const counts = (stats: Record<string, unknown>): Record<string, unknown> => {
  const { elapsed_ms: _e, ticks_per_second: _t, max_rss_mb: _m, ...rest } = stats;
  return rest;
};

describe('tickflow replay --out-format fb', () => {
  for (const partitions of ['0', '2']) {
    it(`writes the records of NDJSON output as FlatBuffers frames, stats last (--partitions ${partitions})`, () => {
      const ndjson = records(replay(['--partitions', partitions]));
      const expectedStats = ndjson.pop() as Record<string, unknown>;
      assert.equal(expectedStats.type, 'stats');
      assert.ok((expectedStats.revisions as number) > 0, 'the feed gives revisions');
      assert.ok(ndjson.some((r) => r.complete === true) && ndjson.some((r) => r.type === 'alert'));

      replay(['--partitions', partitions, '--out-format', 'fb', '--out', file(`out-${partitions}.fb`)]);
      const bytes = readFileSync(file(`out-${partitions}.fb`));
      const frames = [...readFbOutput(bytes)];
      for (const frame of frames) assert.equal((frame.at - 4) % 8, 0, `the frame at ${frame.at - 4} starts on a multiple of 8`);
      const last = frames.pop() as FbOutputFrame;
      assert.equal(last.kind, 'stats');
      assert.ok(frames.every((f) => f.kind !== 'stats'));
      assert.deepEqual(sorted(frames.map(asJson)), sorted(ndjson));
      assert.deepEqual(counts(asJson(last)), counts(expectedStats));
    });
  }

  it('keeps dead letters in NDJSON and counts them in the stats frame', () => {
    const input =
      '{"symbol":"AB","event_type":"TRADE","timestamp":1704205800000,"price":10.5,"volume":100}\n' +
      '{"symbol":"AB","event_type":"TRADE","timestamp":1704205800100,"price":-1,"volume":100}\n' +
      '{"symbol":"AB","event_type":"TRADE","timestamp":1704205801500,"price":10.25,"volume":300}\n';
    const args = [
      'replay',
      '-',
      '--out-format',
      'fb',
      '--out',
      file('small.fb'),
      '--dead-letter',
      file('dead.ndjson'),
      '--intervals',
      '1s',
    ];
    const result = tickflow(args, input);
    assert.equal(result.status, 0, result.stderr);
    const frames = [...readFbOutput(readFileSync(file('small.fb')))].map(asJson).filter((f) => f.type === 'bar' || f.type === 'stats');
    assert.deepEqual(
      frames.map((f) => [f.type, f.window_start ?? f.accepted]),
      [
        ['bar', 1704205800000],
        ['bar', 1704205801000],
        ['stats', 2],
      ],
    );
    assert.equal(frames[2]?.rejected, 1);
    const dead = records(readFileSync(file('dead.ndjson'), 'utf8'));
    assert.deepEqual(
      dead.map((d) => [d.reason, d.line]),
      [['out_of_range', 2]],
    );
  });

  it('reports a frame cut short', () => {
    replay(['--out-format', 'fb', '--out', file('cut.fb')]);
    const bytes = readFileSync(file('cut.fb'));
    assert.throws(() => [...readFbOutput(bytes.subarray(0, bytes.length - 3))], /says \d+ bytes, \d+ are left/);
    assert.throws(() => [...readFbOutput(Buffer.concat([bytes, Buffer.from([1, 0])]))], /2 stray bytes/);
  });

  it('takes only ndjson or fb', () => {
    const result = tickflow(['replay', file('feed.ndjson'), '--out-format', 'csv']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /out-format/);
  });
});
