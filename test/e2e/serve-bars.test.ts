// Activity bars, trade side and corrections served live (SPEC §1, §3): on
// their channels, in the store behind /api/bars and history, and counted in
// /metrics, against a real `tickflow serve`, a real SQLite file and a real
// WebSocket client.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Publisher, T0 } from '../fixtures/publisher';
import { startServer, type RunningServer } from '../fixtures/server-process';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-bars-'));
const servers: RunningServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function subscribe(server: RunningServer, message: Record<string, unknown>): Promise<TestClient> {
  const client = await TestClient.connect(`${server.ws}/ws`);
  client.send({ op: 'subscribe', ...message });
  await client.reply('subscribed');
  return client;
}

async function storedBars(server: RunningServer, interval: string, ready: (bars: Array<Record<string, unknown>>) => boolean) {
  let bars: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 200; i++) {
    const body = (await (await fetch(`${server.http}/api/bars?symbol=ACT&interval=${interval}`)).json()) as {
      bars: Array<Record<string, unknown>>;
    };
    bars = body.bars;
    if (ready(bars)) return bars;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`the store never held the expected ${interval} bars: ${JSON.stringify(bars)}`);
}

describe('activity bars and corrections in serve', () => {
  it('serves activity bars, trade side and every revision live, and keeps the latest revision in the store', async () => {
    const server = await startServer([
      '--source',
      'none',
      '--db',
      join(dir, 'bars.db'),
      '--intervals',
      '1s,3t',
      '--lateness-ms',
      '1000',
      '--allowed-lateness-ms',
      '3000',
      '--idle-close-ms',
      '0',
    ]);
    servers.push(server);
    const watch = await subscribe(server, { channels: ['bars.1s.ACT', 'bars.3t.ACT'] });
    const pub = await Publisher.connect(server.ws);
    await pub.send([
      { symbol: 'ACT', type: 'QUOTE', ts: T0, bid: 99, ask: 101 },
      { symbol: 'ACT', ts: T0 + 100, price: 102, volume: 5 }, // above the mid 100: buy
      { symbol: 'ACT', ts: T0 + 200, price: 98, volume: 7 }, // below: sell
      { symbol: 'ACT', ts: T0 + 300, price: 100, volume: 1 }, // at the mid, up from 98: buy
      { symbol: 'ACT', ts: T0 + 1100, price: 101, volume: 2 },
      { symbol: 'ACT', ts: T0 + 5000, price: 100, volume: 1 }, // W = T0 + 4 s: the first four settle
    ]);
    // A correction: 2.5 s behind the watermark, within the 3 s allowed.
    await pub.send([{ symbol: 'ACT', ts: T0 + 1500, price: 103, volume: 4 }]);

    const final = (channel: string): Array<Record<string, unknown>> =>
      watch.data(channel).flatMap((f) => (f.data.final === true ? [f.data] : []));
    await watch.until(() => final('bars.1s.ACT').length === 3 && final('bars.3t.ACT').length === 1, 'final bars');
    assert.deepEqual(
      final('bars.1s.ACT').map((b) => [
        Number(b.window_start) - T0,
        b.revision,
        b.volume,
        b.buy_volume,
        b.sell_volume,
        b.buy_count,
        b.sell_count,
      ]),
      [
        [0, 0, 13, 6, 7, 2, 1],
        [1000, 0, 2, 2, 0, 1, 0], // 101 above the mid 100: a buy
        [1000, 1, 6, 2, 0, 1, 0], // the correction joins the volume, not the trade side
      ],
    );
    const [activity] = final('bars.3t.ACT');
    assert.deepEqual(
      [activity?.bar_index, activity?.complete, activity?.trade_count, activity?.window_start, activity?.window_end],
      [0, true, 3, T0 + 100, T0 + 301],
    );

    const stored = await storedBars(server, '1s', (bars) => bars.some((b) => b.revision === 1));
    assert.deepEqual(
      stored.map((b) => [Number(b.window_start) - T0, b.revision, b.volume]),
      [
        [0, 0, 13],
        [1000, 1, 6],
      ],
    );
    const history = await subscribe(server, { channels: ['bars.1s.ACT'], history: 10 });
    await history.until(() => history.data('bars.1s.ACT').length === 2, 'history');
    assert.deepEqual(
      history.data('bars.1s.ACT').map((f) => [Number(f.data.window_start) - T0, f.data.revision]),
      [
        [0, 0],
        [1000, 1],
      ],
    );

    // The publisher's flush cuts the activity bar being filled.
    await pub.flush();
    await watch.until(() => final('bars.3t.ACT').length === 2, 'the cut activity bar');
    const cut = final('bars.3t.ACT')[1];
    assert.deepEqual([cut?.bar_index, cut?.complete, cut?.trade_count], [1, false, 2]);
    const activityStored = await storedBars(server, '3t', (bars) => bars.length === 2);
    assert.deepEqual(
      activityStored.map((b) => [b.bar_index, b.complete]),
      [
        [0, true],
        [1, false],
      ],
    );

    const text = await (await fetch(`${server.http}/metrics`)).text();
    assert.match(text, /^tickflow_corrections_total 1$/m);
    assert.match(text, /^tickflow_revisions_total\{kind="bar"\} 1$/m);
    await Promise.all([watch.close(), history.close(), pub.close()]);
  });
});
