// The subscriber protocol of SPEC §3 against a real server and a real
// WebSocket client: snapshots, wildcards, per-channel seq, resume from memory
// and from the store, throttle_ms, FlatBuffers frames, control errors,
// limits and close codes, including the messages uWebSockets.js drops before
// tickflow sees them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ByteBuffer } from 'flatbuffers';
import { Bar } from '../../src/fb/generated/tickflow/fb/bar';
import { Message } from '../../src/fb/generated/tickflow/fb/message';
import { PayloadType } from '../../src/fb/generated/tickflow/fb/payload-type';
import { Tick } from '../../src/fb/generated/tickflow/fb/tick';
import { Publisher, T0 } from '../fixtures/publisher';
import { startServer, type RunningServer } from '../fixtures/server-process';
import { until } from '../fixtures/until';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-protocol-'));
let server: RunningServer;
let small: RunningServer;
let publisher: Publisher;
/** Subscribed to everything from the start: shows when the engine has published a tick. */
let watch: TestClient;
let watchSmall: TestClient;
const EVERYTHING = ['trades.*', 'quotes.*', 'bars.1s.*'];

/** Waits until a channel has carried `seq` messages. */
async function published(client: TestClient, channel: string, seq: number): Promise<void> {
  await client.until(() => client.data(channel).some((f) => f.seq >= seq), `${channel} to reach seq ${seq}`);
}

before(async () => {
  [server, small] = await Promise.all([
    startServer(['--source', 'none', '--idle-close-ms', '0', '--db', join(dir, 'a.db')]),
    startServer([
      '--source',
      'none',
      '--idle-close-ms',
      '0',
      '--db',
      join(dir, 'b.db'),
      '--replay-buffer',
      '4',
      '--max-channels',
      '3',
      '--rate-limit',
      '5',
    ]),
  ]);
  publisher = await Publisher.connect(server.ws);
  watch = await subscriber(server, { channels: EVERYTHING });
  watchSmall = await subscriber(small, { channels: EVERYTHING });
});

