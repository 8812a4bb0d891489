// The /ws subscriber protocol (SPEC §3) as one session speaks it: replies and
// error codes clients match on, snapshots before the reply, the topics it
// joins, resume with epochs, history, throttle_ms, conflation and the 4008 close for a client that
// lags, the rate limit. Over a fake socket and a fake uWS app (no network);
// the clock and the throttle timer are node:test's mock timers, so every
// frame's arrival is decided by the test, never by a race.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ByteBuffer } from 'flatbuffers';
import { PayloadType } from '../../src/fb/generated/tickflow/fb/payload-type';
import { Tick } from '../../src/fb/generated/tickflow/fb/tick';
import { LOCAL_PRINCIPAL, type Principal } from '../../src/serve/access/auth';
import { ChannelHub } from '../../src/serve/hub/channel-hub';
import type { ChannelKind } from '../../src/serve/hub/channel-names';
import { CloseCode } from '../../src/records/protocol';
import { SubscriberSession, type ChannelHistory, type SessionLimits } from '../../src/serve/ws/subscriber-session';
import { FakePublisher, FakeSocket, publishRecord } from '../fixtures/fake-sockets';
import { bar, MIN } from '../fixtures/records';

const T0 = 1_704_205_800_000;
const INTERVALS = ['1s', '1m', '5m'];
const LIMITS: SessionLimits = { maxChannels: 100, rateLimit: 1000, slowBytes: 64 * 1024, maxBytes: 256 * 1024 };
/** The epochs of the test hub: this run's (trades, quotes) and the store's (bars, indicators, alerts). */
const EPOCHS = { live: 'run-1', stored: 'store-1' };
const REPLY_EPOCHS = { trades: 'run-1', quotes: 'run-1', bars: 'store-1', indicators: 'store-1', alerts: 'store-1' };
/** A resume point in the test hub's epochs. */
const live = (seq: number): { epoch: string; seq: number } => ({ epoch: EPOCHS.live, seq });
const stored = (seq: number): { epoch: string; seq: number } => ({ epoch: EPOCHS.stored, seq });
const DESK: Principal = { name: 'desk', roles: new Set(['subscribe']), symbols: new Set(['AAPL', 'BRK.B']) };

const trade = (symbol: string, price: number): Record<string, unknown> => ({
  symbol,
  event_type: 'TRADE',
  timestamp: T0,
  price,
  volume: 10,
});
const quote = (symbol: string, bid: number): Record<string, unknown> => ({
  symbol,
  event_type: 'QUOTE',
  timestamp: T0,
  bid,
  ask: bid + 1,
  volume: 0,
});

interface Setup {
  readonly app: FakePublisher;
  readonly hub: ChannelHub;
  readonly socket: FakeSocket;
  readonly session: SubscriberSession;
  /** A client message, as text. */
  send(message: unknown): void;
}

interface Options {
  readonly principal?: Principal;
  readonly binary?: boolean;
  readonly limits?: Partial<SessionLimits>;
  readonly history?: ChannelHistory;
  readonly hub?: { app: FakePublisher; hub: ChannelHub };
  readonly replayBuffer?: number;
  /** Highest stored seq per channel, as a hub starts with after a restart. */
  readonly initialSeqs?: ReadonlyMap<string, number>;
}

const sessions: SubscriberSession[] = [];

function setup(options: Options = {}): Setup {
  const app = options.hub?.app ?? new FakePublisher();
  const hub = options.hub?.hub ?? new ChannelHub(app, options.replayBuffer ?? 1000, options.initialSeqs, EPOCHS);
  const socket = app.connect(new FakeSocket());
  const session = new SubscriberSession(
    sessions.length + 1,
    socket,
    options.principal ?? LOCAL_PRINCIPAL,
    options.binary ?? false,
    hub,
    options.history ?? null,
    INTERVALS,
    { ...LIMITS, ...options.limits },
  );
  sessions.push(session);
  return { app, hub, socket, session, send: (m) => session.onMessage(typeof m === 'string' ? m : JSON.stringify(m)) };
}

/** Publishes on a channel of the session's hub; returns the seq. */
function publish(s: { hub: ChannelHub }, kind: ChannelKind, symbol: string, record: object, interval = ''): number {
  return publishRecord(s.hub, s.hub.channel(kind, interval, symbol), record);
}

/** The seqs of a channel's data frames the socket got. */
const seqs = (socket: FakeSocket, channel: string): number[] => socket.data(channel).map((f) => f.seq);

type Row = { seq: number; record: object };

/** A store holding `rows` of every channel asked for; retention removed up to `swept`. */
function storeOf(
  rows: readonly Row[],
  options: { swept?: number; onQuery?: (channel: string, afterSeq: number, limit: number) => void; wait?: Promise<void> } = {},
): ChannelHistory {
  const wait = options.wait ?? Promise.resolve();
  return {
    queryChannel: async (channel, afterSeq, limit) => {
      options.onQuery?.(channel, afterSeq, limit);
      await wait;
      return rows.filter((r) => r.seq > afterSeq).slice(0, limit);
    },
    queryChannelTail: async (_channel, limit) => {
      await wait;
      return rows.slice(-limit);
    },
    sweptSeq: () => Promise.resolve(options.swept ?? 0),
  };
}

/** Lets a subscribe that awaits stored history finish (its promises settle before the next macrotask). */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  mock.timers.enable({ apis: ['setInterval', 'Date'], now: T0 });
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
  mock.timers.reset();
});

