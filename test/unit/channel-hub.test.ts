// The hub is what every subscriber's view of a channel rests on: the seq a
// client resumes from, the snapshot it starts with, the frame text it parses,
// and which topics and managed sessions a publish reaches. Pinned here over a
// fake uWS app, so a change to the fan-out shows up without a server.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBuffer } from 'flatbuffers';
import { PayloadType } from '../../src/fb/generated/tickflow/fb/payload-type';
import { Tick } from '../../src/fb/generated/tickflow/fb/tick';
import { JsonBytes } from '../../src/records/json-bytes';
import { ChannelHub, type ChannelState, type FrameInfo, type ManagedSubscriber } from '../../src/serve/hub/channel-hub';
import { FbFrames } from '../../src/serve/hub/fb-frames';
import { FakePublisher, decodeMessage, frameInfoOf, publishRecord } from '../fixtures/fake-sockets';
import { bar } from '../fixtures/records';

const T0 = 1_704_205_800_000;

const trade = (symbol: string, price: number, ts = T0): Record<string, unknown> => ({
  symbol,
  event_type: 'TRADE',
  timestamp: ts,
  price,
  volume: 10,
});

function hub(replayBuffer = 1000, initialSeqs: ReadonlyMap<string, number> = new Map()): { app: FakePublisher; hub: ChannelHub } {
  const app = new FakePublisher();
  return { app, hub: new ChannelHub(app, replayBuffer, initialSeqs) };
}

/** The frame text the protocol promises for a record (SPEC §3). */
const frameOf = (ch: string, seq: number, record: object): string =>
  `{"ch":${JSON.stringify(ch)},"seq":${seq},"data":${JSON.stringify(record)}}`;

/** A managed session that keeps what it is offered (the info copied: the hub reuses it). */
class Recorder implements ManagedSubscriber {
  readonly offers: Array<{ channel: string; frame: string; conflatable: boolean; windowStart: number }> = [];

  offer(channel: ChannelState, frame: string, info: FrameInfo): void {
    this.offers.push({ channel: channel.name, frame, conflatable: info.conflatable, windowStart: info.windowStart });
  }
}

describe('channel hub: seqs', () => {
  it('counts seqs per channel from 1, each channel on its own', () => {
    const { hub: h } = hub();
    const a = h.channel('trades', '', 'A');
    const b = h.channel('trades', '', 'B');
    assert.deepEqual(
      [1, 2, 3].map((p) => publishRecord(h, a, trade('A', p))),
      [1, 2, 3],
    );
    assert.equal(publishRecord(h, b, trade('B', 1)), 1);
    assert.equal(publishRecord(h, a, trade('A', 4)), 4);
    assert.deepEqual([a.seq, b.seq], [4, 1]);
    assert.equal(h.published, 5);
  });

  it("continues a channel from its initial seq (the store's last after a restart), others from 1", () => {
    const { hub: h } = hub(1000, new Map([['bars.1m.A', 41]]));
    const bars = h.channel('bars', '1m', 'A');
    assert.equal(bars.seq, 41);
    assert.equal(publishRecord(h, bars, bar('A', '1m', T0)), 42);
    assert.equal(publishRecord(h, h.channel('bars', '1m', 'B'), bar('B', '1m', T0)), 1);
  });

  it('gives one state per channel name, found by name once created', () => {
    const { hub: h } = hub();
    assert.equal(h.find('trades.A'), undefined);
    const a = h.channel('trades', '', 'A');
    assert.equal(h.channel('trades', '', 'A'), a);
    assert.equal(h.find('trades.A'), a);
    assert.equal(h.channelCount, 1);
  });
});

