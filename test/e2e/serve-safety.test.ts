// No client can destroy or hide another client's data: a far-future tick
// neither wipes the store nor blocks its symbol, a publisher's flush touches
// only the symbols it published, a resume on a dotted symbol is answered, and
// an admin can bring back a symbol whose event time ran ahead. Two publishers
// with their own tokens, a restricted subscriber and an admin, over real
// sockets against a real `tickflow serve`.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Publisher, T0, type TickInput } from '../fixtures/publisher';
import { startServer, type RunningServer } from '../fixtures/server-process';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-safety-'));
const servers: RunningServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** 2099-01-01T00:00:00Z, inside the SPEC's fixed range, decades ahead of any clock. */
const FAR = 4_070_908_800_000;

const token = (name: string): { name: string; secret: string; sha256: string } => {
  const secret = `secret-${name}`;
  return { name, secret, sha256: createHash('sha256').update(secret).digest('hex') };
};
const aaplFeed = token('aapl-feed');
const nvdaFeed = token('nvda-feed');
const desk = token('desk');
const ops = token('ops');
const tokenFile = join(dir, 'tokens.json');
writeFileSync(
  tokenFile,
  JSON.stringify({
    tokens: [
      { name: aaplFeed.name, sha256: aaplFeed.sha256, roles: ['publish'], symbols: ['AAPL'] },
      { name: nvdaFeed.name, sha256: nvdaFeed.sha256, roles: ['publish'], symbols: ['NVDA', 'BRK.B'] },
      { name: desk.name, sha256: desk.sha256, roles: ['subscribe'], symbols: ['AAPL', 'BRK.B'] },
      { name: ops.name, sha256: ops.sha256, roles: ['admin', 'subscribe', 'publish'] },
    ],
  }),
);
const bearer = (t: { secret: string }): Record<string, string> => ({ authorization: `Bearer ${t.secret}` });

async function start(db: string, args: readonly string[] = []): Promise<RunningServer> {
  const server = await startServer(['--db', join(dir, db), '--source', 'none', '--token-file', tokenFile, '--host', '127.0.0.1', ...args]);
  servers.push(server);
  return server;
}

async function subscriber(
  server: RunningServer,
  who: { secret: string },
  message: Record<string, unknown>,
): Promise<{ client: TestClient; reply: Record<string, unknown> }> {
  const client = await TestClient.connect(`${server.ws}/ws`, bearer(who));
  client.send({ op: 'subscribe', ...message });
  return { client, reply: await client.reply('subscribed') };
}

/** Error frames a publisher got for its ticks, as [reason, tick index]. */
function refusals(publisher: Publisher): Array<[unknown, unknown]> {
  return publisher.client
    .json()
    .filter((f) => f.op === 'error' && f.code === 'rejected')
    .map((f) => [f.reason, f.tick]);
}

async function metrics(server: RunningServer): Promise<string> {
  return (await fetch(`${server.http}/metrics`, { headers: bearer(ops) })).text();
}

/** A control line on /ingest and the first reply to it (matched by id). */
async function control(publisher: Publisher, line: Record<string, unknown>): Promise<Record<string, unknown>> {
  const id = `c${Math.random()}`;
  publisher.client.send({ ...line, id });
  let found: Record<string, unknown> | undefined;
  await publisher.client.until(
    () => {
      found = publisher.client.json().find((f) => f.id === id);
      return found !== undefined;
    },
    `the reply to ${JSON.stringify(line)}`,
  );
  return found as Record<string, unknown>;
}

