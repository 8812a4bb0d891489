// Operating `serve`: slow consumers, graceful shutdown, HTTP endpoints,
// tokens and entitlements, TLS, and the file source.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { records, tickflow } from '../fixtures/cli';
import { Publisher, T0, type TickInput } from '../fixtures/publisher';
import { startServer, type RunningServer } from '../fixtures/server-process';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-ops-'));
const servers: RunningServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(args: readonly string[]): Promise<RunningServer> {
  const server = await startServer(['--db', join(dir, `${servers.length}.db`), ...args]);
  servers.push(server);
  return server;
}

async function subscribe(url: string, channels: string[], headers: Record<string, string> = {}): Promise<TestClient> {
  const client = await TestClient.connect(url, headers);
  client.send({ op: 'subscribe', channels });
  await client.reply('subscribed');
  return client;
}

describe('slow consumers', () => {
  it('closes a frozen client with 4008 while every other client still gets every message in order', async () => {
    const server = await start(['--source', 'none', '--slow-client-kib', '64', '--max-client-kib', '256']);
    const frozen = await subscribe(`${server.ws}/ws`, ['trades.*', 'quotes.*']);
    const others = await Promise.all([1, 2, 3].map(() => subscribe(`${server.ws}/ws`, ['trades.*'])));
    // Stop reading: the server's send buffer for this client fills up.
    (frozen.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const publisher = await Publisher.connect(server.ws);
    const total = 30_000;
    for (let i = 0; i < total; i += 500) {
      const batch: TickInput[] = [];
      for (let j = i; j < i + 500; j++) {
        batch.push({ symbol: `S${j % 20}`, ts: T0 + j, price: 100 + (j % 7), volume: 100 + j, seq: j });
        batch.push({ symbol: `S${j % 20}`, type: 'QUOTE', ts: T0 + j, bid: 99, ask: 101 });
      }
      await publisher.send(batch);
    }
    for (const client of others) {
      await client.until(() => client.data().length >= total, `all ${total} trades`);
      const bySymbol = new Map<string, number>();
      for (const f of client.data()) {
        const last = bySymbol.get(f.ch) ?? 0;
        assert.equal(f.seq, last + 1, `${f.ch}: seq ${f.seq} after ${last}`);
        bySymbol.set(f.ch, f.seq);
      }
    }
    (frozen.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await frozen.until(() => frozen.closeCode !== null, 'the slow consumer close', 30_000);
    assert.equal(frozen.closeCode, 4008);
    assert.match(frozen.closeReason, /slow consumer/);
    const metrics = await (await fetch(`${server.http}/metrics`)).text();
    assert.match(metrics, /tickflow_slow_consumer_closes_total [1-9]/);
    await publisher.close();
    await Promise.all(others.map((c) => c.close()));
  });

  it('conflates quotes for a lagging client before anything is dropped, and catches it up with the latest values', async () => {
    const server = await start(['--source', 'none', '--slow-client-kib', '16', '--max-client-kib', '100000']);
    const lagging = await subscribe(`${server.ws}/ws`, ['quotes.*']);
    (lagging.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const publisher = await Publisher.connect(server.ws);
    const last = new Map<string, number>();
    let sent = 0;
    const conflated = async (): Promise<boolean> =>
      /tickflow_clients_conflated 1/.test(await (await fetch(`${server.http}/metrics`)).text());
    // Kernel socket buffers absorb the first megabytes; publish until the server sees the client lag.
    while (!(await conflated()) && sent < 1_000_000) {
      await publisher.send(
        Array.from({ length: 2000 }, () => {
          const symbol = `Q${sent % 5}`;
          last.set(symbol, T0 + sent);
          return { symbol, type: 'QUOTE' as const, ts: T0 + sent++, bid: 1, ask: 2 + (sent % 3) };
        }),
      );
    }
    assert.ok(await conflated(), 'the client never lagged');
    await publisher.send(
      Array.from({ length: 2000 }, () => {
        const symbol = `Q${sent % 5}`;
        last.set(symbol, T0 + sent);
        return { symbol, type: 'QUOTE' as const, ts: T0 + sent++, bid: 1, ask: 2 };
      }),
    );
    (lagging.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await lagging.until(
      () => [...last].every(([symbol, ts]) => lagging.data(`quotes.${symbol}`).at(-1)?.data.timestamp === ts),
      'the latest quote of every symbol',
    );
    assert.ok(lagging.data().length < sent, `conflation kept ${lagging.data().length} of ${sent}`);
    assert.equal(lagging.closeCode, null);
    for (const symbol of last.keys()) {
      const seqs = lagging.data(`quotes.${symbol}`).map((f) => f.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'conflation keeps seq order',
      );
    }
    await publisher.close();
    await lagging.close();
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM makes open windows final, delivers them, closes clients with 1001 and exits 0', async () => {
    const server = await startServer(['--db', join(dir, 'shutdown.db'), '--source', 'none', '--idle-close-ms', '0']);
    const client = await subscribe(`${server.ws}/ws`, ['bars.1m.*']);
    const publisher = await Publisher.connect(server.ws);
    await publisher.send([
      { symbol: 'DOWN', ts: T0 + 1000, price: 5, volume: 10 },
      { symbol: 'DOWN', ts: T0 + 2000, price: 6, volume: 10 },
    ]);
    await client.until(() => client.data('bars.1m.DOWN').length > 0, 'a forming bar');
    assert.ok(client.data('bars.1m.DOWN').every((f) => f.data.final === false));
    const code = await server.stop('SIGTERM');
    assert.equal(code, 0);
    const final = client.data('bars.1m.DOWN').find((f) => f.data.final === true);
    assert.deepEqual([final?.data.open, final?.data.close, final?.data.volume], [5, 6, 20]);
    await client.until(() => client.closeCode !== null, 'the close frame');
    assert.equal(client.closeCode, 1001);
    assert.equal(publisher.client.closeCode, 1001);
  });
});

describe('HTTP', () => {
  it('serves /health, /metrics with the SPEC metrics, and history from the store', async () => {
    const server = await start(['--source', 'none', '--idle-close-ms', '0']);
    const health = await fetch(`${server.http}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const publisher = await Publisher.connect(server.ws);
    await publisher.send([
      ...Array.from({ length: 20 }, (_, i) => ({ symbol: 'HTTP', ts: T0 + i * 1000, price: 100, volume: 100 })),
      { symbol: 'HTTP', ts: T0 + 20_000, price: 100, volume: 100_000 },
      { symbol: 'HTTP', ts: T0 + 20_001, price: 1e9, volume: 1 },
    ]);
    await publisher.flush();
    let bars: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100 && bars.length < 22; i++) {
      bars = ((await (await fetch(`${server.http}/api/bars?symbol=HTTP&interval=1s`)).json()) as { bars: typeof bars }).bars;
      if (bars.length < 22) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(bars.length, 21, '20 one-second windows and one holding two trades');
    assert.deepEqual(
      bars.map((b) => b.window_start),
      [...bars.map((b) => b.window_start as number)].sort((a, b) => a - b),
    );
    const some = (
      (await (await fetch(`${server.http}/api/bars?symbol=HTTP&interval=1s&from=${T0 + 5000}&to=${T0 + 8000}`)).json()) as {
        bars: typeof bars;
      }
    ).bars;
    assert.deepEqual(
      some.map((b) => b.window_start),
      [T0 + 5000, T0 + 6000, T0 + 7000],
    );
    const alerts = ((await (await fetch(`${server.http}/api/alerts?symbol=HTTP`)).json()) as { alerts: Array<Record<string, unknown>> })
      .alerts;
    assert.deepEqual(
      alerts.map((a) => a.anomaly_type).filter((t) => t !== 'HIGH_VOLATILITY'),
      ['VOLUME_SURGE', 'PRICE_SPIKE'],
    );
    const bad = await fetch(`${server.http}/api/bars?symbol=HTTP&interval=7m`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'bad_request');

    const metrics = await (await fetch(`${server.http}/metrics`)).text();
    for (const name of [
      'tickflow_ticks_received_total',
      'tickflow_dead_letters_total',
      'tickflow_ring_occupancy_bytes',
      'tickflow_watermark_lag_seconds',
      'tickflow_client_queue_bytes',
      'tickflow_stage_latency_seconds{stage="tick_to_publish",quantile="0.99"}',
      'tickflow_messages_published_total',
    ]) {
      assert.ok(metrics.includes(name), `${name} missing from /metrics`);
    }
    assert.match(metrics, /tickflow_ticks_accepted_total 22/);
    await publisher.close();
  });
});

describe('tokens, entitlements and TLS', () => {
  const token = (name: string): { secret: string; sha256: string } => {
    const secret = `secret-${name}`;
    return { secret, sha256: createHash('sha256').update(secret).digest('hex') };
  };
  const desk = token('desk');
  const feed = token('feed');
  const ops = token('ops');
  const narrowFeed = token('narrow-feed');

  it('requires a token, applies roles, and limits a restricted token to its symbols, wildcards included', async () => {
    const file = join(dir, 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify({
        tokens: [
          { name: 'desk', sha256: desk.sha256, roles: ['subscribe'], symbols: ['AAPL'] },
          { name: 'feed', sha256: feed.sha256, roles: ['publish'] },
          { name: 'ops', sha256: ops.sha256, roles: ['admin', 'subscribe'] },
          { name: 'narrow-feed', sha256: narrowFeed.sha256, roles: ['publish'], symbols: ['AAPL'] },
        ],
      }),
    );
    const server = await start(['--source', 'none', '--token-file', file, '--host', '127.0.0.1']);
    await assert.rejects(TestClient.connect(`${server.ws}/ws`), /HTTP 401/);
    await assert.rejects(TestClient.connect(`${server.ws}/ws?token=wrong`), /HTTP 401/);
    await assert.rejects(TestClient.connect(`${server.ws}/ingest?token=${desk.secret}`), /HTTP 403/);
    assert.equal((await fetch(`${server.http}/metrics?token=${desk.secret}`)).status, 403);
    assert.equal((await fetch(`${server.http}/metrics`, { headers: { authorization: `Bearer ${ops.secret}` } })).status, 200);
    assert.equal((await fetch(`${server.http}/health`)).status, 200, '/health stays open for health checks');

    const client = await TestClient.connect(`${server.ws}/ws`, { authorization: `Bearer ${desk.secret}` });
    client.send({ op: 'subscribe', channels: ['trades.MSFT'] });
    const refused = await client.reply('error');
    assert.deepEqual([refused.code, refused.channel], ['forbidden', 'trades.MSFT']);
    client.send({ op: 'subscribe', channels: ['trades.*'] });
    await client.reply('subscribed');
    const publisher = await Publisher.connect(server.ws, { authorization: `Bearer ${feed.secret}` });
    await publisher.send([
      { symbol: 'MSFT', ts: T0, price: 1 },
      { symbol: 'AAPL', ts: T0, price: 2 },
      { symbol: 'MSFT', ts: T0 + 1, price: 3 },
    ]);
    const watcher = await subscribe(`${server.ws}/ws?token=${ops.secret}`, ['trades.*']);
    await publisher.send([{ symbol: 'AAPL', ts: T0 + 2, price: 4 }]);
    await watcher.until(() => watcher.data('trades.AAPL').length >= 1, 'the ops watcher');
    await client.until(() => client.data('trades.AAPL').length === 2, 'both AAPL trades');
    assert.deepEqual(
      client.data().map((f) => f.ch),
      ['trades.AAPL', 'trades.AAPL'],
      'no MSFT through the wildcard',
    );
    const narrow = await Publisher.connect(server.ws, { authorization: `Bearer ${narrowFeed.secret}` });
    await narrow.send([
      { symbol: 'MSFT', ts: T0 + 5, price: 1 },
      { symbol: 'AAPL', ts: T0 + 5, price: 1 },
    ]);
    const refusedTicks = narrow.client.json().filter((f) => f.op === 'error');
    assert.deepEqual(
      refusedTicks.map((e) => [e.reason, e.tick]),
      [['not_entitled', 1]],
    );
    await Promise.all([client.close(), watcher.close(), publisher.close(), narrow.close()]);
  });

  it('refuses to bind beyond loopback without a token file', () => {
    const result = tickflow(['serve', '--host', '0.0.0.0', '--port', '0', '--source', 'none', '--db', join(dir, 'x.db')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--host = "0.0.0.0": expected 127.0.0.1 without --token-file/);
  });

  it('serves wss:// and https:// with --tls-cert and --tls-key', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
      { stdio: 'ignore' },
    );
    const server = await start(['--source', 'none', '--tls-cert', cert, '--tls-key', key]);
    const client = await subscribe(`wss://127.0.0.1:${server.port}/ws`, ['trades.TLS']);
    const publisher = await Publisher.connect(`wss://127.0.0.1:${server.port}`);
    await publisher.send([{ symbol: 'TLS', ts: T0, price: 1 }]);
    await client.until(() => client.data('trades.TLS').length === 1, 'a trade over TLS');
    await Promise.all([client.close(), publisher.close()]);
    const plain = await fetch(`http://127.0.0.1:${server.port}/health`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(plain, 'refused', 'no plain HTTP on a TLS port');
  });
});

describe('file source', () => {
  it('replays a file at --speed max, makes every window final at its end and stores what tickflow replay outputs', async () => {
    const feedFile = join(dir, 'source.ndjson');
    assert.equal(
      tickflow(['gen', '--symbols', '5', '--rate', '200', '--duration', '90s', '--seed', '9', '--anomaly-rate', '0.01', '--out', feedFile])
        .status,
      0,
    );
    const replay = records(tickflow(['replay', feedFile]).stdout);
    replay.pop();
    const server = await start(['--source', `file:${feedFile}`, '--speed', 'max', '--idle-close-ms', '0']);
    const expectedBars = replay.filter((r) => r.type === 'bar' && r.interval === '1m');
    const symbols = [...new Set(expectedBars.map((b) => b.symbol as string))];
    let stored: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 200; i++) {
      stored = (
        await Promise.all(
          symbols.map(
            async (s) => ((await (await fetch(`${server.http}/api/bars?symbol=${s}&interval=1m`)).json()) as { bars: typeof stored }).bars,
          ),
        )
      ).flat();
      if (stored.length >= expectedBars.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(stored.map((b) => JSON.stringify(b)).sort(), expectedBars.map((b) => JSON.stringify(b)).sort());
    const alerts = ((await (await fetch(`${server.http}/api/alerts?limit=10000`)).json()) as { alerts: unknown[] }).alerts;
    assert.equal(alerts.length, replay.filter((r) => r.type === 'alert').length);
    assert.equal(((await (await fetch(`${server.http}/health`)).json()) as { status: string }).status, 'ok', 'the server keeps running');
  });
});
