// The Node baseline of the benchmarks (bench/baseline/) must compute what
// tickflow computes, or the comparison measures different work: its replay
// gives the same final records as `tickflow replay`, and its server speaks
// enough of tickflow's protocol for the same load generator and latency
// matcher (trades frames with per-channel seq, the tick as data).

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSet, records, statsOf, tickflow } from '../fixtures/cli';
import { TestClient } from '../fixtures/ws-client';

const BASELINE = join(__dirname, '..', '..', 'bench', 'baseline');
const dir = mkdtempSync(join(tmpdir(), 'tickflow-baseline-'));
const feed = join(dir, 'feed.ndjson');
let server: ChildProcess | undefined;

before(() => {
  const gen = tickflow(['gen', '--symbols', '5', '--rate', '1000', '--duration', '30s', '--seed', '7', '--out', feed]);
  assert.equal(gen.status, 0, gen.stderr);
});

after(async () => {
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

function baselineReplay(args: readonly string[]): string {
  const result = spawnSync(process.execPath, [join(BASELINE, 'replay.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

function tickflowReplay(file: string): string {
  const result = tickflow(['replay', file]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** Starts the baseline server on port 0 and reads the port from its {"listening":PORT} line. */
function startBaselineServer(): Promise<number> {
  assert.equal(server, undefined, 'one baseline server per test file');
  const child = spawn(process.execPath, [join(BASELINE, 'server.js'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline !== -1) resolve((JSON.parse(stdout.slice(0, newline)) as { listening: number }).listening);
    });
    child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}: ${stderr}`)));
  });
}

describe('Node baseline replay', () => {
  it('writes the same final bars, indicators and alerts as tickflow replay', () => {
    const expected = tickflowReplay(feed);
    const out = baselineReplay([feed]);
    const set = recordSet(out);
    assert.deepEqual(set, recordSet(expected));
    const kinds = new Set(records(out).map((r) => r.type));
    for (const kind of ['bar', 'indicator', 'alert']) assert.ok(kinds.has(kind), `no ${kind} records`);

    const stats = statsOf(out);
    const reference = statsOf(expected);
    assert.equal(stats.ticks, reference.ticks);
    assert.equal(stats.accepted, reference.accepted);
    assert.ok((stats.ticks_per_s ?? 0) > 0 && (stats.seconds ?? 0) > 0);
  });

  it('gives the same records whatever the batch size, with the stats line last on stdout when --out is a file', () => {
    const expected = recordSet(tickflowReplay(feed));
    const outFile = join(dir, 'baseline.ndjson');
    const stdout = baselineReplay([feed, '--batch', '1', '--out', outFile]);
    assert.deepEqual(
      records(stdout).map((r) => r.type),
      ['stats'],
    );
    assert.equal(statsOf(stdout).batch, 1);
    assert.deepEqual(recordSet(readFileSync(outFile, 'utf8')), expected);
  });

  it('counts rejected, duplicate and late ticks as tickflow does', () => {
    const flawed = join(dir, 'flawed.ndjson');
    const gen = tickflow([
      'gen',
      '--symbols',
      '5',
      '--rate',
      '1000',
      '--duration',
      '30s',
      '--seed',
      '7',
      '--duplicate-rate',
      '0.005',
      '--late-rate',
      '0.005',
      '--invalid-rate',
      '0.005',
      '--out',
      flawed,
    ]);
    assert.equal(gen.status, 0, gen.stderr);
    const expected = tickflowReplay(flawed);
    const out = baselineReplay([flawed]);
    assert.deepEqual(recordSet(out), recordSet(expected));
    const { rejected, duplicate, late, ticks } = statsOf(out);
    const reference = statsOf(expected);
    assert.deepEqual(
      { rejected, duplicate, late, ticks },
      { rejected: reference.rejected, duplicate: reference.duplicate, late: reference.late, ticks: reference.ticks },
    );
    assert.ok((rejected ?? 0) > 0 && (duplicate ?? 0) > 0 && (late ?? 0) > 0);
  });
});

describe('Node baseline server', () => {
  let port = 0;
  before(async () => {
    port = await startBaselineServer();
  });

  it('delivers published trades to trades.* and trades.SYM subscribers, and the final records of tickflow replay', async () => {
    const lines = readFileSync(feed, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .slice(0, 5000);
    const ticks = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const trades = ticks.filter((t) => t.event_type === 'TRADE');
    const symbol = trades[0]?.symbol as string;

    const all = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    const finals = ['bars.1s.*', 'bars.1m.*', 'bars.5m.*', 'indicators.*', 'alerts.*'];
    all.send({ op: 'subscribe', channels: ['trades.*', ...finals], id: 'a' });
    assert.deepEqual(await all.reply('subscribed'), { op: 'subscribed', id: 'a', channels: ['trades.*', ...finals], throttle_ms: 0 });
    const one = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    one.send({ op: 'subscribe', channels: [`trades.${symbol}`] });
    await one.reply('subscribed');

    const publisher = await TestClient.connect(`ws://127.0.0.1:${port}/ingest`);
    for (let i = 0; i < lines.length; i += 100) publisher.send(lines.slice(i, i + 100).join('\n'));
    publisher.send({ op: 'flush', id: 'end' });
    assert.deepEqual(await publisher.reply('flushed'), { op: 'flushed', id: 'end' });

    const tradesOf = (client: TestClient): Array<{ ch: string; seq: number; data: Record<string, unknown> }> =>
      client.data().filter((f) => f.ch.startsWith('trades.'));
    await all.until(() => tradesOf(all).length >= trades.length, `${trades.length} trades on trades.*`);
    assert.deepEqual(
      tradesOf(all).map((f) => f.data),
      trades,
    );
    for (const f of tradesOf(all)) assert.equal(f.ch, `trades.${f.data.symbol as string}`);
    const mine = trades.filter((t) => t.symbol === symbol);
    await one.until(() => tradesOf(one).length >= mine.length, `${mine.length} trades on trades.${symbol}`);
    assert.deepEqual(
      tradesOf(one).map((f) => f.data),
      mine,
    );
    assert.deepEqual(
      tradesOf(one).map((f) => f.seq),
      mine.map((_, i) => i + 1),
    );
    assert.deepEqual(
      tradesOf(all)
        .filter((f) => f.ch === `trades.${symbol}`)
        .map((f) => f.seq),
      mine.map((_, i) => i + 1),
    );
    assert.deepEqual(
      publisher.json().filter((f) => f.op === 'error'),
      [],
    );

    const part = join(dir, 'part.ndjson');
    writeFileSync(part, `${lines.join('\n')}\n`);
    const expected = recordSet(tickflowReplay(part));
    // Final records are sent before the flush reply, but on another connection: allow for the wire.
    const got = (): string[] =>
      all
        .data()
        .filter((f) => !f.ch.startsWith('trades.') && f.data.final !== false)
        .map((f) => JSON.stringify(f.data));
    await all.until(() => got().length >= expected.length, `${expected.length} final records`);
    assert.deepEqual(got().sort(), expected);

    await Promise.all([all.close(), one.close(), publisher.close()]);
  });

  it('answers a rejected tick on /ingest with an error frame naming its index and reason', async () => {
    const publisher = await TestClient.connect(`ws://127.0.0.1:${port}/ingest`);
    publisher.send(
      [
        '{"symbol":"DEMO","event_type":"TRADE","timestamp":1704205800000,"price":101.5,"volume":200,"seq":1}',
        '{"symbol":"DEMO","event_type":"TRADE","timestamp":1704205800001,"price":"oops","volume":1}',
        '{"symbol":"DEMO","event_type":"TRADE","timestamp":1704205800002,"price":101.5,"volume":200,"seq":1}',
      ].join('\n'),
    );
    await publisher.until(() => publisher.json().filter((f) => f.op === 'error').length >= 2, 'two error frames');
    const errors = publisher.json().filter((f) => f.op === 'error');
    assert.deepEqual(
      errors.map((e) => [e.code, e.reason, e.tick]),
      [
        ['rejected', 'wrong_type', 2],
        ['rejected', 'duplicate', 3],
      ],
    );
    await publisher.close();
  });
});