describe('subscribe', () => {
  it('replies subscribed with the id echoed, the channels as asked and throttle_ms', () => {
    const s = setup();
    s.send({ op: 'subscribe', id: 's1', channels: ['trades.A', 'bars.1m.*'] });
    assert.deepEqual(s.socket.json(), [
      { op: 'subscribed', id: 's1', channels: ['trades.A', 'bars.1m.*'], throttle_ms: 0, epochs: REPLY_EPOCHS },
    ]);
  });

  it('sends the latest frame of each matching channel before the reply, all in one cork', () => {
    const s = setup();
    publish(s, 'trades', 'A', trade('A', 1));
    publish(s, 'trades', 'A', trade('A', 2));
    publish(s, 'trades', 'B', trade('B', 3));
    publish(s, 'bars', 'A', bar('A', '1m', T0), '1m');
    publish(s, 'bars', 'BRK.B', bar('BRK.B', '1m', T0), '1m');
    publish(s, 'bars', 'A', bar('A', '5m', T0), '5m');
    s.send({ op: 'subscribe', channels: ['trades.A', 'bars.1m.*'] });
    const frames = s.socket.json();
    assert.deepEqual(
      frames
        .slice(0, -1)
        .map((f) => [f.ch, f.seq])
        .sort(),
      [
        ['bars.1m.A', 1],
        ['bars.1m.BRK.B', 1],
        ['trades.A', 2],
      ],
    );
    assert.equal(frames.at(-1)?.op, 'subscribed', 'the reply comes after the snapshots');
    assert.equal(s.socket.data('trades.A')[0]?.data.price, 2, 'the latest trade, not the first');
    assert.ok(s.socket.frames.every((f) => f.via === 'send' && f.corked));
    assert.equal(s.socket.corks, 1);
  });

  it("joins the channels' topics, through which live frames then arrive", () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['trades.A', 'bars.1m.*'] });
    assert.deepEqual([...s.socket.topics].sort(), ['bars.1m.*', 'trades.A']);
    s.socket.clear();
    publish(s, 'trades', 'A', trade('A', 1));
    publish(s, 'trades', 'B', trade('B', 1));
    publish(s, 'bars', 'Z', bar('Z', '1m', T0), '1m');
    assert.deepEqual(
      s.socket.data().map((f) => [f.ch, f.seq]),
      [
        ['trades.A', 1],
        ['bars.1m.Z', 1],
      ],
    );
    assert.ok(s.socket.frames.every((f) => f.via === 'publish'));
  });

  it('joins only the wildcard topic when a channel and its wildcard are both asked for, so no frame arrives twice', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['trades.A', 'trades.*'] });
    assert.deepEqual([...s.socket.topics], ['trades.*']);
    s.socket.clear();
    publish(s, 'trades', 'A', trade('A', 1));
    assert.deepEqual(seqs(s.socket, 'trades.A'), [1]);
  });

  it('gives a binary session the fb| topics and its snapshots as FlatBuffers; its replies stay JSON', () => {
    const s = setup({ binary: true });
    publish(s, 'trades', 'A', trade('A', 42.5));
    s.send({ op: 'subscribe', id: 1, channels: ['trades.A', 'quotes.*'] });
    assert.deepEqual([...s.socket.topics].sort(), ['fb|quotes.*', 'fb|trades.A']);
    const [snapshot, ...rest] = s.socket.frames;
    assert.equal(snapshot?.text, null, 'the snapshot is a binary frame');
    const m = s.socket.messages()[0];
    assert.deepEqual([m?.channel, m?.seq, m?.type], ['trades.A', 1, PayloadType.TICK]);
    assert.equal(Tick.getRootAsTick(new ByteBuffer(m?.payload as Uint8Array)).price(), 42.5);
    assert.deepEqual(
      rest.map((f) => (f.text === null ? null : (JSON.parse(f.text) as unknown))),
      [{ op: 'subscribed', id: 1, channels: ['trades.A', 'quotes.*'], throttle_ms: 0, epochs: REPLY_EPOCHS }],
    );
    s.socket.clear();
    publish(s, 'trades', 'A', trade('A', 43));
    assert.deepEqual(
      s.socket.messages().map((x) => [x.channel, x.seq]),
      [['trades.A', 2]],
      'live frames come binary, once',
    );
    assert.equal(s.socket.json().length, 0);
  });

  it('unsubscribes: leaves the topic, replies with the channels it removed, and no more frames arrive', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['trades.A', 'trades.B'] });
    s.socket.clear();
    s.send({ op: 'unsubscribe', id: 'u', channels: ['trades.A', 'trades.Z'] });
    assert.deepEqual(s.socket.json(), [{ op: 'unsubscribed', id: 'u', channels: ['trades.A'] }]);
    assert.deepEqual([...s.socket.topics], ['trades.B']);
    assert.equal(s.session.channelCount, 1);
    s.socket.clear();
    publish(s, 'trades', 'A', trade('A', 1));
    assert.deepEqual(s.socket.frames, []);
  });
});

