// History on subscribe and resume across restarts (SPEC §3), against real
// servers, a real SQLite file and a real WebSocket client: `history` gives
// the last records of a channel and then live data with no gap and no
// duplicate while ticks keep arriving; a clean restart keeps the store's
// epoch (stored channels resume from the store), a SIGKILL changes it, and
// trades and quotes live in an epoch of their own run.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Publisher, T0 } from '../fixtures/publisher';
import { startServer, type RunningServer } from '../fixtures/server-process';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-history-'));
const servers: RunningServer[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

async function start(db: string): Promise<RunningServer> {
  const server = await startServer(['--source', 'none', '--idle-close-ms', '0', '--db', join(dir, db)]);
  servers.push(server);
  return server;
}

async function subscribe(
  server: RunningServer,
  message: Record<string, unknown>,
): Promise<{ client: TestClient; reply: Record<string, unknown> }> {
  const client = await TestClient.connect(`${server.ws}/ws`);
  client.send({ op: 'subscribe', ...message });
  return { client, reply: await client.reply('subscribed') };
}

/** Waits until the store answers `count` bars of a symbol at 1s. */
async function storedBars(server: RunningServer, symbol: string, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const body = (await (await fetch(`${server.http}/api/bars?symbol=${symbol}&interval=1s`)).json()) as { bars: unknown[] };
    if (body.bars.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`the store never held ${count} bars of ${symbol}`);
}

/** A tick per second of event time from `first`: each one a bar window of its own at 1s. */
const seconds = (symbol: string, first: number, count: number): Array<{ symbol: string; ts: number; price: number }> =>
  Array.from({ length: count }, (_, i) => ({ symbol, ts: T0 + (first + i) * 1000, price: 100 + first + i }));

describe('history on subscribe', () => {
  it('sends the last records of each channel, then live data, seq-continuous while ticks keep arriving', async () => {
    const server = await start('history.db');
    const pub = await Publisher.connect(server.ws);
    // On the channels from the start: sees every message.
    const watch = (await subscribe(server, { channels: ['trades.HIS', 'bars.1s.HIS'] })).client;
    // Windows close as the watermark (the latest tick less 5 s of lateness) passes them.
    await pub.send(seconds('HIS', 0, 20));
    await storedBars(server, 'HIS', 10);

    // Ticks go on arriving while the subscriber asks for history: the store
    // is read while the stream runs, and nothing may fall between the two.
    const feeding = (async () => {
      for (let batch = 0; batch < 20; batch++) await pub.send(seconds('HIS', 20 + batch * 5, 5));
    })();
    const { client, reply } = await subscribe(server, { channels: ['trades.HIS', 'bars.1s.HIS'], history: 5 });
    await feeding;
    await watch.until(() => watch.data('trades.HIS').at(-1)?.seq === 120, 'every trade published');
    await pub.flush();
    await watch.until(
      () => watch.data('bars.1s.HIS').some((f) => f.data.final === true && f.data.window_start === T0 + 119_000),
      'the last bar final',
    );
    const lastTrade = 120;
    const lastBar = watch.data('bars.1s.HIS').at(-1)?.seq as number;
    await client.until(
      () => client.data('trades.HIS').at(-1)?.seq === lastTrade && client.data('bars.1s.HIS').at(-1)?.seq === lastBar,
      'the subscriber caught up with the stream',
    );

    const history = reply.history as Record<string, { records: number; from: number; to: number; complete: boolean }>;
    const trades = client.data('trades.HIS').map((f) => f.seq);
    const first = history['trades.HIS']?.to as number;
    assert.deepEqual(history['trades.HIS'], { records: 5, from: first - 4, to: first, complete: true });
    assert.deepEqual(
      trades,
      Array.from({ length: lastTrade - first + 5 }, (_, i) => first - 4 + i),
      'the last 5 trades, then every live one: no gap, no duplicate',
    );

    const bars = client.data('bars.1s.HIS');
    const barSeqs = bars.map((f) => f.seq);
    assert.deepEqual(
      barSeqs,
      [...new Set(barSeqs)].sort((a, b) => a - b),
      'bar frames in seq order, none twice',
    );
    assert.equal(history['bars.1s.HIS']?.complete, true);
    const finals = bars.filter((f) => f.data.final === true).map((f) => f.data.window_start as number);
    // The stored ones first: 5 consecutive windows, the newest the store held then.
    const oldest = finals[0] as number;
    assert.ok(oldest >= T0 + 5_000, `history starts at the newest stored bars, not at ${oldest - T0} ms`);
    assert.deepEqual(
      finals.slice(0, 5),
      [0, 1, 2, 3, 4].map((i) => oldest + i * 1000),
    );
    // From there on, a subscriber on the channel since the start saw nothing the history subscriber did not.
    assert.deepEqual(
      watch
        .data('bars.1s.HIS')
        .filter((f) => f.seq > (barSeqs[4] as number))
        .map((f) => f.seq),
      barSeqs.slice(5),
    );
    await Promise.all([client.close(), watch.close(), pub.close()]);
  });
});

describe('epochs across restarts', () => {
  it('resumes stored channels after a clean restart, never trades; after SIGKILL, nothing of the old epoch', async () => {
    const db = 'epochs.db';
    const first = await start(db);
    const pub = await Publisher.connect(first.ws);
    const watch = await subscribe(first, { channels: ['trades.EPO', 'bars.1s.EPO'] });
    await pub.send(seconds('EPO', 0, 10));
    await pub.flush();
    await storedBars(first, 'EPO', 10);
    const old = watch.reply.epochs as Record<string, string>;
    await watch.client.until(
      () => watch.client.data('bars.1s.EPO').some((f) => f.data.final === true && f.data.window_start === T0 + 9000),
      'the last final bar',
    );
    const bars = watch.client.data('bars.1s.EPO');
    const finalSeqs = bars.filter((f) => f.data.final === true).map((f) => f.seq);
    const lastTrade = watch.client.data('trades.EPO').at(-1)?.seq as number;
    await Promise.all([watch.client.close(), pub.close()]);
    assert.equal(await first.stop(), 0, 'a clean stop');

    // Same file, clean restart: the store's epoch, not this run's, and the gap is in the store.
    const second = await startServer(['--source', 'none', '--idle-close-ms', '0', '--db', join(dir, db)]);
    servers.push(second);
    const from = finalSeqs[4] as number;
    const resumed = await subscribe(second, {
      channels: ['trades.EPO', 'bars.1s.EPO'],
      resume: { 'bars.1s.EPO': { epoch: old.bars, seq: from }, 'trades.EPO': { epoch: old.trades, seq: lastTrade } },
    });
    const now = resumed.reply.epochs as Record<string, string>;
    assert.equal(now.bars, old.bars, 'a clean restart keeps the store epoch');
    assert.notEqual(now.trades, old.trades, 'trades start again with every run');
    const outcomes = resumed.reply.resumed as Record<string, { recovered: boolean; reason?: string }>;
    assert.equal(outcomes['bars.1s.EPO']?.recovered, true);
    assert.deepEqual(
      resumed.client
        .data('bars.1s.EPO')
        .filter((f) => f.data.final === true)
        .map((f) => f.seq),
      finalSeqs.slice(5),
      'the final bars after the point, from the store',
    );
    assert.equal(outcomes['trades.EPO']?.recovered, false);
    assert.match(String(outcomes['trades.EPO']?.reason), /another epoch.*the server restarted/);
    await resumed.client.close();

    // The same file after a SIGKILL: what was published may not all be stored; a new epoch.
    second.process.kill('SIGKILL');
    await new Promise((resolve) => second.process.once('exit', resolve));
    const third = await startServer(['--source', 'none', '--idle-close-ms', '0', '--db', join(dir, db)]);
    servers.push(third);
    const after = await subscribe(third, { channels: ['bars.1s.EPO'], resume: { 'bars.1s.EPO': { epoch: now.bars, seq: from } } });
    const epochs = after.reply.epochs as Record<string, string>;
    assert.notEqual(epochs.bars, now.bars, 'an unclean end changes the store epoch');
    const outcome = (after.reply.resumed as Record<string, { recovered: boolean; reason?: string }>)['bars.1s.EPO'];
    assert.equal(outcome?.recovered, false);
    assert.match(String(outcome?.reason), /another epoch.*did not close cleanly/);
    assert.deepEqual(
      after.client.data('bars.1s.EPO').map((f) => f.seq),
      [finalSeqs.at(-1)],
      'a fresh snapshot: the latest stored bar',
    );
    await after.client.close();
  });
});
