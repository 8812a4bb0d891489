// A /ws session's flow: throttle_ms conflation, backpressure (and the 4008
// close for a client that lags), ping and the rate limit, and close. Over a
// fake socket and a fake uWS app; the clock and the throttle timer are
// node:test's mock timers, so every frame's arrival is decided by the test,
// never by a race (test/fixtures/session-harness.ts).

import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { CloseCode } from '../../src/records/protocol';
import { bar, MIN } from '../fixtures/records';
import { LIMITS, publish, quote, seqs, sessionHooks, setup, T0, trade, type Setup } from '../fixtures/session-harness';

sessionHooks();

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