describe('event time that cannot run away', () => {
  it("rejects a far-future tick as future, keeps its symbol live and every other symbol's history through retention", async () => {
    const server = await start('future.db', ['--retention', '1d']);
    const { client: watcher } = await subscriber(server, desk, { channels: ['trades.AAPL'] });
    const nvda = await Publisher.connect(server.ws, bearer(nvdaFeed));
    const aapl = await Publisher.connect(server.ws, bearer(aaplFeed));

    // NVDA: last year's history, replayed and made final.
    const history: TickInput[] = Array.from({ length: 20 }, (_, i) => ({ symbol: 'NVDA', ts: T0 + i * 1000, price: 500 + i, volume: 10 }));
    await nvda.send(history);
    await nvda.flush();
    const stored = async (s: RunningServer): Promise<number> => {
      const answer = (await (await fetch(`${s.http}/api/bars?symbol=NVDA&interval=1s`, { headers: bearer(ops) })).json()) as {
        bars: unknown[];
      };
      return answer.bars.length;
    };
    const deadline = Date.now() + 20_000;
    while ((await stored(server)) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await stored(server), 20);

    const now = Date.now();
    await aapl.send([
      { symbol: 'AAPL', ts: now - 1000, price: 190, volume: 1 },
      { symbol: 'AAPL', ts: FAR, price: 1, volume: 1 },
      { symbol: 'AAPL', ts: FAR + 1, price: 1, volume: 1 },
      { symbol: 'AAPL', ts: Date.now(), price: 191, volume: 1 },
    ]);
    assert.deepEqual(refusals(aapl), [
      ['future', 2],
      ['future', 3],
    ]);
    const errors = aapl.client.json().filter((f) => f.reason === 'future');
    assert.match(String(errors[0]?.message), /ahead of the server clock; at most 5000 ms \(--max-future-ms\)/);
    await watcher.until(() => watcher.data('trades.AAPL').length === 2, 'both current AAPL trades');
    assert.deepEqual(
      watcher.data('trades.AAPL').map((f) => f.data.price),
      [190, 191],
      'the symbol still takes current ticks',
    );
    assert.match(await metrics(server), /tickflow_dead_letters_total\{reason="future"\} 2/);
    assert.ok(
      server.logs.some((line) => line.includes('rejected as future')),
      'the rejection is logged',
    );

    // A graceful stop makes every window final; the restart sweeps the store at once.
    await Promise.all([watcher.close(), nvda.close(), aapl.close()]);
    assert.equal(await server.stop(), 0);
    const again = await start('future.db', ['--retention', '1d']);
    assert.equal(await stored(again), 20, "NVDA's history is still there after the start-up retention sweep");
  });

  it('lets an admin reset a symbol whose event time ran ahead, and no one else', async () => {
    // A generous --max-future-ms is what lets event time run ahead here.
    const server = await start('reset.db', ['--max-future-ms', String(100 * 365 * 86_400_000), '--idle-close-ms', '0']);
    const { client: watcher } = await subscriber(server, ops, { channels: ['trades.AAPL'] });
    const aapl = await Publisher.connect(server.ws, bearer(aaplFeed));
    await aapl.send([
      { symbol: 'AAPL', ts: T0, price: 190, volume: 1 },
      { symbol: 'AAPL', ts: FAR, price: 1, volume: 1 },
    ]);
    await aapl.send([{ symbol: 'AAPL', ts: Date.now(), price: 191, volume: 1 }]);
    await aapl.client.until(() => refusals(aapl).length > 0, 'the verdict on the current tick');
    assert.deepEqual(refusals(aapl), [['late', 3]], 'stuck: current ticks are late');

    const reset = (who: { secret: string } | null, symbol = 'AAPL'): Promise<Response> =>
      fetch(`${server.http}/api/watermarks/reset?symbol=${encodeURIComponent(symbol)}`, {
        method: 'POST',
        headers: who === null ? {} : bearer(who),
      });
    assert.equal((await reset(null)).status, 401);
    assert.equal((await reset(aaplFeed)).status, 403, 'the publisher cannot');
    assert.equal((await reset(desk)).status, 403, 'a subscriber cannot');
    assert.equal((await reset(ops, 'MSFT')).status, 404, 'a symbol never seen');
    assert.equal((await reset(ops, 'bad symbol!')).status, 400);

    const before = Date.now();
    const answer = (await (await reset(ops)).json()) as Record<string, unknown>;
    assert.equal(answer.changed, true);
    assert.equal(answer.watermark_before, FAR - 5000);
    assert.ok(
      typeof answer.watermark === 'number' && answer.watermark >= before - 5000 && answer.watermark <= Date.now() - 5000,
      `watermark ${String(answer.watermark)}`,
    );
    assert.deepEqual(answer.discarded, { bars: 3, indicator_panes: 1, trades: 1, quotes: 0 });

    await aapl.send([{ symbol: 'AAPL', ts: Date.now(), price: 192, volume: 1 }]);
    await watcher.until(() => watcher.data('trades.AAPL').some((f) => f.data.price === 192), 'the current tick, accepted again');
    assert.deepEqual(refusals(aapl), [['late', 3]]);
    const second = (await (await reset(ops)).json()) as Record<string, unknown>;
    assert.equal(second.changed, false, 'a second reset finds nothing ahead of the clock');
    const text = await metrics(server);
    assert.match(text, /tickflow_watermark_resets_total\{outcome="changed"\} 1/);
    assert.match(text, /tickflow_watermark_resets_total\{outcome="unchanged"\} 1/);
    assert.ok(
      server.logs.some((line) => line.includes('"watermark reset"') && line.includes('"token":"ops"')),
      'the reset is logged with its token',
    );
    await Promise.all([watcher.close(), aapl.close()]);
  });
});