describe('bad requests', () => {
  /** The error frames a fresh session answers a list of client messages with. */
  function errors(messages: readonly unknown[]): Array<Record<string, unknown>> {
    const s = setup();
    for (const m of messages) s.send(m);
    return s.socket.replies('error');
  }

  it('answers text that is not JSON with bad_request', () => {
    const [e, ...more] = errors(['{not json']);
    assert.equal(e?.code, 'bad_request');
    assert.match(String(e?.message), /not valid JSON/);
    assert.equal(more.length, 0);
  });

  it('answers an unknown op, or JSON that is no op at all, with bad_request, echoing the id', () => {
    const got = errors([{ op: 'subscrbe', id: 7 }, 'null', '[]', '42', { id: 'x' }]);
    assert.deepEqual(
      got.map((e) => [e.code, e.id]),
      [
        ['bad_request', 7],
        ['bad_request', undefined],
        ['bad_request', undefined],
        ['bad_request', undefined],
        ['bad_request', 'x'],
      ],
    );
    assert.match(String(got[0]?.message), /"op":"subscribe"\|"unsubscribe"\|"ping"/);
  });

  it('answers a subscribe whose channels are not a list of 1 to 1000 names with bad_request', () => {
    const many = Array.from({ length: 1001 }, (_, i) => `trades.S${i}`);
    const got = errors([
      { op: 'subscribe', id: 1 },
      { op: 'subscribe', id: 2, channels: 'trades.A' },
      { op: 'subscribe', id: 3, channels: [] },
      { op: 'subscribe', id: 4, channels: many },
    ]);
    assert.deepEqual(
      got.map((e) => [e.code, e.id]),
      [
        ['bad_request', 1],
        ['bad_request', 2],
        ['bad_request', 3],
        ['bad_request', 4],
      ],
    );
    assert.match(String(got[0]?.message), /"channels" must be a list of 1 to 1000/);
  });

  it('answers bad channel names and unknown intervals with bad_channel, naming each, and takes the good ones', () => {
    const s = setup();
    s.send({ op: 'subscribe', id: 9, channels: ['bars.7m.A', 'nope.A', 'trades.bad symbol', 42, 'trades.A'] });
    const got = s.socket.replies('error');
    assert.deepEqual(
      got.map((e) => [e.code, e.id, e.channel]),
      [
        ['bad_channel', 9, 'bars.7m.A'],
        ['bad_channel', 9, 'nope.A'],
        ['bad_channel', 9, 'trades.bad symbol'],
        ['bad_channel', 9, 42],
      ],
    );
    assert.match(String(got[0]?.message), /this server has 1s, 1m, 5m/);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.channels, ['trades.A']);
  });

  it('refuses channels past maxChannels with too_many_channels, naming each, and takes the rest', () => {
    const s = setup({ limits: { maxChannels: 3 } });
    s.send({ op: 'subscribe', channels: ['trades.A', 'trades.B', 'trades.C', 'trades.D'] });
    const tooMany = s.socket.replies('error');
    assert.deepEqual(
      tooMany.map((e) => [e.code, e.channel]),
      [['too_many_channels', 'trades.D']],
    );
    assert.match(String(tooMany[0]?.message), /at most 3 channels/);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.channels, ['trades.A', 'trades.B', 'trades.C']);
    assert.equal(s.session.channelCount, 3);
  });

  it('counts a channel the session already has only once toward maxChannels when it is asked for again', () => {
    const s = setup({ limits: { maxChannels: 3 } });
    s.send({ op: 'subscribe', channels: ['trades.A', 'trades.B'] });
    s.socket.clear();
    s.send({ op: 'subscribe', channels: ['trades.A', 'trades.C'] });
    assert.deepEqual(s.socket.replies('error'), [], 'A, B and C are three channels');
    assert.equal(s.session.channelCount, 3);
  });

  it('answers a throttle_ms that is not an integer from 0 to 60000 with bad_request, and subscribes nothing', () => {
    const s = setup();
    for (const throttle of [-1, 1.5, '100', 60_001, true]) s.send({ op: 'subscribe', channels: ['trades.A'], throttle_ms: throttle });
    const got = s.socket.replies('error');
    assert.deepEqual(
      got.map((e) => e.code),
      ['bad_request', 'bad_request', 'bad_request', 'bad_request', 'bad_request'],
    );
    assert.match(String(got[0]?.message), /"throttle_ms" must be an integer from 0 to 60000/);
    assert.equal(s.socket.topics.size, 0);
    assert.equal(s.session.channelCount, 0);
  });

  it('answers a resume that does not map channels to {epoch, seq} (seq an integer >= 0) with bad_request', () => {
    const got = errors(
      [[1], { 'trades.A': live(-1) }, { 'trades.A': live(1.5) }, { 'trades.A': { epoch: 3, seq: 1 } }, 5].map((resume) => ({
        op: 'subscribe',
        channels: ['trades.A'],
        resume,
      })),
    );
    assert.deepEqual(
      got.map((e) => e.code),
      ['bad_request', 'bad_request', 'bad_request', 'bad_request', 'bad_request'],
    );
    assert.match(String(got[0]?.message), /"resume" must map channel names to \{"epoch": .*, "seq": /);
  });

  it('answers a history that is not an integer from 0 to 10000 with bad_request, and subscribes nothing', () => {
    const s = setup();
    for (const history of [-1, 1.5, '3', 10_001]) s.send({ op: 'subscribe', channels: ['trades.A'], history });
    const got = s.socket.replies('error');
    assert.deepEqual(
      got.map((e) => e.code),
      ['bad_request', 'bad_request', 'bad_request', 'bad_request'],
    );
    assert.match(String(got[0]?.message), /"history" must be an integer from 0 to 10000/);
    assert.equal(s.session.channelCount, 0);
  });

  it('answers bad channel names in an unsubscribe with bad_channel, naming each, and removes the good ones', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['trades.A', 'trades.B'] });
    s.socket.clear();
    s.send({ op: 'unsubscribe', id: 'u', channels: ['trades.bad symbol', 'bars.7m.A', 7, 'trades.A'] });
    assert.deepEqual(
      s.socket.replies('error').map((e) => [e.code, e.id, e.channel]),
      [
        ['bad_channel', 'u', 'trades.bad symbol'],
        ['bad_channel', 'u', 'bars.7m.A'],
        ['bad_channel', 'u', 7],
      ],
    );
    assert.deepEqual(s.socket.replies('unsubscribed')[0]?.channels, ['trades.A']);
    assert.deepEqual([...s.socket.topics], ['trades.B']);
  });

  it('answers an unsubscribe without a list of channels with bad_request', () => {
    const got = errors([
      { op: 'unsubscribe', id: 'u' },
      { op: 'unsubscribe', channels: [] },
    ]);
    assert.deepEqual(
      got.map((e) => [e.code, e.id]),
      [
        ['bad_request', 'u'],
        ['bad_request', undefined],
      ],
    );
  });
});