describe('channel hub: frames and snapshots', () => {
  it('publishes each frame as {"ch","seq","data"} text to the channel\'s topic and its wildcard topic', () => {
    const { app, hub: h } = hub();
    h.listen('trades.A');
    h.listen('trades.*');
    const record = trade('A', 101.5);
    publishRecord(h, h.channel('trades', '', 'A'), record);
    const expected = { text: frameOf('trades.A', 1, record), bytes: null, isBinary: false };
    assert.deepEqual(app.on('trades.A'), [expected]);
    assert.deepEqual(app.on('trades.*'), [expected]);
    assert.deepEqual([...app.published.keys()].sort(), ['trades.*', 'trades.A'], 'no other topic');
  });

  it("publishes bars of an interval to that interval's wildcard, and a dotted symbol whole", () => {
    const { app, hub: h } = hub();
    for (const topic of ['bars.1m.BRK.B', 'bars.1m.*', 'bars.5m.*']) h.listen(topic);
    const record = bar('BRK.B', '1m', T0);
    const channel = h.channel('bars', '1m', 'BRK.B');
    assert.equal(channel.name, 'bars.1m.BRK.B');
    publishRecord(h, channel, record);
    assert.equal(app.on('bars.1m.BRK.B')[0]?.text, frameOf('bars.1m.BRK.B', 1, record));
    assert.equal(app.on('bars.1m.*')[0]?.text, frameOf('bars.1m.BRK.B', 1, record));
    assert.equal(app.on('bars.5m.*').length, 0);
  });

  it('publishes only to the topics someone listens on, and stops once the last one leaves', () => {
    const { app, hub: h } = hub();
    const a = h.channel('trades', '', 'A');
    publishRecord(h, a, trade('A', 1));
    assert.deepEqual([...app.published.keys()], [], 'nobody listens: no publish at all');
    h.listen('trades.*');
    h.listen('trades.*');
    publishRecord(h, a, trade('A', 2));
    assert.deepEqual([...app.published.keys()], ['trades.*'], 'not to the channel nobody joined');
    h.unlisten('trades.*');
    publishRecord(h, a, trade('A', 3));
    assert.equal(app.on('trades.*').length, 2, 'one listener is left');
    h.unlisten('trades.*');
    publishRecord(h, a, trade('A', 4));
    assert.equal(app.on('trades.*').length, 2, 'none is left');
    assert.equal(a.seq, 4, 'every record still has its seq');
    assert.equal(h.recent(a, 0).frames.length, 4, 'and is in the resume log');
  });

  it("keeps each channel's latest frame as its snapshot, none before the first", () => {
    const { hub: h } = hub();
    const a = h.channel('trades', '', 'A');
    assert.equal(a.last, null);
    // A long frame then a short one: the snapshot buffer is reused and must not keep the tail.
    const long = { ...trade('A', 1), exchange: 'X'.repeat(600) };
    publishRecord(h, a, long);
    assert.equal(a.last, frameOf('trades.A', 1, long));
    const short = trade('A', 2);
    publishRecord(h, a, short);
    assert.equal(a.last, frameOf('trades.A', 2, short));
    publishRecord(h, h.channel('trades', '', 'B'), trade('B', 3));
    assert.equal(a.last, frameOf('trades.A', 2, short), "another channel's publish leaves it alone");
  });
});

describe('channel hub: the resume log', () => {
  it('returns the frames after a seq, and says complete when it holds every one', () => {
    const { hub: h } = hub();
    const a = h.channel('trades', '', 'A');
    const records = [1, 2, 3, 4, 5].map((p) => trade('A', p));
    for (const r of records) publishRecord(h, a, r);
    publishRecord(h, h.channel('trades', '', 'B'), trade('B', 9));
    assert.deepEqual(h.recent(a, 2), {
      frames: records.slice(2).map((r, i) => frameOf('trades.A', i + 3, r)),
      complete: true,
      lastSeq: 5,
      firstSeq: 3,
    });
    assert.deepEqual(h.recent(a, 5), { frames: [], complete: true, lastSeq: 5, firstSeq: 0 }, 'nothing missed');
    assert.equal(h.recent(a, 0).frames.length, 5);
  });

  it('says not complete once the log has evicted part of the gap (a small replay buffer)', () => {
    const { hub: h } = hub(3);
    const a = h.channel('trades', '', 'A');
    for (let p = 1; p <= 6; p++) publishRecord(h, a, trade('A', p));
    const gap = h.recent(a, 1);
    assert.equal(gap.complete, false);
    assert.deepEqual(
      gap.frames.map((f) => (JSON.parse(f) as { seq: number }).seq),
      [4, 5, 6],
      'the newest it still holds',
    );
    assert.equal(h.recent(a, 3).complete, true, 'a gap it still holds whole');
  });

  it('says not complete for seqs from before a restart, which it never held', () => {
    const { hub: h } = hub(1000, new Map([['alerts.A', 7]]));
    const a = h.channel('alerts', '', 'A');
    assert.equal(h.recent(a, 5).complete, false);
    assert.equal(h.recent(a, 7).complete, true);
  });

  it("says not complete for a seq beyond the channel's (a client of another epoch)", () => {
    const { hub: h } = hub();
    const a = h.channel('trades', '', 'A');
    publishRecord(h, a, trade('A', 1));
    assert.deepEqual(h.recent(a, 9), { frames: [], complete: false, lastSeq: 9, firstSeq: 0 });
  });
});

