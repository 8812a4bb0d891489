// Checkpoint and restore through real partition workers and rings: state
// crosses in chunks (a tiny ring forces many), and a second pipeline that
// restores the first one's checkpoint continues exactly where it stood.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyticsConfig } from '../../src/analytics/analytics-config';
import { loadConfig } from '../../src/config/load';
import { ValidTick, validateTick } from '../../src/ingest/tick-validator';
import { Msg } from '../../src/partition/protocol';
import type { ResultVisitor } from '../../src/partition/result-drain';
import { RecordJson } from '../../src/records/record-json';
import { checkpointSymbols } from '../../src/partition/checkpoint-codec';
import { Engine } from '../../src/partition/engine';
import { multisetDifferences, type Row } from '../fixtures/compare';
import { messyStream } from '../fixtures/messy-stream';

class Collector implements ResultVisitor {
  readonly rows: Row[] = [];
  private readonly json = new Map<Uint8Array, RecordJson>();
  record(type: number, _p: number, bytes: Uint8Array, offset: number): void {
    let json = this.json.get(bytes);
    if (json === undefined) {
      json = new RecordJson(bytes);
      this.json.set(bytes, json);
    }
    if (type === Msg.BAR) this.rows.push(JSON.parse(json.barAt(offset)) as Row);
    else if (type === Msg.INDICATOR) this.rows.push(JSON.parse(json.indicatorAt(offset)) as Row);
    else if (type === Msg.ALERT) this.rows.push(JSON.parse(json.alertAt(offset)) as Row);
  }
  flushed(): void {}
}

async function pipeline(partitions: number, ringKib: number): Promise<{ pipeline: Engine; out: Collector }> {
  const out = new Collector();
  const config = loadConfig('replay', [], {}).config;
  const p = await Engine.start({
    partitions,
    pin: false,
    ringBytes: ringKib * 1024,
    analytics: analyticsConfig(config, false),
    results: 'event-loop',
    probes: false,
  });
  p.deliverTo(out);
  return { pipeline: p, out };
}

function placement(partitions: number): string {
  return partitions === 0 ? 'inline' : `${partitions} workers`;
}

function ticks(seed: number, count: number): ValidTick[] {
  const out: ValidTick[] = [];
  for (const value of messyStream(seed, count)) {
    const t = new ValidTick();
    if (validateTick(value, t) === null) out.push(t);
  }
  return out;
}

describe('pipeline checkpoints', () => {
  for (const [from, to] of [
    [2, 3],
    [2, 0],
    [0, 2],
  ] as const) {
    it(
      `a restored engine, from ${placement(from)} to ${placement(to)}, produces what the original does from the ` + `checkpoint on`,
      async () => {
        await restoredMatches(from, to);
      },
    );
  }

  async function restoredMatches(from: number, to: number): Promise<void> {
    const stream = ticks(4, 10_000);
    const cut = Math.floor(stream.length / 2);
    const a = await pipeline(from, 4);
    const b = await pipeline(to, 4);
    try {
      stream.slice(0, cut).forEach((t, i) => a.pipeline.ingest(t, i + 1));
      a.pipeline.publish();
      const parts = await a.pipeline.requests.checkpoint(null);
      assert.equal(parts.length, Math.max(1, from));
      assert.ok(
        parts.every((p) => p.length > 4096),
        'the checkpoint should span many chunks of a 4 KiB ring',
      );
      const before = a.out.rows.length;
      await b.pipeline.requests.restore(parts);
      stream.slice(cut).forEach((t, i) => {
        a.pipeline.ingest(t, cut + i + 1);
        b.pipeline.ingest(t, cut + i + 1);
      });
      a.pipeline.publish();
      b.pipeline.publish();
      await Promise.all([a.pipeline.requests.flush(), b.pipeline.requests.flush()]);
      const expected = a.out.rows.slice(before);
      assert.ok(expected.length > 100);
      assert.deepEqual(multisetDifferences(b.out.rows, expected, 1e-9), []);
    } finally {
      await Promise.all([a.pipeline.stop(), b.pipeline.stop()]);
    }
  }

  for (const partitions of [0, 2]) {
    it(`forgets symbols on ${placement(partitions)}: the same ticks again give what a fresh engine gives`, async () => {
      // An input partition taken over again with no checkpoint of these
      // symbols: the engine must not judge their ticks against what it held.
      const stream = ticks(6, 4000);
      const ran = await pipeline(partitions, 64);
      const fresh = await pipeline(partitions, 64);
      try {
        stream.forEach((t, i) => ran.pipeline.ingest(t, i + 1));
        ran.pipeline.publish();
        await ran.pipeline.requests.checkpoint(null);
        const before = ran.out.rows.length;
        await ran.pipeline.requests.forget(['AAA', 'BBB', 'CCC.X', 'DD/E', 'EEE']);
        stream.forEach((t, i) => {
          ran.pipeline.ingest(t, i + 1);
          fresh.pipeline.ingest(t, i + 1);
        });
        ran.pipeline.publish();
        fresh.pipeline.publish();
        await Promise.all([ran.pipeline.requests.flush(), fresh.pipeline.requests.flush()]);
        assert.ok(fresh.out.rows.length > 100);
        assert.deepEqual(multisetDifferences(ran.out.rows.slice(before), fresh.out.rows, 1e-9), []);
      } finally {
        await Promise.all([ran.pipeline.stop(), fresh.pipeline.stop()]);
      }
    });
  }

  it('snapshots only the symbols asked for, and nothing for an empty list', async () => {
    const a = await pipeline(0, 64);
    try {
      ticks(5, 2000).forEach((t, i) => a.pipeline.ingest(t, i + 1));
      const [one] = await a.pipeline.requests.checkpoint(['AAA']);
      const [none] = await a.pipeline.requests.checkpoint([]);
      const [all] = await a.pipeline.requests.checkpoint(null);
      assert.deepEqual(checkpointSymbols(one as Uint8Array), ['AAA']);
      assert.deepEqual(checkpointSymbols(none as Uint8Array), []);
      assert.equal(checkpointSymbols(all as Uint8Array).length, 5);
    } finally {
      await a.pipeline.stop();
    }
  });
});