describe('entitlements', () => {
  it('refuses a channel of a symbol the principal is not entitled to with forbidden', () => {
    const s = setup({ principal: DESK });
    s.send({ op: 'subscribe', id: 1, channels: ['trades.NVDA', 'trades.AAPL'] });
    const [e] = s.socket.replies('error');
    assert.deepEqual([e?.code, e?.id, e?.channel, e?.message], ['forbidden', 1, 'trades.NVDA', 'not entitled to NVDA']);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.channels, ['trades.AAPL']);
    assert.deepEqual([...s.socket.topics], ['trades.AAPL']);
  });

  it("expands a wildcard to the principal's own symbols: their topics, their snapshots, never another symbol's", () => {
    const s = setup({ principal: DESK });
    publish(s, 'trades', 'NVDA', trade('NVDA', 1));
    publish(s, 'trades', 'AAPL', trade('AAPL', 2));
    s.send({ op: 'subscribe', channels: ['trades.*'] });
    assert.deepEqual([...s.socket.topics].sort(), ['trades.AAPL', 'trades.BRK.B']);
    assert.deepEqual(
      s.socket.data().map((f) => f.ch),
      ['trades.AAPL'],
    );
    assert.deepEqual(s.socket.replies('subscribed')[0]?.channels, ['trades.*']);
    s.socket.clear();
    publish(s, 'trades', 'NVDA', trade('NVDA', 3));
    publish(s, 'trades', 'BRK.B', trade('BRK.B', 4));
    assert.deepEqual(
      s.socket.data().map((f) => f.ch),
      ['trades.BRK.B'],
    );
  });
});

