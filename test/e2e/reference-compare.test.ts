// The engine against the independent reference model on messy streams:
// out-of-order ticks inside the lateness, equal timestamps, duplicates, late
// ticks, invalid records, several exchanges, zero volumes and zero spreads,
// price jumps and volume bursts. Every record must match, inline and on 1
// and 3 worker threads, to 1e-9 relative, and so must the counts.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { records, tickflow } from '../fixtures/cli';
import { multisetDifferences, type Row } from '../fixtures/compare';
import { runReference } from '../fixtures/reference-model';
import { messyStream } from '../fixtures/messy-stream';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-reference-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tickflow replay against the reference model', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`agrees on every record and count of a messy stream (seed ${seed})`, () => {
      const input = messyStream(seed, 6000);
      const file = join(dir, `messy-${seed}.ndjson`);
      writeFileSync(file, `${input.map((v) => JSON.stringify(v)).join('\n')}\n`);
      const expected = runReference(input);
      assert.ok(expected.late > 0 && expected.duplicate > 0 && expected.rejected > 0, 'the stream must exercise every drop');
      assert.ok(
        expected.records.some((r) => r.type === 'alert'),
        'the stream must raise alerts',
      );
      for (const partitions of ['0', '1', '3']) {
        const result = tickflow(['replay', file, '--partitions', partitions]);
        assert.equal(result.status, 0, result.stderr);
        const out = records(result.stdout);
        const stats = out.pop();
        assert.deepEqual(
          [stats?.accepted, stats?.rejected, stats?.duplicate, stats?.late],
          [expected.accepted, expected.rejected, expected.duplicate, expected.late],
        );
        assert.deepEqual(multisetDifferences(out, expected.records as unknown as Row[], 1e-9), [], `--partitions ${partitions}`);
      }
    });
  }

  for (const seed of [6, 7]) {
    it(`agrees on activity bars and trade side, whatever the arrival order within the lateness (seed ${seed})`, () => {
      const input = messyStream(seed, 6000);
      const file = join(dir, `activity-${seed}.ndjson`);
      writeFileSync(file, `${input.map((v) => JSON.stringify(v)).join('\n')}\n`);
      const expected = runReference(input, {
        intervals: [1000, 60_000],
        intervalLabels: ['1s', '1m'],
        activityBars: [
          { label: '7t', unit: 'trades', size: 7 },
          { label: '2500v', unit: 'volume', size: 2500 },
          { label: '400000n', unit: 'notional', size: 400_000 },
        ],
      });
      const activity = expected.records.filter((r) => r.type === 'bar' && r.bar_index !== undefined);
      assert.ok(activity.length > 100, 'the stream must fill activity bars');
      assert.ok(
        activity.some((r) => r.type === 'bar' && r.complete === false),
        'the end of the input must cut a bar short',
      );
      for (const partitions of ['0', '1', '3']) {
        const result = tickflow(['replay', file, '--partitions', partitions, '--intervals', '1s,7t,1m,2500v,400000n']);
        assert.equal(result.status, 0, result.stderr);
        const out = records(result.stdout);
        out.pop();
        assert.deepEqual(multisetDifferences(out, expected.records as unknown as Row[], 1e-9), [], `--partitions ${partitions}`);
      }
    });
  }

  for (const seed of [8, 10]) {
    it(`agrees on corrections and their revisions, on 1 and 3 partitions (seed ${seed})`, () => {
      const input = messyStream(seed, 6000);
      const file = join(dir, `corrections-${seed}.ndjson`);
      writeFileSync(file, `${input.map((v) => JSON.stringify(v)).join('\n')}\n`);
      const expected = runReference(input, {
        allowedLatenessMs: 3000,
        indicatorWindowMs: 10_000,
        indicatorSlideMs: 2000,
        activityBars: [{ label: '5t', unit: 'trades', size: 5 }],
      });
      const revised = expected.records.filter((r) => r.type !== 'alert' && (r.revision ?? 0) > 0);
      assert.ok(
        revised.some((r) => r.type === 'bar') && revised.some((r) => r.type === 'indicator'),
        'the stream must revise bars and indicators',
      );
      const args = ['--allowed-lateness-ms', '3000', '--indicator-window', '10s', '--indicator-slide', '2s', '--intervals', '1s,1m,5m,5t'];
      for (const partitions of ['0', '1', '3']) {
        const result = tickflow(['replay', file, '--partitions', partitions, ...args]);
        assert.equal(result.status, 0, result.stderr);
        const out = records(result.stdout);
        const stats = out.pop();
        assert.deepEqual([stats?.accepted, stats?.late, stats?.revisions], [expected.accepted, expected.late, revised.length]);
        assert.ok((stats?.corrections as number) > 0);
        assert.deepEqual(multisetDifferences(out, expected.records as unknown as Row[], 1e-9), [], `--partitions ${partitions}`);
      }
    });
  }

  it('agrees on trades that would overflow a bar: rejected as out_of_range, never an inexact volume or a null vwap', () => {
    const T0 = 1_704_067_200_000;
    const trade = (offset: number, symbol: string, price: number, volume: number): Record<string, unknown> => ({
      symbol,
      event_type: 'TRADE',
      timestamp: T0 + offset,
      price,
      volume,
    });
    const input = [
      ...messyStream(5, 2000),
      trade(0, 'BIGV', 2.5, 2 ** 52),
      trade(10, 'BIGV', 2.5, 2 ** 52), // 2^53 in every bar: rejected
      trade(20, 'BIGV', 2.75, 2 ** 52 - 1), // 2^53 - 1: accepted
      trade(70_000, 'BIGV', 3, 2 ** 53 - 1), // a new 1s and 1m bar, but the 5m bar is full: rejected
      trade(0, 'BIGN', 1e300, 1e10), // 1e310
      trade(5, 'BIGN', 1.5e308, 1),
      trade(1005, 'BIGN', 1e308, 1), // a new 1s bar; 2.5e308 in the 1m bar
      trade(1010, 'BIGN', 2e307, 1),
    ];
    const file = join(dir, 'overflow.ndjson');
    const deadLetters = join(dir, 'overflow-dead.ndjson');
    writeFileSync(file, `${input.map((v) => JSON.stringify(v)).join('\n')}\n`);
    const expected = runReference(input);
    assert.equal(expected.deadLetters.filter((d) => d.reason === 'out_of_range' && d.index >= input.length - 8).length, 4);
    for (const partitions of ['0', '1']) {
      const result = tickflow(['replay', file, '--partitions', partitions, '--dead-letter', deadLetters]);
      assert.equal(result.status, 0, result.stderr);
      const out = records(result.stdout);
      const stats = out.pop();
      assert.deepEqual(
        [stats?.accepted, stats?.rejected, stats?.duplicate, stats?.late],
        [expected.accepted, expected.rejected, expected.duplicate, expected.late],
        `--partitions ${partitions}`,
      );
      assert.deepEqual(multisetDifferences(out, expected.records as unknown as Row[], 1e-9), [], `--partitions ${partitions}`);
      for (const bar of out.filter((r) => r.type === 'bar')) {
        assert.ok(Number.isSafeInteger(bar.volume), `${JSON.stringify(bar)}: volume`);
        assert.ok(bar.volume === 0 || (typeof bar.vwap === 'number' && Number.isFinite(bar.vwap)), `${JSON.stringify(bar)}: vwap`);
      }
      const overflows = records(readFileSync(deadLetters, 'utf8')).filter((d) => d.reason === 'out_of_range' && d.tick !== undefined);
      assert.deepEqual(
        overflows.map((d) => [(d.tick as { symbol: string }).symbol, d.field]),
        [
          ['BIGV', 'volume'],
          ['BIGV', 'volume'],
          ['BIGN', ''],
          ['BIGN', ''],
        ],
      );
    }
  });
});