describe('flush scoped to its publisher', () => {
  it('finalises only the symbols the flushing connection published; every symbol only for an admin', async () => {
    const server = await start('flush.db', ['--idle-close-ms', '0']);
    const { client: watcher } = await subscriber(server, ops, { channels: ['bars.1m.*'] });
    const aapl = await Publisher.connect(server.ws, bearer(aaplFeed));
    const nvda = await Publisher.connect(server.ws, bearer(nvdaFeed));
    await aapl.send([{ symbol: 'AAPL', ts: T0 + 1000, price: 190, volume: 1 }]);
    await nvda.send([{ symbol: 'NVDA', ts: T0 + 1000, price: 500, volume: 1 }]);

    const own = await control(aapl, { op: 'flush' });
    assert.deepEqual([own.op, own.symbols], ['flushed', 1]);
    await watcher.until(() => finals(watcher, 'AAPL').length === 1, "AAPL's final bar");
    await nvda.send([{ symbol: 'NVDA', ts: T0 + 2000, price: 501, volume: 2 }]);
    assert.deepEqual(refusals(nvda), [], "NVDA's window stayed open: its publisher's tick is not late");
    assert.deepEqual(finals(watcher, 'NVDA'), [], 'no NVDA bar is final yet');

    const wide = await control(aapl, { op: 'flush', all: true });
    assert.deepEqual([wide.op, wide.code], ['error', 'forbidden']);
    const narrowed = await control(aapl, { op: 'flush', symbol: 'NVDA' });
    assert.deepEqual([narrowed.op, narrowed.code], ['error', 'bad_request']);
    assert.match(String(narrowed.message), /a flush takes only "id" and "all".*"symbol"/);

    await nvda.flush();
    await watcher.until(() => finals(watcher, 'NVDA').length === 1, "NVDA's final bar");
    assert.deepEqual(
      finals(watcher, 'NVDA').map((b) => [b.volume, b.trade_count]),
      [[3, 2]],
    );

    const admin = await Publisher.connect(server.ws, bearer(ops));
    await admin.send([{ symbol: 'MSFT', ts: T0 + 1000, price: 400, volume: 1 }]);
    // After its flush AAPL's windows up to the last 5-minute one are final: a later window.
    await aapl.send([{ symbol: 'AAPL', ts: T0 + 600_000, price: 191, volume: 1 }]);
    const everything = await control(admin, { op: 'flush', all: true });
    assert.deepEqual([everything.op, everything.all], ['flushed', true]);
    await watcher.until(() => finals(watcher, 'AAPL').length === 2 && finals(watcher, 'MSFT').length === 1, 'every symbol final');
    const text = await metrics(server);
    assert.match(text, /tickflow_flushes_total\{scope="publisher"\} 2/);
    assert.match(text, /tickflow_flushes_total\{scope="all"\} 1/);
    assert.ok(server.logs.some((line) => line.includes('every symbol flushed by an admin') && line.includes('"token":"ops"')));
    await Promise.all([watcher.close(), aapl.close(), nvda.close(), admin.close()]);
  });
});

describe('resume on dotted symbols', () => {
  it('resumes a restricted subscriber on trades.BRK.B, and answers every resume it cannot fill with a reason', async () => {
    const server = await start('resume.db');
    const feed = await Publisher.connect(server.ws, bearer(nvdaFeed));
    const first = await subscriber(server, desk, { channels: ['trades.BRK.B'] });
    await feed.send([1, 2].map((i) => ({ symbol: 'BRK.B', ts: T0 + i, price: 400 + i, volume: 1 })));
    await first.client.until(() => first.client.data('trades.BRK.B').length === 2, 'two trades');
    await first.client.close();
    await feed.send([3, 4, 5].map((i) => ({ symbol: 'BRK.B', ts: T0 + i, price: 400 + i, volume: 1 })));

    const epoch = first.reply.epochs as { trades: string };
    const at = (seq: number): { epoch: string; seq: number } => ({ epoch: epoch.trades, seq });
    const { client, reply } = await subscriber(server, desk, {
      channels: ['trades.BRK.B', 'trades.AAPL'],
      resume: { 'trades.BRK.B': at(2), 'trades.NVDA': at(0), 'trades.AAPL': at(0), 'trades.*': at(0) },
    });
    assert.equal(reply.recovered, false, 'not every channel could be resumed');
    const resumed = reply.resumed as Record<string, { recovered: boolean; from: number; to: number; reason?: string }>;
    assert.deepEqual(resumed['trades.BRK.B'], { recovered: true, from: 2, to: 5 });
    assert.deepEqual(
      client.data('trades.BRK.B').map((f) => f.seq),
      [3, 4, 5],
    );
    assert.deepEqual(resumed['trades.NVDA'], { recovered: false, from: 0, to: 0, reason: 'not entitled to NVDA' });
    assert.equal(resumed['trades.AAPL']?.recovered, true, 'nothing was ever published on it: nothing missed');
    assert.match(String(resumed['trades.*']?.reason), /not wildcards/);
    await Promise.all([client.close(), feed.close()]);
  });
});

function finals(client: TestClient, symbol: string): Array<Record<string, unknown>> {
  return client
    .data(`bars.1m.${symbol}`)
    .filter((f) => f.data.final === true)
    .map((f) => f.data);
}