describe('resume', () => {
  it("replays the frames missed from the hub's log, in place of the snapshot, and answers recovered: true", () => {
    const s = setup();
    for (let p = 1; p <= 5; p++) publish(s, 'trades', 'RES', trade('RES', p));
    s.send({ op: 'subscribe', id: 'r', channels: ['trades.*'], resume: { 'trades.RES': live(2) } });
    assert.deepEqual(
      s.socket.data().map((f) => [f.ch, f.seq, f.data.price]),
      [
        ['trades.RES', 3, 3],
        ['trades.RES', 4, 4],
        ['trades.RES', 5, 5],
      ],
    );
    assert.deepEqual(s.socket.json().at(-1), {
      op: 'subscribed',
      id: 'r',
      channels: ['trades.*'],
      throttle_ms: 0,
      epochs: REPLY_EPOCHS,
      recovered: true,
      resumed: { 'trades.RES': { recovered: true, from: 2, to: 5 } },
    });
    s.socket.clear();
    publish(s, 'trades', 'RES', trade('RES', 6));
    assert.deepEqual(seqs(s.socket, 'trades.RES'), [6], 'then live, with no gap');
  });

  it('resumes a dotted symbol (trades.BRK.B) for a principal entitled to BRK.B', () => {
    const s = setup({ principal: DESK });
    for (let p = 1; p <= 5; p++) publish(s, 'trades', 'BRK.B', trade('BRK.B', 400 + p));
    s.send({ op: 'subscribe', channels: ['trades.BRK.B'], resume: { 'trades.BRK.B': live(2) } });
    assert.deepEqual(seqs(s.socket, 'trades.BRK.B'), [3, 4, 5]);
    const reply = s.socket.replies('subscribed')[0];
    assert.equal(reply?.recovered, true);
    assert.deepEqual(reply?.resumed, { 'trades.BRK.B': { recovered: true, from: 2, to: 5 } });
  });

  it("resumes a channel a restricted principal's wildcard stands for", () => {
    const s = setup({ principal: DESK });
    for (let p = 1; p <= 3; p++) publish(s, 'trades', 'BRK.B', trade('BRK.B', p));
    s.send({ op: 'subscribe', channels: ['trades.*'], resume: { 'trades.BRK.B': live(1) } });
    assert.deepEqual(seqs(s.socket, 'trades.BRK.B'), [2, 3]);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.resumed, { 'trades.BRK.B': { recovered: true, from: 1, to: 3 } });
  });

  it('answers each resume it cannot fill with recovered: false and why: not entitled, a wildcard, not subscribed, not a channel', () => {
    const s = setup({ principal: DESK });
    publish(s, 'quotes', 'AAPL', quote('AAPL', 1));
    s.send({
      op: 'subscribe',
      channels: ['trades.AAPL'],
      resume: { 'trades.NVDA': live(0), 'trades.*': live(0), 'quotes.AAPL': live(0), 'nope.X': live(3) },
    });
    const reply = s.socket.replies('subscribed')[0];
    assert.equal(reply?.recovered, false);
    const resumed = reply?.resumed as Record<string, { recovered: boolean; from: number; to: number; reason?: string }>;
    assert.deepEqual(resumed['trades.NVDA'], { recovered: false, from: 0, to: 0, reason: 'not entitled to NVDA' });
    assert.match(String(resumed['trades.*']?.reason), /not wildcards/);
    assert.deepEqual(resumed['quotes.AAPL'], { recovered: false, from: 0, to: 0, reason: 'not among the channels of this subscribe' });
    assert.deepEqual([resumed['nope.X']?.recovered, resumed['nope.X']?.from], [false, 3]);
    assert.match(String(resumed['nope.X']?.reason), /unknown channel "nope.X"/);
    assert.deepEqual(s.socket.data(), [], 'nothing of the refused channels is sent');
  });

  it('counts a channel never published as recovered from 0, and not from a later seq', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['alerts.*'], resume: { 'alerts.NEVER': stored(5), 'alerts.FRESH': stored(0) } });
    const reply = s.socket.replies('subscribed')[0];
    assert.deepEqual(reply?.resumed, {
      'alerts.NEVER': { recovered: false, from: 5, to: 0, reason: "a seq beyond the channel's" },
      'alerts.FRESH': { recovered: true, from: 0, to: 0 },
    });
    assert.equal(reply?.recovered, false);
  });

  it('says recovered: false when the log has evicted part of the gap, and sends what it still holds', () => {
    const s = setup({ replayBuffer: 4 });
    for (let p = 1; p <= 10; p++) publish(s, 'trades', 'GAP', trade('GAP', p));
    s.send({ op: 'subscribe', channels: ['trades.GAP'], resume: { 'trades.GAP': live(2) } });
    const reply = s.socket.replies('subscribed')[0];
    assert.equal(reply?.recovered, false);
    assert.deepEqual(reply?.resumed, {
      'trades.GAP': { recovered: false, from: 2, to: 10, reason: 'some missed messages are no longer held' },
    });
    assert.deepEqual(seqs(s.socket, 'trades.GAP'), [7, 8, 9, 10]);
  });

  it("says recovered: false for a seq beyond the channel's, and sends the latest value", () => {
    const s = setup();
    for (let p = 1; p <= 3; p++) publish(s, 'trades', 'A', trade('A', p));
    s.send({ op: 'subscribe', channels: ['trades.A'], resume: { 'trades.A': live(10) } });
    assert.deepEqual(s.socket.replies('subscribed')[0]?.resumed, {
      'trades.A': { recovered: false, from: 10, to: 3, reason: "a seq beyond the channel's" },
    });
    assert.deepEqual(seqs(s.socket, 'trades.A'), [3]);
  });

  it('says recovered: false for a point of another epoch, even one the log could fill, and sends the latest value', () => {
    const s = setup();
    for (let p = 1; p <= 5; p++) publish(s, 'trades', 'A', trade('A', p));
    for (let seq = 1; seq <= 5; seq++) publish(s, 'bars', 'A', bar('A', '1m', T0 + seq * MIN), '1m');
    s.send({
      op: 'subscribe',
      channels: ['trades.A', 'bars.1m.A'],
      resume: { 'trades.A': { epoch: 'run-0', seq: 2 }, 'bars.1m.A': { epoch: 'store-0', seq: 2 } },
    });
    const reply = s.socket.replies('subscribed')[0];
    const resumed = reply?.resumed as Record<string, { recovered: boolean; from: number; to: number; reason?: string }>;
    assert.equal(reply?.recovered, false);
    assert.deepEqual([resumed['trades.A']?.recovered, resumed['trades.A']?.to], [false, 5]);
    assert.match(String(resumed['trades.A']?.reason), /another epoch: the channel's seqs now live in run-1 \(the server restarted\)/);
    assert.match(
      String(resumed['bars.1m.A']?.reason),
      /another epoch: .* store-1 \(the store was replaced, or the last run did not close cleanly\)/,
    );
    assert.deepEqual(seqs(s.socket, 'trades.A'), [5], 'the snapshot, not seqs 3 to 5 of another epoch');
    assert.deepEqual(seqs(s.socket, 'bars.1m.A'), [5]);
  });

  it('says recovered: false for a bare seq (no epoch), and sends the latest value', () => {
    const s = setup();
    for (let p = 1; p <= 3; p++) publish(s, 'trades', 'A', trade('A', p));
    s.send({ op: 'subscribe', channels: ['trades.A'], resume: { 'trades.A': 1 } });
    const resumed = s.socket.replies('subscribed')[0]?.resumed as Record<string, { recovered: boolean; reason?: string }>;
    assert.equal(resumed['trades.A']?.recovered, false);
    assert.match(String(resumed['trades.A']?.reason), /no epoch given/);
    assert.deepEqual(seqs(s.socket, 'trades.A'), [3]);
  });

  it('fills a bar gap the log no longer holds from stored history, then from the log, and answers recovered: true', async () => {
    const asked: Array<[string, number, number]> = [];
    const rows = [1, 2, 3].map((seq) => ({ seq, record: bar('A', '1m', T0 + seq * MIN) }));
    const history = storeOf(rows, { onQuery: (channel, afterSeq, limit) => asked.push([channel, afterSeq, limit]) });
    const s = setup({ replayBuffer: 2, history });
    for (let seq = 1; seq <= 5; seq++) publish(s, 'bars', 'A', bar('A', '1m', T0 + seq * MIN), '1m');
    s.send({ op: 'subscribe', channels: ['bars.1m.A'], resume: { 'bars.1m.A': stored(0) } });
    await settled();
    assert.deepEqual(asked, [['bars.1m.A', 0, 10_000]]);
    assert.deepEqual(seqs(s.socket, 'bars.1m.A'), [1, 2, 3, 4, 5]);
    assert.deepEqual(s.socket.data('bars.1m.A')[0]?.data, rows[0]?.record);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.resumed, { 'bars.1m.A': { recovered: true, from: 0, to: 5 } });
  });

  it('says recovered: false when neither stored history nor the log holds the whole gap', async () => {
    // Every alert is stored, so its seqs run without gaps: seq 3 is missing
    // from both (not yet committed, or removed by retention).
    const kept = [1, 2].map((seq) => ({ seq, record: { type: 'alert', symbol: 'A', seq } }));
    for (const rows of [kept, []]) {
      const s = setup({ replayBuffer: 2, history: storeOf(rows) });
      for (let n = 1; n <= 5; n++) publish(s, 'alerts', 'A', { type: 'alert', symbol: 'A', seq: n });
      s.send({ op: 'subscribe', channels: ['alerts.A'], resume: { 'alerts.A': stored(0) } });
      await settled();
      assert.deepEqual(seqs(s.socket, 'alerts.A'), [...rows.map((r) => r.seq), 4, 5], 'what the store and the log hold');
      assert.deepEqual(
        s.socket.replies('subscribed')[0]?.resumed,
        { 'alerts.A': { recovered: false, from: 0, to: 5, reason: 'some missed messages are no longer held' } },
        `with ${rows.length} stored rows`,
      );
    }
  });

  it('says recovered: false for a bar channel when retention removed stored bars after the point', async () => {
    // Stored bar seqs have gaps of their own (forming updates are not
    // stored), so only retention's mark tells that final bars 2 and 3 are gone.
    const rows = [4, 6].map((seq) => ({ seq, record: bar('A', '1m', T0 + seq * MIN) }));
    for (const [swept, recovered] of [
      [3, false],
      [1, true],
    ] as const) {
      const s = setup({ replayBuffer: 2, history: storeOf(rows, { swept }) });
      for (let seq = 1; seq <= 8; seq++) publish(s, 'bars', 'A', bar('A', '1m', T0 + seq * MIN), '1m');
      s.send({ op: 'subscribe', channels: ['bars.1m.A'], resume: { 'bars.1m.A': stored(1) } });
      await settled();
      assert.deepEqual(seqs(s.socket, 'bars.1m.A'), [4, 6, 7, 8]);
      assert.equal(s.socket.replies('subscribed')[0]?.recovered, recovered, `swept up to ${swept}`);
    }
  });

  it('sends nothing when the session closes while stored history is being read', async () => {
    const s = setup({ replayBuffer: 1, history: storeOf([]) });
    for (let seq = 1; seq <= 3; seq++) publish(s, 'bars', 'A', bar('A', '1m', T0 + seq * MIN), '1m');
    s.send({ op: 'subscribe', channels: ['bars.1m.A'], resume: { 'bars.1m.A': stored(0) } });
    s.session.close();
    await settled();
    assert.deepEqual(s.socket.frames, []);
    assert.equal(s.socket.topics.size, 0);
  });
});