describe('channel hub: binary topics', () => {
  it('builds no FlatBuffers frame and publishes none while no binary subscriber listens', () => {
    const { app, hub: h } = hub();
    let asked = 0;
    const a = h.channel('trades', '', 'A');
    h.publish(a, new JsonBytes().utf8(JSON.stringify(trade('A', 1))), frameInfoOf('trades', {}), PayloadType.TICK, {
      payload: () => {
        asked++;
        return h.tickFrame(trade('A', 1));
      },
    });
    assert.equal(asked, 0);
    assert.equal(app.on('fb|trades.A').length + app.on('fb|trades.*').length, 0);
  });

  it('publishes a FlatBuffers Message to the fb| topic someone listens on', () => {
    for (const topic of ['fb|trades.A', 'fb|trades.*']) {
      const { app, hub: h } = hub();
      h.listen(topic);
      h.listen('trades.A');
      const a = h.channel('trades', '', 'A');
      publishRecord(h, a, trade('A', 1));
      publishRecord(h, a, trade('A', 42.5));
      const sent = app.on(topic);
      assert.equal(sent.length, 2, `a listener on ${topic}`);
      assert.ok(sent.every((p) => p.isBinary && p.bytes !== null));
      const m = decodeMessage(sent[1]?.bytes as Uint8Array);
      assert.deepEqual([m.channel, m.seq, m.type], ['trades.A', 2, PayloadType.TICK]);
      const tick = Tick.getRootAsTick(new ByteBuffer(m.payload));
      assert.deepEqual([tick.symbol(), tick.price(), Number(tick.volume())], ['A', 42.5, 10]);
      const other = topic === 'fb|trades.A' ? 'fb|trades.*' : 'fb|trades.A';
      assert.equal(app.on(other).length, 0, `nobody on ${other}`);
      assert.equal(app.on('trades.A').length, 2, 'JSON subscribers get theirs as well');
    }
  });

  it('rebuilds a JSON frame as a binary Message with the same channel, seq and content (snapshots, resumes)', () => {
    const { hub: h } = hub();
    const record = bar('A', '1m', T0, { close: 99.5, final: false });
    const m = decodeMessage(h.toBinary(frameOf('bars.1m.A', 12, record)));
    assert.deepEqual([m.channel, m.seq, m.type], ['bars.1m.A', 12, PayloadType.BAR]);
    assert.deepEqual(m.payload, new FbFrames().recordPayload('bars', { ...record }).bytes);
  });
});

describe('channel hub: managed subscribers', () => {
  it('offers each frame to the sessions managing its channel and to those managing its wildcard family', () => {
    const { hub: h } = hub();
    const own = new Recorder();
    const family = new Recorder();
    h.manage('quotes.A', own);
    h.manage('quotes.*', family);
    const quote = { symbol: 'A', event_type: 'QUOTE', timestamp: T0, bid: 1, ask: 2, volume: 0 };
    publishRecord(h, h.channel('quotes', '', 'A'), quote);
    publishRecord(h, h.channel('quotes', '', 'B'), { ...quote, symbol: 'B' });
    publishRecord(h, h.channel('trades', '', 'A'), trade('A', 1));
    const a = { channel: 'quotes.A', frame: frameOf('quotes.A', 1, quote), conflatable: true, windowStart: 0 };
    assert.deepEqual(own.offers, [a]);
    assert.deepEqual(family.offers, [
      a,
      { channel: 'quotes.B', frame: frameOf('quotes.B', 1, { ...quote, symbol: 'B' }), conflatable: true, windowStart: 0 },
    ]);
  });

  it('passes the frame info along: a forming bar is conflatable and carries its window', () => {
    const { hub: h } = hub();
    const s = new Recorder();
    h.manage('bars.1m.*', s);
    const channel = h.channel('bars', '1m', 'A');
    publishRecord(h, channel, bar('A', '1m', T0, { final: false }));
    publishRecord(h, channel, bar('A', '1m', T0));
    assert.deepEqual(
      s.offers.map((o) => [o.conflatable, o.windowStart]),
      [
        [true, T0],
        [false, T0],
      ],
    );
  });

  it('stops offering to a session once it unmanages the channel', () => {
    const { hub: h } = hub();
    const s = new Recorder();
    const other = new Recorder();
    h.manage('trades.A', s);
    h.manage('trades.A', other);
    h.unmanage('trades.A', s);
    h.unmanage('trades.B', s); // never managed: no effect
    publishRecord(h, h.channel('trades', '', 'A'), trade('A', 1));
    assert.equal(s.offers.length, 0);
    assert.equal(other.offers.length, 1);
  });
});

describe('channel hub: matching', () => {
  it("lists a wildcard's family, and only that family", () => {
    const { hub: h } = hub();
    for (const [kind, interval, symbol] of [
      ['bars', '1m', 'A'],
      ['bars', '1m', 'BRK.B'],
      ['bars', '5m', 'A'],
      ['trades', '', 'A'],
    ] as const) {
      h.channel(kind, interval, symbol);
    }
    assert.deepEqual(
      h
        .matching('bars.1m.*')
        .map((c) => c.name)
        .sort(),
      ['bars.1m.A', 'bars.1m.BRK.B'],
    );
    assert.deepEqual(
      h.matching('trades.*').map((c) => c.name),
      ['trades.A'],
    );
    assert.deepEqual(h.matching('quotes.*'), []);
  });

  it("gives a concrete name's own channel, or nothing when it has none", () => {
    const { hub: h } = hub();
    const a = h.channel('bars', '1m', 'A');
    assert.deepEqual(h.matching('bars.1m.A'), [a]);
    assert.deepEqual(h.matching('bars.1m.Z'), []);
  });
});
