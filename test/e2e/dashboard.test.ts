// The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium),
// headless, driven by playwright-core, which never downloads a browser of its
// own. The page is served by a real `tickflow serve` replaying a generated
// feed with injected anomalies, and the assertions read the DOM: the data
// attributes the page keeps on its chart, alert rows and engine tiles.
// Screenshots go to test-artifacts/ (git-ignored).
//
// Needs the dashboard built (npm run build:dashboard) and Chromium installed
// (apt-get install -y chromium); each missing piece fails with what to do.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WebSocketRoute } from 'playwright-core';
import { startServer } from '../fixtures/server-process';
import {
  WAIT_MS,
  alertRows,
  apiBars,
  chartData,
  shownIntervals,
  until,
  type ApiBar,
  ARTIFACTS,
  DashboardRun,
} from '../fixtures/dashboard-browser';

/** Event time the feed covers: 10 minutes from 2024-01-02T14:30:00Z. */
const FEED_MINUTES = 10;
/** The activity interval the server is started with besides the default time intervals: bars of 50 trades. */
const ACTIVITY = '50t';

const run = new DashboardRun(`1s,1m,5m,${ACTIVITY}`, FEED_MINUTES);
before(() => run.start(), { timeout: 180_000 });
after(() => run.stop());

describe('the dashboard', { timeout: 240_000 }, () => {
  it('loads from the server and charts the most active symbol with candles drawn by the chart library', async () => {
    await until(
      run.page,
      `document.getElementById('chart').dataset.state === 'ready' && Number(document.getElementById('chart').dataset.candles) >= 2`,
      'at least 2 candles on the chart',
    );
    const chart = await chartData(run.page);
    assert.equal(chart.interval, '1m', 'the default interval');
    assert.match(chart.symbol ?? '', /^[A-Z]{3,4}$/);
    assert.ok(Number(chart.maPoints) >= 0);
    assert.ok((await run.page.locator('#chart canvas').count()) >= 2, 'lightweight-charts draws on canvases');
    assert.equal(await run.page.locator('#intervals button[aria-pressed="true"]').getAttribute('data-interval'), '1m');
    await until(run.page, `document.getElementById('intervals').dataset.source === 'server'`, 'the intervals of /health');
    assert.deepEqual(await shownIntervals(run.page), ['1s:time', '1m:time', '5m:time', `${ACTIVITY}:activity`]);
    await until(
      run.page,
      `document.getElementById('quote-symbol').textContent === '${chart.symbol ?? ''}'`,
      'the header on the charted symbol',
    );
    await until(run.page, `document.querySelectorAll('#movers tr').length === 5`, 'all 5 symbols in the movers table');
    assert.equal(await run.page.locator('#link').getAttribute('data-state'), 'live');
  });

  it('shows the engine numbers of /metrics: ticks per second, subscribers and stage latency percentiles', async () => {
    await until(run.page, `Number(document.querySelector('[data-metric="ticks_per_s"]').dataset.value) > 0`, 'a tick rate above 0');
    await until(
      run.page,
      `Number(document.querySelector('[data-metric="subscribers"]').dataset.value) >= 2`,
      "the page's two connections counted",
    );
    await until(run.page, `document.querySelectorAll('#latency-table tbody tr').length === 5`, 'five pipeline stages');
    const stages: unknown = await run.page.evaluate(
      `[...document.querySelectorAll('#latency-table tbody tr')].map((tr) => tr.dataset.stage)`,
    );
    assert.deepEqual(stages, ['ring_in', 'engine', 'ring_out', 'publish', 'tick_to_publish']);
    assert.equal(await run.page.locator('#latency-table tbody tr .lat-bar').count(), 20, 'a bar per stage and quantile');
    // No Kafka mirror in this run: its lag is shown as absent, not as zero.
    assert.equal(await run.page.locator('[data-metric="mirror_lag"] .value').textContent(), '—');
    const health = (await (await fetch(`${run.server.http}/health`)).json()) as { placement: string; partitions: number };
    const expected = health.placement === 'inline' ? 'inline' : `partitioned ×${health.partitions}`;
    await until(
      run.page,
      `document.querySelector('[data-metric="placement"] .value').textContent === ${JSON.stringify(expected)}`,
      `the placement shown as ${expected}`,
    );
  });

  it('lists injected anomalies in the alert feed with the statistic that triggered each', async () => {
    for (const type of ['PRICE_SPIKE', 'VOLUME_SURGE', 'SPREAD_WIDENING']) {
      await until(run.page, `document.querySelector('#alerts tr[data-type="${type}"]') !== null`, `a ${type} row`);
    }
    const rows = await alertRows(run.page, 40);
    assert.ok(rows.length >= 3);
    for (const row of rows) {
      assert.ok(run.expectedAlerts.has(`${row.symbol}|${row.type}|${row.timestamp}`), `${JSON.stringify(row)} is an alert of the feed`);
      const pattern = { PRICE_SPIKE: /^z \d+\.\d\d$/, VOLUME_SURGE: /^vol ×\d+\.\d$/, SPREAD_WIDENING: /^spread ×\d+\.\d$/ }[row.type];
      if (pattern !== undefined) assert.match(row.trigger, pattern, `${row.type} shows its trigger`);
      if (row.type === 'PRICE_SPIKE') assert.ok(Number(row.trigger.slice(2)) > 3, 'a spike is over 3 standard deviations');
    }
    await run.page.locator('#alert-type').selectOption('VOLUME_SURGE');
    await until(
      run.page,
      `[...document.querySelectorAll('#alerts tr')].every((tr) => tr.dataset.type === 'VOLUME_SURGE')`,
      'only volume surges',
    );
    await run.page.locator('#alert-severity').selectOption('CRITICAL');
    await until(run.page, `document.querySelectorAll('#alerts tr').length === 0`, 'no critical volume surges (they are warnings)');
    await run.page.locator('#alert-type').selectOption('');
    await until(
      run.page,
      `[...document.querySelectorAll('#alerts tr')].every((tr) => tr.dataset.severity === 'CRITICAL')
      && document.querySelector('#alerts tr') !== null`,
      'only critical alerts',
    );
    await run.page.locator('#alert-severity').selectOption('');
    await run.page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png') });
  });

  it('redraws for each interval with exactly the bars of /api/bars once the feed is over', async () => {
    const symbol = (await chartData(run.page)).symbol ?? '';
    // The last minute's bar is final once the file source has flushed at the end of the run.feed.
    const deadline = Date.now() + 60_000;
    while ((await apiBars(run.server.http, symbol, '1m')).filter((b) => b.final).length < FEED_MINUTES) {
      assert.ok(Date.now() < deadline, 'the replay did not finish within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const interval of ['1s', '5m', '1m']) {
      await run.page.locator(`#intervals button[data-interval="${interval}"]`).click();
      // Polled against a fresh answer each time: the store commits in batches, a moment after the channel.
      let chart: Record<string, string> = {};
      let bars: Array<{ window_start: number }> = [];
      for (const deadline = Date.now() + WAIT_MS; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
        [chart, bars] = await Promise.all([chartData(run.page), apiBars(run.server.http, symbol, interval)]);
        if (chart.interval === interval && chart.state === 'ready' && Number(chart.candles) === bars.length) break;
        assert.ok(Date.now() < deadline, `${interval}: the chart shows ${chart.candles} candles, /api/bars has ${bars.length}`);
      }
      assert.ok(bars.length > 0);
      assert.equal(Number(chart.firstStart), bars[0]?.window_start, `${interval}: first bar`);
      assert.equal(Number(chart.lastStart), bars.at(-1)?.window_start, `${interval}: last bar`);
      assert.equal(await run.page.locator('#intervals button[aria-pressed="true"]').getAttribute('data-interval'), interval);
      assert.match(run.page.url(), new RegExp(`interval=${interval}`), 'the URL keeps the choice');
    }
    // Per interval: 600 one-second bars at most, 10 one-minute bars, 2 five-minute bars.
    assert.equal((await apiBars(run.server.http, symbol, '5m')).length, 2);
    assert.ok(Number((await chartData(run.page)).maPoints) > 0, 'the moving average is drawn');
  });

  it('charts the activity interval of /health one candle per bar_index, and the time intervals as before', async () => {
    const health = (await (await fetch(`${run.server.http}/health`)).json()) as { intervals: string[] };
    assert.deepEqual(health.intervals, ['1s', '1m', '5m', ACTIVITY]);
    // The symbol with the most activity bars that start in a second another one starts in: on a time axis they would merge.
    let symbol = '';
    let expected: ApiBar[] = [];
    let sharing = -1;
    for (const candidate of run.symbols) {
      const bars = await apiBars(run.server.http, candidate, ACTIVITY);
      const shared = bars.length - new Set(bars.map((b) => Math.floor(b.window_start / 1000))).size;
      if (shared > sharing) [symbol, expected, sharing] = [candidate, bars, shared];
    }
    assert.ok(sharing > 0, `some ${ACTIVITY} bars of the feed start in the same second`);
    assert.ok(expected.length > 1 && expected.every((b) => b.final));
    assert.deepEqual(
      expected.map((b) => b.bar_index),
      expected.map((_, i) => i),
      'the server numbers the bars 0, 1, 2, ...',
    );

    const activityPage = await run.openPage(`/?symbol=${symbol}&interval=1m`);
    await until(
      activityPage,
      `document.getElementById('intervals').dataset.source === 'server' && document.getElementById('chart').dataset.state === 'ready'`,
      'the page on 1m with the intervals of /health',
    );
    await activityPage.locator(`#intervals button[data-interval="${ACTIVITY}"]`).click();
    await until(
      activityPage,
      `(() => { const d = document.getElementById('chart').dataset;
      return d.interval === '${ACTIVITY}' && d.state === 'ready' && Number(d.candles) === ${expected.length}; })()`,
      `${expected.length} candles of ${ACTIVITY}`,
    );
    const chart = await chartData(activityPage);
    assert.equal(chart.keyedBy, 'bar_index');
    assert.equal(chart.firstKey, '0', 'the first bar_index');
    assert.equal(chart.lastKey, String(expected.length - 1), 'the last bar_index: one candle per index, in ascending order');
    assert.equal(Number(chart.firstStart), expected[0]?.window_start);
    assert.equal(Number(chart.lastStart), expected.at(-1)?.window_start);
    assert.equal(chart.maPoints, '0', 'no moving average on activity bars');
    assert.equal(await activityPage.locator('#intervals button[aria-pressed="true"]').getAttribute('data-interval'), ACTIVITY);
    assert.match(activityPage.url(), new RegExp(`interval=${ACTIVITY}`));

    // The legend shows the latest bar, with its trade side.
    const legend = activityPage.locator('#chart .chart-legend');
    assert.equal(await legend.getAttribute('data-key'), String(expected.length - 1));
    assert.equal(await legend.locator('[data-field="index"]').textContent(), `#${expected.length - 1}`);
    assert.equal(await legend.locator('[data-field="buy"]').getAttribute('data-value'), String(expected.at(-1)?.buy_volume));
    assert.equal(await legend.locator('[data-field="sell"]').getAttribute('data-value'), String(expected.at(-1)?.sell_volume));
    await activityPage.screenshot({ path: join(ARTIFACTS, 'dashboard-activity.png') });

    // Back to a time interval with the digit key of its button: keyed by window_start as before.
    const minutes = await apiBars(run.server.http, symbol, '1m');
    await activityPage.keyboard.press('2');
    await until(
      activityPage,
      `(() => { const d = document.getElementById('chart').dataset;
      return d.interval === '1m' && d.state === 'ready' && Number(d.candles) === ${minutes.length}; })()`,
      `${minutes.length} candles of 1m`,
    );
    const back = await chartData(activityPage);
    assert.equal(back.keyedBy, 'window_start');
    assert.equal(Number(back.firstKey), minutes[0]?.window_start);
    assert.equal(Number(back.lastStart), minutes.at(-1)?.window_start);
    assert.equal(await legend.locator('[data-field="buy"]').getAttribute('data-value'), String(minutes.at(-1)?.buy_volume));
    await activityPage.close();
    assert.deepEqual(run.problems, [], 'no page errors');
  });

  it('charts the symbol and time of an alert when it is clicked', async () => {
    const current = (await chartData(run.page)).symbol ?? '';
    const rows = await alertRows(run.page, 200);
    const target = rows.find((r) => r.symbol !== current);
    assert.ok(target !== undefined, 'an alert of another symbol');
    await run.page.locator(`#alerts tr[data-symbol="${target.symbol}"][data-timestamp="${target.timestamp}"]`).first().click();
    await until(
      run.page,
      `(() => { const d = document.getElementById('chart').dataset;
      return d.symbol === '${target.symbol}' && d.focusTime === '${target.timestamp}' && d.state === 'ready'; })()`,
      `the chart on ${target.symbol} at ${target.timestamp}`,
    );
    await until(run.page, `document.getElementById('quote-symbol').textContent === '${target.symbol}'`, 'the header on the new symbol');
    await run.page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    assert.deepEqual(run.problems, [], 'no page errors');
    assert.deepEqual(run.foreignRequests, [], 'nothing fetched from anywhere but the server');
  });

  it('passes the ?token= of its URL on to /ws, /api and /metrics', async () => {
    const desk = 'desk-token-7f3a';
    const ops = 'ops-token-91c2';
    const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');
    writeFileSync(
      join(run.dir, 'tokens.json'),
      JSON.stringify({
        tokens: [
          { name: 'desk', sha256: sha256(desk), roles: ['subscribe'] },
          { name: 'ops', sha256: sha256(ops), roles: ['admin', 'subscribe'] },
        ],
      }),
    );
    const secured = await startServer([
      '--source',
      `file:${run.feed}`,
      '--speed',
      'max',
      '--db',
      join(run.dir, 'secured.db'),
      '--token-file',
      join(run.dir, 'tokens.json'),
      '--host',
      '127.0.0.1',
    ]);
    run.servers.push(secured);

    const deskPage = await run.openPage(`/?token=${desk}`, secured, true);
    await until(
      deskPage,
      `document.getElementById('link').dataset.state === 'live' && document.getElementById('chart').dataset.state === 'ready'
      && Number(document.getElementById('chart').dataset.candles) > 0 && Number(document.getElementById('alerts').dataset.count) > 0`,
      'charts and alerts with a subscribe token',
    );
    await until(
      deskPage,
      `document.getElementById('engine').dataset.state === 'denied'`,
      'the engine panel refused without the admin role',
    );
    assert.match((await deskPage.locator('#engine-note').textContent()) ?? '', /admin role/);
    assert.match(deskPage.url(), new RegExp(`token=${desk}`), 'the token stays in the URL as the user picks');

    const opsPage = await run.openPage(`/?token=${ops}`, secured);
    await until(
      opsPage,
      `document.getElementById('engine').dataset.state === 'ok' && document.getElementById('chart').dataset.state === 'ready'`,
      'the engine panel with an admin token',
    );

    // Without a token the page still loads (it holds no data) but /ws refuses it.
    const anonymous = await run.context.newPage();
    const home = await anonymous.goto(`${secured.http}/`);
    assert.equal(home?.status(), 200);
    await until(anonymous, `document.getElementById('link').dataset.state === 'reconnecting'`, 'the page kept out of /ws');
    await Promise.all([deskPage.close(), opsPage.close(), anonymous.close()]);
  });

  it('resumes after a dropped link, and shows when a restarted server cannot fill the gap', async () => {
    // A second page whose WebSockets pass through the test, which can drop them.
    const routes: WebSocketRoute[] = [];
    const sent: string[] = [];
    const routed = await run.context.newPage();
    routed.on('pageerror', (err) => run.problems.push(`page error: ${err.message}`));
    await routed.routeWebSocket(/\/ws/, (ws) => {
      const upstream = ws.connectToServer();
      routes.push(ws);
      ws.onMessage((message) => {
        sent.push(String(message));
        upstream.send(message);
      });
    });
    await routed.goto(`${run.server.http}/?symbol=${(await chartData(run.page)).symbol ?? ''}&interval=1m`);
    await until(
      routed,
      `document.getElementById('link').dataset.state === 'live' && document.getElementById('chart').dataset.state === 'ready'
      && Number(document.getElementById('alerts').dataset.count) > 0`,
      'the second page live',
    );

    const before = sent.length;
    for (const ws of routes.splice(0)) await ws.close({ code: 4000, reason: 'test: link dropped' });
    await until(
      routed,
      `Number(document.getElementById('link').dataset.reconnects) === 2 && document.getElementById('link').dataset.state === 'live'`,
      'both connections back',
    );
    type Point = { epoch: string; seq: number };
    const resumes = sent
      .slice(before)
      .map((m) => JSON.parse(m) as { op: string; resume?: Record<string, Point> })
      .filter((m) => m.resume !== undefined);
    const resumed = Object.assign({}, ...resumes.map((m) => m.resume)) as Record<string, Point>;
    assert.ok(
      Object.keys(resumed).some((ch) => ch.startsWith('alerts.') && (resumed[ch]?.seq ?? 0) > 0 && resumed[ch]?.epoch !== ''),
      `alerts resumed from their epoch and seq: ${JSON.stringify(resumed)}`,
    );
    assert.ok(
      Object.keys(resumed).some((ch) => /^bars\.1m\./.test(ch)),
      'bars resumed',
    );
    assert.equal(await routed.locator('#link').getAttribute('data-missed'), '0', 'the running server filled the gap');
    assert.equal(await routed.locator('#banner').isHidden(), true);

    // A new server on the same port knows none of the page's seqs: recovered false.
    await run.page.close();
    await run.server.stop();
    await until(routed, `document.getElementById('link').dataset.state === 'reconnecting'`, 'the page noticing the server is gone');
    await run.restartOn(run.server.port);
    const restartedAt = Date.now();
    await until(
      routed,
      `document.getElementById('link').dataset.state === 'live' && Number(document.getElementById('link').dataset.missed) > 0`,
      'the page live again and reporting missed data',
    );
    await until(
      routed,
      `Number(document.getElementById('engine').dataset.updated) > ${restartedAt}`,
      'the engine panel reading the new server',
    );
    assert.equal(await routed.locator('[data-metric="late"]').getAttribute('data-value'), '0', "the new server's own numbers");
    // The new server has the default intervals only: the page asked /health again on reconnecting.
    await until(
      routed,
      `document.querySelector('#intervals button[data-interval="${ACTIVITY}"]').hidden === true`,
      `the ${ACTIVITY} button hidden`,
    );
    assert.deepEqual(await shownIntervals(routed), ['1s:time', '1m:time', '5m:time']);
    assert.equal(await routed.locator('#banner').isVisible(), true);
    const banner = (await routed.locator('#banner-text').textContent()) ?? '';
    assert.match(banner, /could not replay \d+ channels/);
    assert.match(banner, /alerts\./, "the overview connection's gaps are listed too");
    assert.equal(await chartData(routed).then((d) => d.state), 'ready', 'the chart keeps what it had');
    await routed.screenshot({ path: join(ARTIFACTS, 'dashboard-missed-data.png') });
    assert.deepEqual(run.problems, [], 'no page errors');
  });
});