describe('history', () => {
  it("sends a trade channel's last N frames from the log before the reply, then live data at the next seq", () => {
    const s = setup();
    for (let p = 1; p <= 6; p++) publish(s, 'trades', 'A', trade('A', p));
    s.send({ op: 'subscribe', id: 'h', channels: ['trades.A'], history: 4 });
    assert.deepEqual(seqs(s.socket, 'trades.A'), [3, 4, 5, 6], 'the last 4, in place of the snapshot');
    const reply = s.socket.json().at(-1);
    assert.equal(reply?.op, 'subscribed');
    assert.deepEqual(reply?.history, { 'trades.A': { records: 4, from: 3, to: 6, complete: true } });
    s.socket.clear();
    publish(s, 'trades', 'A', trade('A', 7));
    assert.deepEqual(seqs(s.socket, 'trades.A'), [7]);
  });

  it('gives each channel of a wildcard its own history, and a channel with fewer records all it has', () => {
    const s = setup();
    for (let p = 1; p <= 5; p++) publish(s, 'quotes', 'A', quote('A', p));
    publish(s, 'quotes', 'B', quote('B', 1));
    s.send({ op: 'subscribe', channels: ['quotes.*'], history: 3 });
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [3, 4, 5]);
    assert.deepEqual(seqs(s.socket, 'quotes.B'), [1]);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.history, {
      'quotes.A': { records: 3, from: 3, to: 5, complete: true },
      'quotes.B': { records: 1, from: 1, to: 1, complete: true },
    });
  });

  it('says complete: false when the log no longer holds the last N trades, and sends what it holds', () => {
    const s = setup({ replayBuffer: 3 });
    for (let p = 1; p <= 10; p++) publish(s, 'trades', 'A', trade('A', p));
    s.send({ op: 'subscribe', channels: ['trades.A'], history: 5 });
    assert.deepEqual(seqs(s.socket, 'trades.A'), [8, 9, 10]);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.history, { 'trades.A': { records: 3, from: 8, to: 10, complete: false } });
  });

  it('sends the stored bars, then what the log holds after the last of them, with no duplicate and no gap', async () => {
    // Final bars 2 and 4 are stored; forming updates 5 and 6 are only in the log.
    const rows = [2, 4].map((seq) => ({ seq, record: bar('A', '1m', T0 + seq * MIN) }));
    const s = setup({ history: storeOf(rows) });
    for (let seq = 1; seq <= 6; seq++) publish(s, 'bars', 'A', bar('A', '1m', T0 + seq * MIN), '1m');
    s.send({ op: 'subscribe', channels: ['bars.1m.A'], history: 2 });
    await settled();
    assert.deepEqual(seqs(s.socket, 'bars.1m.A'), [2, 4, 5, 6]);
    assert.deepEqual(s.socket.data('bars.1m.A')[0]?.data, rows[0]?.record, 'stored records as stored');
    assert.deepEqual(s.socket.replies('subscribed')[0]?.history, { 'bars.1m.A': { records: 4, from: 2, to: 6, complete: true } });
  });

  it('loses and repeats nothing published while the store is being read: those frames follow the stored ones', async () => {
    let release = (): void => {};
    const wait = new Promise<void>((resolve) => (release = resolve));
    const rows = [1, 2, 3].map((seq) => ({ seq, record: { type: 'alert', symbol: 'A', seq } }));
    const s = setup({ history: storeOf(rows, { wait }) });
    for (let n = 1; n <= 3; n++) publish(s, 'alerts', 'A', { type: 'alert', symbol: 'A', seq: n });
    s.send({ op: 'subscribe', channels: ['alerts.A'], history: 10 });
    // Live data while the query runs: the session is not yet subscribed.
    publish(s, 'alerts', 'A', { type: 'alert', symbol: 'A', seq: 4 });
    publish(s, 'alerts', 'A', { type: 'alert', symbol: 'A', seq: 5 });
    assert.deepEqual(s.socket.frames, []);
    release();
    await settled();
    publish(s, 'alerts', 'A', { type: 'alert', symbol: 'A', seq: 6 });
    assert.deepEqual(seqs(s.socket, 'alerts.A'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(s.socket.replies('subscribed')[0]?.history, { 'alerts.A': { records: 5, from: 1, to: 5, complete: true } });
  });

  it('reaches stored channels nothing has been published on since a restart', async () => {
    const rows = [7, 9].map((seq) => ({ seq, record: bar('A', '1m', T0 + seq * MIN) }));
    const s = setup({ history: storeOf(rows), initialSeqs: new Map([['bars.1m.A', 9]]) });
    s.send({ op: 'subscribe', channels: ['bars.1m.*'], history: 5 });
    await settled();
    assert.deepEqual(seqs(s.socket, 'bars.1m.A'), [7, 9]);
    s.socket.clear();
    publish(s, 'bars', 'A', bar('A', '1m', T0 + 10 * MIN), '1m');
    assert.deepEqual(seqs(s.socket, 'bars.1m.A'), [10], 'seqs continue from the store');
  });

  it('resumes a channel named in resume, and gives history to the others of the subscribe', () => {
    const s = setup();
    for (let p = 1; p <= 5; p++) publish(s, 'trades', 'A', trade('A', p));
    for (let p = 1; p <= 5; p++) publish(s, 'trades', 'B', trade('B', p));
    s.send({ op: 'subscribe', channels: ['trades.*'], resume: { 'trades.A': live(3) }, history: 2 });
    assert.deepEqual(seqs(s.socket, 'trades.A'), [4, 5]);
    assert.deepEqual(seqs(s.socket, 'trades.B'), [4, 5]);
    const reply = s.socket.replies('subscribed')[0];
    assert.deepEqual(Object.keys(reply?.history as object), ['trades.B']);
    assert.equal(reply?.recovered, true);
  });
});

