// The dashboard's ChartBook, which merges bars from the channel snapshot,
// live frames and /api/bars: activity bars keyed and placed by bar_index
// even when they start in the same millisecond, time bars by window_start,
// and corrections (a final bar with a higher revision) replacing the bar
// they revise while nothing older or forming ever does.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChartBook } from '../../dashboard/src/chart-book';
import { parseInterval } from '../../dashboard/src/intervals';
import type { BarRecord } from '../../src/records/records';

function bar(fields: Partial<BarRecord>): BarRecord {
  return {
    type: 'bar',
    symbol: 'AAPL',
    interval: '1m',
    window_start: 60_000,
    window_end: 120_000,
    open: 10,
    high: 11,
    low: 9,
    close: 10.5,
    volume: 100,
    vwap: 10.2,
    trade_count: 3,
    final: true,
    buy_volume: 60,
    sell_volume: 40,
    buy_count: 2,
    sell_count: 1,
    revision: 0,
    ...fields,
  };
}

function book(interval: string): ChartBook {
  const spec = parseInterval(interval);
  assert.ok(spec !== null, interval);
  return new ChartBook('AAPL', spec);
}

describe('ChartBook', () => {
  it('parses time and activity labels as the server writes them, and nothing else', () => {
    assert.deepEqual(parseInterval('5m'), { kind: 'time', label: '5m', ms: 300_000 });
    assert.deepEqual(parseInterval('500t'), { kind: 'activity', label: '500t', size: 500, unit: 't' });
    assert.equal(parseInterval('100000v')?.kind, 'activity');
    assert.equal(parseInterval('1000000n')?.kind, 'activity');
    for (const label of ['', '0t', '05t', 't', '500x', '1.5m', '0s']) assert.equal(parseInterval(label), null, label);
  });

  it('keeps activity bars that start in the same millisecond apart, ordered and placed by bar_index', () => {
    const activity = book('50t');
    const at = (index: number, start: number): BarRecord =>
      bar({ interval: '50t', bar_index: index, window_start: start, window_end: start + 1 });
    assert.equal(activity.offerLive(at(1, 5000), 2).change, 'latest');
    assert.equal(activity.offerLive(at(2, 5000), 3).change, 'latest');
    assert.deepEqual(activity.offerHistory(at(0, 4000)), { change: 'inserted', key: 0 });
    assert.equal(activity.size, 3);
    assert.deepEqual(
      activity.allBars().map((b) => b.bar_index),
      [0, 1, 2],
    );
    assert.deepEqual([activity.firstKey(), activity.latestKey(), activity.firstStart(), activity.latestStart()], [0, 2, 4000, 5000]);
    assert.equal(activity.axisTime(2), 2, 'one axis step per bar');
    assert.equal(activity.keyAt(2), 2);
    assert.equal(activity.barAtOrBefore(4999), 0, 'the bar an event time falls in, by window_start');
    assert.equal(activity.barAtOrBefore(5000), 2);
    assert.equal(activity.barAtOrBefore(3999), null);
    assert.equal(activity.msPerBar(), 500, 'estimated from the bars held');
    assert.equal(activity.offerLive(bar({ interval: '50t', window_start: 6000 }), 4).key, null, 'an activity bar without an index');
    assert.equal(activity.size, 3);
  });

  it('keys time bars by window_start and places them at its second', () => {
    const minutes = book('1m');
    assert.equal(minutes.offerLive(bar({ window_start: 120_000, final: false }), 1).key, 120_000);
    assert.equal(minutes.axisTime(120_000), 120);
    assert.equal(minutes.keyAt(120), 120_000);
    assert.equal(minutes.msPerBar(), 60_000);
  });

  it('replaces a final bar with a higher revision, never with a lower one or a forming one', () => {
    for (const interval of ['1m', '50t']) {
      const held = book(interval);
      const fields = interval === '50t' ? { interval, bar_index: 7 } : { interval };
      const key = interval === '50t' ? 7 : 60_000;
      held.offerLive(bar({ ...fields, final: false, buy_volume: null, sell_volume: null }), 1);
      assert.equal(held.offerLive(bar({ ...fields, close: 10.5 }), 2).change, 'latest', `${interval}: the final bar`);
      assert.equal(held.offerLive(bar({ ...fields, final: false }), 3).change, 'none', `${interval}: forming after final`);
      assert.equal(held.offerLive(bar({ ...fields, close: 12, revision: 1 }), 4).change, 'latest', `${interval}: a correction`);
      assert.equal(held.get(key)?.close, 12);
      assert.equal(
        held.offerHistory(bar({ ...fields, close: 10.5, revision: 0 })).change,
        'none',
        `${interval}: history a revision behind`,
      );
      assert.equal(held.offerLive(bar({ ...fields, close: 11, revision: 0 }), 9).change, 'none', `${interval}: a lower revision`);
      assert.equal(held.offerHistory(bar({ ...fields, close: 13, revision: 2 })).change, 'latest', `${interval}: a later one in history`);
      assert.equal(held.get(key)?.close, 13);
      assert.equal(held.offerLive(bar({ ...fields, close: 13, revision: 2 }), 3).change, 'none', `${interval}: an older frame`);
      assert.equal(held.size, 1);
    }
  });
});
