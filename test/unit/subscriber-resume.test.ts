// A /ws session's resume (with epochs, from the hub's log and from stored
// history) and history on subscribe: no gap and no duplicate between what
// was stored, what the log holds and what is published meanwhile. Over a
// fake socket and a fake uWS app (test/fixtures/session-harness.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bar, MIN } from '../fixtures/records';
import {
  DESK,
  live,
  publish,
  quote,
  REPLY_EPOCHS,
  seqs,
  sessionHooks,
  settled,
  setup,
  stored,
  storeOf,
  T0,
  trade,
} from '../fixtures/session-harness';

sessionHooks();

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
