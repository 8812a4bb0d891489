// Records of symbols another engine owns reach this engine's subscribers on
// the same channels as its own, numbered by this engine's hub: trades, quotes
// and forming bars from the live feed, final records from the result topics.
// A forming bar that its final bar has already superseded is not published,
// and a final bar from the live feed never is (it comes from the result
// topics once committed, so that it is published once).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelHub } from '../../src/serve/hub/channel-hub';
import { RemoteRecords } from '../../src/serve/hub/remote-records';
import type { StoredRecord } from '../../src/store/store';
import { FakePublisher, decodeMessage } from '../fixtures/fake-sockets';
import { bar } from '../fixtures/records';

const T0 = 1_704_205_800_000;
const trade = (price: number): string =>
  JSON.stringify({ symbol: 'AAPL', event_type: 'TRADE', timestamp: T0, price, volume: 100, exchange: 'XNAS', seq: price });

function setup(): { app: FakePublisher; hub: ChannelHub; remote: RemoteRecords; stored: StoredRecord[] } {
  const app = new FakePublisher();
  const hub = new ChannelHub(app, 1000);
  const stored: StoredRecord[] = [];
  const remote = new RemoteRecords(hub, { write: (r) => stored.push(r) }, ['1s', '1m']);
  // JSON subscribers on every topic these tests read.
  for (const topic of [
    'trades.AAPL',
    'trades.*',
    'quotes.AAPL',
    'bars.1s.AAPL',
    'bars.1s.*',
    'bars.1m.AAPL',
    'indicators.AAPL',
    'alerts.AAPL',
  ]) {
    hub.listen(topic);
  }
  return { app, hub, remote, stored };
}

const frames = (app: FakePublisher, topic: string): Array<{ ch: string; seq: number; data: Record<string, unknown> }> =>
  app.on(topic).map((p) => JSON.parse(p.text ?? '') as { ch: string; seq: number; data: Record<string, unknown> });

describe('remote records', () => {
  it("publishes another engine's trades on the channel and its wildcard with this hub's seqs, after local ones", () => {
    const { app, hub, remote } = setup();
    const channel = hub.channel('trades', '', 'AAPL');
    channel.seq = 7;
    assert.equal(remote.liveRecord('trades.AAPL', trade(1)), true);
    assert.equal(remote.liveRecord('trades.AAPL', trade(2)), true);
    assert.deepEqual(
      frames(app, 'trades.AAPL').map((f) => [f.seq, f.data.price]),
      [
        [8, 1],
        [9, 2],
      ],
    );
    assert.equal(frames(app, 'trades.*').length, 2);
    assert.equal(hub.find('trades.AAPL')?.last, app.on('trades.AAPL')[1]?.text);
  });

  it('gives binary subscribers a remote trade as a Tick payload', () => {
    const { app, hub, remote } = setup();
    hub.listen('fb|trades.AAPL');
    remote.liveRecord('trades.AAPL', trade(3));
    const binary = app.on('fb|trades.AAPL')[0]?.bytes;
    assert.ok(binary !== null && binary !== undefined);
    const message = decodeMessage(binary);
    assert.equal(message.channel, 'trades.AAPL');
    assert.equal(message.seq, 1);
  });

  it('marks quotes and forming bars conflatable, trades not', () => {
    const { hub, remote } = setup();
    const offers: Array<[string, boolean, number]> = [];
    const session = {
      offer: (c: { name: string }, _f: string, i: { conflatable: boolean; windowStart: number }) =>
        offers.push([c.name, i.conflatable, i.windowStart]),
    };
    for (const name of ['trades.AAPL', 'quotes.AAPL', 'bars.1s.AAPL']) hub.manage(name, session as never);
    remote.liveRecord('trades.AAPL', trade(1));
    remote.liveRecord('quotes.AAPL', JSON.stringify({ symbol: 'AAPL', event_type: 'QUOTE', timestamp: T0, bid: 1, ask: 2, volume: 0 }));
    remote.liveRecord('bars.1s.AAPL', JSON.stringify(bar('AAPL', '1s', T0, { final: false })));
    assert.deepEqual(offers, [
      ['trades.AAPL', false, 0],
      ['quotes.AAPL', true, 0],
      ['bars.1s.AAPL', true, T0],
    ]);
  });

  it('drops a forming bar of a window whose final bar was published, and every final bar of the live feed', () => {
    const { app, remote, stored } = setup();
    assert.equal(remote.liveRecord('bars.1s.AAPL', JSON.stringify(bar('AAPL', '1s', T0, { final: false }))), true);
    remote.result('market-bars', `AAPL|1s|${T0}`, JSON.stringify(bar('AAPL', '1s', T0)));
    assert.equal(remote.liveRecord('bars.1s.AAPL', JSON.stringify(bar('AAPL', '1s', T0, { final: false }))), false);
    assert.equal(remote.liveRecord('bars.1s.AAPL', JSON.stringify(bar('AAPL', '1s', T0 - 1000, { final: false }))), false);
    assert.equal(remote.liveRecord('bars.1s.AAPL', JSON.stringify(bar('AAPL', '1s', T0 + 1000))), false);
    assert.equal(remote.liveRecord('bars.1s.AAPL', JSON.stringify(bar('AAPL', '1s', T0 + 1000, { final: false }))), true);
    assert.deepEqual(
      frames(app, 'bars.1s.AAPL').map((f) => [f.seq, f.data.window_start, f.data.final]),
      [
        [1, T0, false],
        [2, T0, true],
        [3, T0 + 1000, false],
      ],
    );
    assert.deepEqual(
      stored.map((r) => [r.kind, 'seq' in r ? r.seq : -1]),
      [['bar', 2]],
    );
  });

  it('ignores live records of channels this server cannot serve (an interval it lacks, a wildcard, a result kind)', () => {
    const { app, remote } = setup();
    for (const name of ['bars.5m.AAPL', 'trades.*', 'alerts.AAPL', 'nonsense'])
      assert.equal(remote.liveRecord(name, JSON.stringify(bar('AAPL', '5m', T0, { final: false }))), false, name);
    assert.equal(app.published.size, 0);
  });

  it('publishes and stores final indicators and alerts from the result topics, an alert with the origin of its key', () => {
    const { app, remote, stored } = setup();
    const indicator = {
      type: 'indicator',
      symbol: 'AAPL',
      window_start: T0,
      window_end: T0 + 60_000,
      ma: 1,
      volatility: 0,
      trade_count: 2,
    };
    remote.result('market-indicators', `AAPL|${T0}`, JSON.stringify(indicator));
    const alert = { type: 'alert', symbol: 'AAPL', anomaly_type: 'PRICE_SPIKE', severity: 'HIGH', timestamp: T0, price: 1, volume: 1 };
    remote.result('anomaly-alerts', `AAPL|PRICE_SPIKE|${T0}|123`, JSON.stringify(alert));
    assert.equal(frames(app, 'indicators.AAPL').length, 1);
    assert.equal(frames(app, 'alerts.AAPL').length, 1);
    assert.deepEqual(
      stored.map((r) => ('seq' in r ? [r.kind, r.channel, r.seq, r.kind === 'alert' ? r.origin : ''] : [])),
      [
        ['indicator', 'indicators.AAPL', 1, ''],
        ['alert', 'alerts.AAPL', 1, '123'],
      ],
    );
  });
});
