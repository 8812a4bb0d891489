// The /ws subscriber protocol (SPEC §3) as one session speaks it:
// subscribing and unsubscribing, the replies and error codes clients match
// on, snapshots before the reply, the topics it joins, and entitlements.
// Over a fake socket and a fake uWS app (no network); the clock is
// node:test's mock timers (test/fixtures/session-harness.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBuffer } from 'flatbuffers';
import { PayloadType } from '../../src/fb/generated/tickflow/fb/payload-type';
import { Tick } from '../../src/fb/generated/tickflow/fb/tick';
import { bar } from '../fixtures/records';
import { DESK, live, publish, REPLY_EPOCHS, seqs, sessionHooks, setup, T0, trade } from '../fixtures/session-harness';

sessionHooks();

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

  it('keeps a topic published while any session is on it: a close leaves it as an unsubscribe does', () => {
    const first = setup();
    const second = setup({ hub: { app: first.app, hub: first.hub } });
    first.send({ op: 'subscribe', channels: ['trades.*'] });
    second.send({ op: 'subscribe', channels: ['trades.*', 'trades.B'] });
    first.session.close();
    publish(first, 'trades', 'A', trade('A', 1));
    assert.deepEqual(seqs(second.socket, 'trades.A'), [1], 'the other session still gets it');
    assert.equal(first.app.on('trades.*').length, 1);
    second.session.close();
    publish(first, 'trades', 'A', trade('A', 2));
    publish(first, 'trades', 'B', trade('B', 3));
    assert.equal(first.app.on('trades.*').length, 1, 'nobody left on the wildcard');
    assert.equal(first.app.on('trades.B').length, 0, 'nor on the channel');
    first.session.close();
    const late = setup({ hub: { app: first.app, hub: first.hub } });
    late.send({ op: 'subscribe', channels: ['trades.A'] });
    late.socket.clear();
    publish(late, 'trades', 'A', trade('A', 4));
    assert.deepEqual(seqs(late.socket, 'trades.A'), [3], 'a session after all the others left gets what it asked for');
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
