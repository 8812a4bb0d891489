// The engine against the independent reference model on messy streams:
// out-of-order ticks inside the lateness, equal timestamps, duplicates, late
// ticks, invalid records, several exchanges, zero volumes and zero spreads,
// price jumps and volume bursts. Every record must match, inline and on 1
// and 3 worker threads, to 1e-9 relative, and so must the counts.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