after(async () => {
  await watch?.close();
  await watchSmall?.close();
  await publisher?.close();
  await Promise.all([server?.stop(), small?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function subscriber(target: RunningServer, message: Record<string, unknown>, query = ''): Promise<TestClient> {
  const client = await TestClient.connect(`${target.ws}/ws${query}`);
  client.send({ op: 'subscribe', ...message });
  await client.reply('subscribed');
  return client;
}

/** The epochs of the client's first subscribe reply. */
function epochs(client: TestClient): Record<string, string> {
  return client.json().find((f) => f.op === 'subscribed')?.epochs as Record<string, string>;
}

describe('subscribe', () => {
  it('sends the last value of each channel first, with and without wildcards, then live data', async () => {
    await publisher.send([
      { symbol: 'SNAP', ts: T0, price: 10 },
      { symbol: 'SNAP', ts: T0 + 1, price: 11 },
      { symbol: 'SNAQ', type: 'QUOTE', ts: T0, bid: 1, ask: 2 },
      { symbol: 'SNAR', type: 'QUOTE', ts: T0, bid: 3, ask: 4 },
    ]);
    await published(watch, 'trades.SNAP', 2);
    await published(watch, 'quotes.SNAR', 1);
    const client = await subscriber(server, { channels: ['trades.SNAP', 'quotes.*'] });
    const replyAt = client.frames.findIndex((f) => f.json?.op === 'subscribed');
    const snapshot = client.frames.slice(0, replyAt).map((f) => f.json as { ch: string; seq: number; data: Record<string, unknown> });
    const trade = snapshot.find((f) => f.ch === 'trades.SNAP');
    assert.deepEqual([trade?.seq, trade?.data.price], [2, 11], 'the latest trade, not the first');
    assert.ok(
      snapshot.some((f) => f.ch === 'quotes.SNAQ') && snapshot.some((f) => f.ch === 'quotes.SNAR'),
      'a wildcard snapshots every matching channel',
    );
    const reply = client.frames[replyAt]?.json;
    assert.deepEqual(reply?.channels, ['trades.SNAP', 'quotes.*']);

    await publisher.send([
      { symbol: 'SNAP', ts: T0 + 2, price: 12 },
      { symbol: 'OTHER', ts: T0, price: 1 },
    ]);
    await client.until(() => client.data('trades.SNAP').length === 2, 'the live trade');
    const live = client.data('trades.SNAP')[1];
    assert.deepEqual([live?.seq, live?.data.price, live?.data.event_type], [3, 12, 'TRADE']);
    assert.equal(client.data('trades.OTHER').length, 0, 'no data for channels not subscribed');
    await client.close();
  });

  it('unsubscribes, and refuses bad channels, bad requests and unknown intervals with error codes', async () => {
    const client = await subscriber(server, { channels: ['trades.UNS'] });
    client.send({ op: 'unsubscribe', channels: ['trades.UNS'] });
    assert.deepEqual((await client.reply('unsubscribed')).channels, ['trades.UNS']);
    await publisher.send([{ symbol: 'UNS', ts: T0, price: 1 }]);
    await published(watch, 'trades.UNS', 1);
    const from = client.frames.length;
    client.send({ op: 'subscribe', channels: ['bars.7m.UNS', 'nope.UNS', 'trades.bad symbol'] });
    client.send('{not json');
    client.send({ op: 'ping', id: 'p1' });
    const pong = await client.reply('pong', from);
    assert.equal(pong.id, 'p1');
    const errors = client
      .json()
      .slice(0)
      .filter((f) => f.op === 'error');
    assert.deepEqual(
      errors.map((e) => e.code),
      ['bad_channel', 'bad_channel', 'bad_channel', 'bad_request'],
    );
    assert.match(String(errors[0]?.message), /intervals? .*1s, 1m, 5m/);
    assert.equal(client.data('trades.UNS').length, 0, 'nothing after unsubscribe');
    await client.close();
  });
});

describe('resume', () => {
  it('replays exactly what a client missed while disconnected, then goes live', async () => {
    const first = await subscriber(server, { channels: ['trades.*'] });
    await publisher.send([
      { symbol: 'RES', ts: T0, price: 1 },
      { symbol: 'RES', ts: T0 + 1, price: 2 },
    ]);
    await first.until(() => first.data('trades.RES').length === 2, 'two trades');
    const lastSeq = first.data('trades.RES').at(-1)?.seq as number;
    const epoch = epochs(first).trades;
    await first.close();
    await publisher.send([3, 4, 5].map((p) => ({ symbol: 'RES', ts: T0 + p, price: p })));
    // Resume only once the engine has published them: they are to come from the replay buffer.
    await published(watch, 'trades.RES', lastSeq + 3);
    const again = await subscriber(server, { channels: ['trades.*'], resume: { 'trades.RES': { epoch, seq: lastSeq } } });
    const reply = again.json().find((f) => f.op === 'subscribed');
    assert.equal(reply?.recovered, true);
    assert.deepEqual(
      again.data('trades.RES').map((f) => [f.seq, f.data.price]),
      [
        [lastSeq + 1, 3],
        [lastSeq + 2, 4],
        [lastSeq + 3, 5],
      ],
    );
    await publisher.send([{ symbol: 'RES', ts: T0 + 6, price: 6 }]);
    await again.until(() => again.data('trades.RES').length === 4, 'the live trade after the resume');
    assert.equal(again.data('trades.RES')[3]?.seq, lastSeq + 4);
    await again.close();
  });

  it('says recovered: false when the gap is gone from memory, and sends the latest value', async () => {
    const pub = await Publisher.connect(small.ws);
    await pub.send(Array.from({ length: 10 }, (_, i) => ({ symbol: 'GAP', ts: T0 + i, price: i + 1 })));
    await published(watchSmall, 'trades.GAP', 10);
    const client = await subscriber(small, {
      channels: ['trades.GAP'],
      resume: { 'trades.GAP': { epoch: epochs(watchSmall).trades, seq: 2 } },
    });
    const reply = client.json().find((f) => f.op === 'subscribed');
    assert.equal(reply?.recovered, false);
    assert.deepEqual(reply?.resumed, {
      'trades.GAP': { recovered: false, from: 2, to: 10, reason: 'some missed messages are no longer held' },
    });
    assert.ok(
      client.data('trades.GAP').some((f) => f.seq === 10),
      'the latest value is still sent',
    );
    await client.close();
    await pub.close();
  });

  it('answers a resume of a channel the server has not seen with recovered: false from a later seq, also under a wildcard', async () => {
    const epoch = epochs(watch).alerts;
    const client = await subscriber(server, {
      channels: ['alerts.*'],
      resume: { 'alerts.NEVER': { epoch, seq: 5 }, 'alerts.FRESH': { epoch, seq: 0 } },
    });
    const reply = client.json().find((f) => f.op === 'subscribed');
    assert.deepEqual(reply?.resumed, {
      'alerts.NEVER': { recovered: false, from: 5, to: 0, reason: "a seq beyond the channel's" },
      'alerts.FRESH': { recovered: true, from: 0, to: 0 },
    });
    assert.equal(reply?.recovered, false);
    await client.close();
  });

  it('fills a bar channel gap from the store when memory no longer holds it', async () => {
    const pub = await Publisher.connect(small.ws);
    await pub.send(Array.from({ length: 30 }, (_, i) => ({ symbol: 'HIST', ts: T0 + i * 1000, price: 10 + i })));
    await pub.flush();
    // The store commits in batches: wait until the history API sees all 30.
    for (let i = 0; i < 100; i++) {
      const body = (await (await fetch(`${small.http}/api/bars?symbol=HIST&interval=1s`)).json()) as { bars: unknown[] };
      if (body.bars.length === 30) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const client = await subscriber(small, {
      channels: ['bars.1s.HIST'],
      resume: { 'bars.1s.HIST': { epoch: epochs(watchSmall).bars, seq: 0 } },
    });
    const reply = client.json().find((f) => f.op === 'subscribed');
    assert.equal(reply?.recovered, true);
    const finals = client.data('bars.1s.HIST').filter((f) => f.data.final === true);
    assert.deepEqual(
      finals.map((f) => f.data.close),
      Array.from({ length: 30 }, (_, i) => 10 + i),
    );
    const seqs = finals.map((f) => f.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in seq order',
    );
    await client.close();
    await pub.close();
  });
});

describe('throttle_ms', () => {
  it('conflates a channel to its latest value at most every N ms for that client only', async () => {
    const throttled = await subscriber(server, { channels: ['quotes.THR'], throttle_ms: 300 });
    const full = await subscriber(server, { channels: ['quotes.THR'] });
    const started = Date.now();
    for (let i = 1; i <= 40; i++) {
      await publisher.send([{ symbol: 'THR', type: 'QUOTE', ts: T0 + i, bid: i, ask: i + 1 }]);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await full.until(() => full.data('quotes.THR').length === 40, 'every quote on the unthrottled client');
    await throttled.until(() => throttled.data('quotes.THR').at(-1)?.data.bid === 40, 'the latest quote on the throttled client');
    const elapsed = Date.now() - started;
    const received = throttled.data('quotes.THR');
    assert.ok(received.length <= Math.ceil(elapsed / 300) + 1, `${received.length} messages in ${elapsed} ms at one per 300 ms`);
    assert.ok(received.length < 40);
    const seqs = received.map((f) => f.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    await throttled.close();
    await full.close();
  });
});

describe('binary frames', () => {
  it('sends FlatBuffers Message frames with the content of the JSON frames', async () => {
    const binary = await subscriber(server, { channels: ['trades.FBX', 'bars.1s.FBX'] }, '?format=flatbuffers');
    const json = await subscriber(server, { channels: ['trades.FBX', 'bars.1s.FBX'] });
    await publisher.send([
      { symbol: 'FBX', ts: T0, price: 42.5, volume: 7 },
      { symbol: 'FBX', ts: T0 + 10_000, price: 43, volume: 1 },
    ]);
    await json.until(() => json.data('bars.1s.FBX').some((f) => f.data.final === true), 'the final bar');
    await binary.until(() => binary.frames.filter((f) => f.binary !== null).length >= 3, 'binary frames');
    const messages = binary.frames
      .filter((f) => f.binary !== null)
      .map((f) => Message.getRootAsMessage(new ByteBuffer(new Uint8Array(f.binary as Buffer))));
    const trade = messages.find((m) => m.channel() === 'trades.FBX' && m.payloadType() === PayloadType.TICK);
    assert.ok(trade !== undefined);
    const tick = Tick.getRootAsTick(new ByteBuffer(trade.payloadArray() as Uint8Array));
    assert.deepEqual([tick.symbol(), tick.price(), Number(tick.volume()), Number(trade.seq())], ['FBX', 42.5, 7, 1]);
    const finalBar = messages
      .map((m) => (m.payloadType() === PayloadType.BAR ? Bar.getRootAsBar(new ByteBuffer(m.payloadArray() as Uint8Array)) : null))
      .find((b) => b?.final() === true);
    const jsonBar = json.data('bars.1s.FBX').find((f) => f.data.final === true)?.data;
    assert.deepEqual(
      [finalBar?.open(), finalBar?.close(), Number(finalBar?.volume()), Number(finalBar?.windowStart())],
      [jsonBar?.open, jsonBar?.close, jsonBar?.volume, jsonBar?.window_start],
    );
    assert.ok(
      binary.frames.some((f) => f.json?.op === 'subscribed'),
      'control replies stay JSON',
    );
    await binary.close();
    await json.close();
  });
});

describe('limits', () => {
  it('refuses channels past --max-channels and messages past --rate-limit, with error codes', async () => {
    const client = await TestClient.connect(`${small.ws}/ws`);
    client.send({ op: 'subscribe', channels: ['trades.A', 'trades.B', 'trades.C', 'trades.D'] });
    const reply = await client.reply('subscribed');
    assert.deepEqual(reply.channels, ['trades.A', 'trades.B', 'trades.C']);
    const tooMany = client.json().find((f) => f.op === 'error');
    assert.deepEqual([tooMany?.code, tooMany?.channel], ['too_many_channels', 'trades.D']);
    for (let i = 0; i < 30; i++) client.send({ op: 'ping', id: i });
    await client.until(() => client.json().some((f) => f.code === 'rate_limited'), 'a rate_limited error');
    await client.close();
  });

  it('answers a binary frame on /ws with a bad_request error frame and keeps the connection', async () => {
    const client = await TestClient.connect(`${server.ws}/ws`);
    client.socket.send(Buffer.from('{"op":"ping"}'), { binary: true });
    const error = await client.reply('error');
    assert.equal(error.code, 'bad_request');
    assert.match(error.message as string, /^\/ws takes JSON text frames .*binary frame of 13 bytes/);
    client.send({ op: 'ping', id: 'after' });
    assert.equal((await client.reply('pong')).id, 'after');
    assert.equal(client.closeCode, null);
    await client.close();
  });

  /** Sends `message` (fragments when it is an array) on a new connection and waits for the close. */
  async function closeFor(url: string, message: Buffer | Buffer[], binary: boolean): Promise<TestClient> {
    const client = await TestClient.connect(url);
    const parts = Array.isArray(message) ? message : [message];
    parts.forEach((part, i) => client.socket.send(part, { binary, fin: i === parts.length - 1 }));
    await client.until(() => client.closeCode !== null, 'the close');
    return client;
  }

  it('closes with 1009 and a reason for every message over the limit that uWebSockets.js hands on, on /ws and /ingest', async () => {
    const tight = await startServer(['--source', 'none', '--db', join(dir, 'c.db'), '--max-frame-kib', '1']);
    try {
      const KIB = 1024;
      const cases: Array<[string, string, Buffer | Buffer[], boolean]> = [
        // /ws: 64 KiB of control message; uWS hands on up to 1 MiB.
        ['/ws text', `${server.ws}/ws`, Buffer.alloc(64 * KIB + 1, 'x'), false],
        ['/ws binary', `${server.ws}/ws`, Buffer.alloc(100 * KIB), true],
        ['/ws text at the transport limit', `${server.ws}/ws`, Buffer.alloc(1024 * KIB, 'x'), false],
        // /ingest with --max-frame-kib 1: uWS hands on up to 1 MiB.
        ['/ingest text', `${tight.ws}/ingest`, Buffer.alloc(4 * KIB, 'x'), false],
        ['/ingest binary', `${tight.ws}/ingest`, Buffer.alloc(KIB + 1), true],
        ['/ingest fragmented', `${tight.ws}/ingest`, [Buffer.alloc(300 * KIB, 'x'), Buffer.alloc(300 * KIB, 'x')], false],
      ];
      for (const [what, url, message, binary] of cases) {
        const client = await closeFor(url, message, binary);
        assert.equal(client.closeCode, 1009, what);
        assert.match(client.closeReason, /^message of \d+ bytes is over the \d+-byte limit of \/(ws|ingest)/, what);
      }
    } finally {
      await tight.stop();
    }
  });

  it('is dropped by uWebSockets.js, without a close frame, past the transport limit or for invalid UTF-8; the server logs why', async () => {
    // uWS closes the TCP connection itself in these cases, before tickflow
    // sees the message, so no close code can reach the client (1006): see
    // docs/protocol.md. What the server can do is say so in its log.
    const drops = async (target: RunningServer, route: string, message: Buffer, binary: boolean, reason: string): Promise<void> => {
      const client = await closeFor(`${target.ws}${route}`, message, binary);
      assert.equal(client.closeCode, 1006, `${route}: ${reason}`);
      await until(
        () => target.logs.some((line) => line.includes('dropped without a close frame') && line.includes(reason) && line.includes(route)),
        `a log line for ${reason} on ${route}`,
        15_000,
      );
    };
    // One server per case: the log line comes at most once per 10 s.
    const servers = await Promise.all(
      ['d', 'e', 'f'].map((name) => startServer(['--source', 'none', '--db', join(dir, `${name}.db`), '--max-frame-kib', '1'])),
    );
    try {
      const [d, e, f] = servers as [RunningServer, RunningServer, RunningServer];
      await drops(d, '/ingest', Buffer.alloc(2 * 1024 * 1024, 'x'), false, 'Received too big message');
      await drops(e, '/ingest', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false, 'Received invalid UTF-8');
      await drops(f, '/ws', Buffer.from('{"op":"ping","id":"\xc3\x28"}', 'latin1'), false, 'Received invalid UTF-8');
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