describe('throttle_ms', () => {
  it('conflates a throttled channel to its latest frame, sent at most once per throttle_ms', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    assert.equal(s.socket.replies('subscribed')[0]?.throttle_ms, 100);
    assert.equal(s.socket.topics.size, 0, 'delivered by the session, not through the topic');
    s.socket.clear();
    for (let bid = 1; bid <= 3; bid++) publish(s, 'quotes', 'A', quote('A', bid));
    assert.deepEqual(s.socket.frames, [], 'nothing before the period ends');
    mock.timers.tick(100);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [3]);
    mock.timers.tick(100);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [3], 'nothing new, nothing sent');
    publish(s, 'quotes', 'A', quote('A', 4));
    mock.timers.tick(99);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [3]);
    mock.timers.tick(1);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [3, 4]);
  });

  it('throttles only the session that asked: another session on the channel gets every frame', () => {
    const throttled = setup();
    const full = setup({ hub: throttled });
    throttled.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    full.send({ op: 'subscribe', channels: ['quotes.A'] });
    for (let bid = 1; bid <= 5; bid++) publish(throttled, 'quotes', 'A', quote('A', bid));
    mock.timers.tick(100);
    assert.deepEqual(seqs(full.socket, 'quotes.A'), [1, 2, 3, 4, 5]);
    assert.deepEqual(seqs(throttled.socket, 'quotes.A'), [5]);
  });

  it("applies a wildcard's throttle to each channel of its family, keeping the latest of each", () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['quotes.*'], throttle_ms: 250 });
    for (let bid = 1; bid <= 2; bid++) {
      publish(s, 'quotes', 'A', quote('A', bid));
      publish(s, 'quotes', 'B', quote('B', bid));
    }
    mock.timers.tick(250);
    assert.deepEqual(
      s.socket.data().map((f) => [f.ch, f.seq]),
      [
        ['quotes.A', 2],
        ['quotes.B', 2],
      ],
    );
  });

  it('never sends a frame older than one already sent: a frame held before an unsubscribe is dropped', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    publish(s, 'quotes', 'A', quote('A', 1));
    s.send({ op: 'unsubscribe', channels: ['quotes.A'] });
    publish(s, 'quotes', 'A', quote('A', 2));
    publish(s, 'quotes', 'A', quote('A', 3));
    s.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    mock.timers.tick(100);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [3], 'the snapshot, then nothing older');
  });

  it("does not hold a throttled channel's frame past its period when the client subscribes to something else", () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    publish(s, 'quotes', 'A', quote('A', 1));
    mock.timers.tick(60);
    s.send({ op: 'subscribe', channels: ['trades.B'] });
    mock.timers.tick(60);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [1]);
  });

  it('goes back to every frame, through the topic, when subscribed again with throttle_ms 0', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    s.send({ op: 'subscribe', channels: ['quotes.A'] });
    assert.deepEqual([...s.socket.topics], ['quotes.A']);
    s.socket.clear();
    for (let bid = 1; bid <= 3; bid++) publish(s, 'quotes', 'A', quote('A', bid));
    mock.timers.tick(100);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [1, 2, 3]);
  });
});

describe('backpressure', () => {
  const SLOW = LIMITS.slowBytes + 1;
  const DRAINED = LIMITS.slowBytes / 2 - 1;

  function lagging(): Setup {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['trades.A', 'quotes.A', 'bars.1m.A'] });
    s.socket.bufferedAmount = SLOW;
    assert.equal(s.session.checkBackpressure(), SLOW);
    s.socket.clear();
    return s;
  }

  it('over slowBytes, moves quotes and bars to managed, conflated delivery and leaves trades on their topic', () => {
    const s = lagging();
    assert.equal(s.session.slow, true);
    assert.deepEqual([...s.socket.topics], ['trades.A']);
    for (let bid = 1; bid <= 3; bid++) publish(s, 'quotes', 'A', quote('A', bid));
    publish(s, 'bars', 'A', bar('A', '1m', T0, { final: false }), '1m');
    publish(s, 'trades', 'A', trade('A', 1));
    assert.deepEqual(
      s.socket.data().map((f) => [f.ch, f.seq]),
      [['trades.A', 1]],
      'only the trade, nothing conflatable yet',
    );
    assert.equal(s.socket.ended, null);
  });

  it('while slow, sends a final bar at once in place of the forming update of its own window', () => {
    const s = lagging();
    publish(s, 'bars', 'A', bar('A', '1m', T0, { final: false, close: 1 }), '1m');
    publish(s, 'bars', 'A', bar('A', '1m', T0, { final: false, close: 2 }), '1m');
    publish(s, 'bars', 'A', bar('A', '1m', T0, { close: 3 }), '1m');
    assert.deepEqual(
      s.socket.data('bars.1m.A').map((f) => [f.seq, f.data.final, f.data.close]),
      [[3, true, 3]],
    );
  });

  it("while slow, sends a waiting forming update of a later window before an earlier window's final bar, in seq order", () => {
    const s = lagging();
    publish(s, 'bars', 'A', bar('A', '1m', T0 + MIN, { final: false }), '1m');
    publish(s, 'bars', 'A', bar('A', '1m', T0), '1m');
    assert.deepEqual(
      s.socket.data('bars.1m.A').map((f) => [f.seq, f.data.window_start, f.data.final]),
      [
        [1, T0 + MIN, false],
        [2, T0, true],
      ],
    );
  });

  it('stays conflated between half of slowBytes and slowBytes', () => {
    const s = lagging();
    publish(s, 'quotes', 'A', quote('A', 1));
    s.socket.bufferedAmount = LIMITS.slowBytes / 2 + 1;
    s.session.checkBackpressure();
    assert.equal(s.session.slow, true);
    assert.deepEqual(s.socket.frames, []);
  });

  it('under half of slowBytes, catches up with the latest frame per channel, then goes back to the topics', () => {
    const s = lagging();
    for (let bid = 1; bid <= 3; bid++) publish(s, 'quotes', 'A', quote('A', bid));
    for (let close = 1; close <= 2; close++) publish(s, 'bars', 'A', bar('A', '1m', T0, { final: false, close }), '1m');
    s.socket.bufferedAmount = DRAINED;
    s.session.checkBackpressure();
    assert.equal(s.session.slow, false);
    assert.deepEqual(
      s.socket
        .data()
        .map((f) => [f.ch, f.seq])
        .sort(),
      [
        ['bars.1m.A', 2],
        ['quotes.A', 3],
      ],
    );
    assert.ok(s.socket.frames.every((f) => f.corked));
    assert.deepEqual([...s.socket.topics].sort(), ['bars.1m.A', 'quotes.A', 'trades.A']);
    s.socket.clear();
    publish(s, 'quotes', 'A', quote('A', 4));
    assert.deepEqual(
      s.socket.data().map((f) => [f.ch, f.seq]),
      [['quotes.A', 4]],
    );
    assert.equal(s.socket.frames[0]?.via, 'publish');
  });

  it("catching up leaves a throttled channel's frame to its timer", () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    s.socket.bufferedAmount = SLOW;
    s.session.checkBackpressure();
    publish(s, 'quotes', 'A', quote('A', 1));
    s.socket.clear();
    s.socket.bufferedAmount = DRAINED;
    s.session.checkBackpressure();
    assert.deepEqual(s.socket.frames, [], 'not sent on drain');
    mock.timers.tick(100);
    assert.deepEqual(seqs(s.socket, 'quotes.A'), [1]);
  });

  it('does not send, on catching up, a held frame of a channel unsubscribed meanwhile', () => {
    const s = lagging();
    publish(s, 'quotes', 'A', quote('A', 1));
    s.send({ op: 'unsubscribe', channels: ['quotes.A'] });
    s.socket.clear();
    s.socket.bufferedAmount = DRAINED;
    s.session.checkBackpressure();
    assert.deepEqual(s.socket.data('quotes.A'), []);
  });

  it('over maxBytes, closes with 4008 and says why', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['trades.A'] });
    s.socket.bufferedAmount = LIMITS.maxBytes + 1;
    assert.equal(s.session.checkBackpressure(), LIMITS.maxBytes + 1);
    assert.deepEqual(s.socket.ended, { code: CloseCode.SLOW_CONSUMER, reason: `slow consumer: over ${LIMITS.maxBytes} bytes unsent` });
    assert.equal(CloseCode.SLOW_CONSUMER, 4008);
  });

  it('closes with 4008 at once when a frame it sends is queued behind more than maxBytes', () => {
    const s = setup();
    publish(s, 'trades', 'A', trade('A', 1));
    s.socket.bufferedAmount = LIMITS.maxBytes + 1;
    s.send({ op: 'subscribe', channels: ['trades.A'] });
    assert.equal(s.socket.ended?.code, 4008);
  });

  it('does not close a client whose queue stays within maxBytes', () => {
    const s = setup();
    publish(s, 'trades', 'A', trade('A', 1));
    s.socket.bufferedAmount = LIMITS.maxBytes;
    s.send({ op: 'subscribe', channels: ['trades.A'] });
    s.session.checkBackpressure();
    assert.equal(s.socket.ended, null);
  });
});

describe('ping and the rate limit', () => {
  it('answers ping with pong, the id echoed and the server time', () => {
    const s = setup();
    s.send({ op: 'ping', id: 'p1' });
    s.send({ op: 'ping' });
    assert.deepEqual(s.socket.json(), [
      { op: 'pong', id: 'p1', time: T0 },
      { op: 'pong', time: T0 },
    ]);
  });

  it('answers rate_limited beyond the limit (bursts of twice the rate), and serves again as the bucket refills', () => {
    const s = setup({ limits: { rateLimit: 5 } });
    for (let i = 0; i < 11; i++) s.send({ op: 'ping', id: i });
    const frames = s.socket.json();
    assert.deepEqual(
      frames.slice(0, 10).map((f) => [f.op, f.id]),
      Array.from({ length: 10 }, (_, i) => ['pong', i]),
    );
    assert.deepEqual([frames[10]?.op, frames[10]?.code], ['error', 'rate_limited']);
    assert.match(String(frames[10]?.message), /more than 5 messages per second/);
    s.socket.clear();
    s.send({ op: 'subscribe', channels: ['trades.A'] });
    assert.equal(s.socket.replies('error')[0]?.code, 'rate_limited', 'a limited subscribe is ignored');
    assert.equal(s.session.channelCount, 0);
    s.socket.clear();
    mock.timers.tick(1000);
    for (let i = 0; i < 6; i++) s.send({ op: 'ping', id: i });
    assert.deepEqual(
      s.socket.json().map((f) => f.op),
      ['pong', 'pong', 'pong', 'pong', 'pong', 'error'],
      'five a second',
    );
  });
});

describe('close', () => {
  it('unmanages every managed channel: no more offers, no throttled frames, nothing sent', () => {
    const s = setup();
    s.send({ op: 'subscribe', channels: ['quotes.A'], throttle_ms: 100 });
    s.send({ op: 'subscribe', channels: ['bars.1m.*'] });
    s.socket.bufferedAmount = LIMITS.slowBytes + 1;
    s.session.checkBackpressure();
    publish(s, 'quotes', 'A', quote('A', 1));
    const offer = mock.method(s.session, 'offer');
    s.session.close();
    s.socket.clear();
    publish(s, 'quotes', 'A', quote('A', 2));
    publish(s, 'bars', 'A', bar('A', '1m', T0), '1m');
    mock.timers.tick(1000);
    assert.equal(offer.mock.callCount(), 0);
    assert.deepEqual(s.socket.frames, []);
    assert.equal(s.session.checkBackpressure(), 0, 'a closed session reports nothing queued');
    s.send({ op: 'ping' });
    assert.deepEqual(s.socket.frames, [], 'nor replies');
  });
});
