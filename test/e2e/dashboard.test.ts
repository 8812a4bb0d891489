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
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { records, tickflow } from '../fixtures/cli';
import { startServer, type RunningServer } from '../fixtures/server-process';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium phones home, which the
// closed network of CI refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-artifacts');
/** Event time the feed covers: 10 minutes from 2024-01-02T14:30:00Z. */
const FEED_MINUTES = 10;
const WAIT_MS = 30_000;
/** The activity interval the server is started with besides the default time intervals: bars of 50 trades. */
const ACTIVITY = '50t';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-dashboard-'));
const feed = join(dir, 'feed.ndjson');
const servers: RunningServer[] = [];
let server: RunningServer;
let context: BrowserContext;
let page: Page;
/** `symbol|type|timestamp` of every alert `tickflow replay` finds in the feed. */
const expectedAlerts = new Set<string>();
/** The symbols of the feed. */
const symbols = new Set<string>();
const problems: string[] = [];
const foreignRequests: string[] = [];

/**
 * Waits for an expression evaluated in the page to be true. An expression,
 * because the root build has no DOM types; polled from here, because the
 * page's Content-Security-Policy forbids the eval that waitForFunction uses.
 */
async function until(target: Page, expression: string, what: string, timeout = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if ((await target.evaluate(expression)) === true) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeout} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function chartData(target: Page): Promise<Record<string, string>> {
  const data: unknown = await target.evaluate('({ ...document.getElementById("chart").dataset })');
  return data as Record<string, string>;
}

interface AlertRow {
  readonly symbol: string;
  readonly type: string;
  readonly timestamp: number;
  readonly trigger: string;
}

async function alertRows(target: Page, limit: number): Promise<AlertRow[]> {
  const rows: unknown = await target.evaluate(`[...document.querySelectorAll('#alerts tr')].slice(0, ${limit}).map((tr) => ({
    symbol: tr.dataset.symbol, type: tr.dataset.type, timestamp: Number(tr.dataset.timestamp),
    trigger: tr.querySelector('td.trigger').textContent }))`);
  return rows as AlertRow[];
}

interface ApiBar {
  readonly window_start: number;
  readonly final: boolean;
  readonly bar_index?: number;
  readonly buy_volume: number | null;
  readonly sell_volume: number | null;
}

async function apiBars(symbol: string, interval: string): Promise<ApiBar[]> {
  const response = await fetch(`${server.http}/api/bars?symbol=${encodeURIComponent(symbol)}&interval=${interval}&limit=10000`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { bars: ApiBar[] }).bars;
}

/** The interval buttons shown, as `label:kind`. */
async function shownIntervals(target: Page): Promise<string[]> {
  const shown: unknown = await target.evaluate(`[...document.querySelectorAll('#intervals button')]
    .filter((b) => !b.hidden).map((b) => b.dataset.interval + ':' + (b.dataset.kind ?? 'time'))`);
  return shown as string[];
}

/**
 * A port that was free a moment ago. The server that the test restarts gets
 * one explicitly: Linux does not let a port the kernel picked (port 0) be
 * bound again while the old connections' TIME_WAIT lasts, an explicit one
 * it does.
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (address !== null && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A new server on the port of a stopped one, with an empty store. The port
 * can stay busy for a moment while the browser closes its side of the old
 * connections, so this retries for a while.
 */
async function restartOn(port: number): Promise<RunningServer> {
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const restarted = await startServer(['--source', 'none', '--port', String(port), '--db', join(dir, `fresh-${attempt}.db`)]);
      servers.push(restarted);
      return restarted;
    } catch (err) {
      if (Date.now() > deadline || !/cannot listen/.test((err as Error).message)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A page of the dashboard that records page errors, console errors (unless refusals are expected) and foreign requests. */
async function openPage(path: string, origin: RunningServer = server, refusalsExpected = false): Promise<Page> {
  const opened = await context.newPage();
  opened.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  opened.on('console', (message) => {
    // Chromium logs every 401/403 answer as a console error.
    if (message.type() === 'error' && !(refusalsExpected && /status of 40[13]/.test(message.text())))
      problems.push(`console error: ${message.text()}`);
  });
  opened.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin.http) && !url.startsWith(origin.ws) && !url.startsWith('data:')) foreignRequests.push(url);
  });
  await opened.goto(`${origin.http}${path}`);
  return opened;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `this test needs Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const gen = tickflow([
    'gen',
    '--symbols',
    '5',
    '--rate',
    '200',
    '--duration',
    `${FEED_MINUTES}m`,
    '--anomaly-rate',
    '0.01',
    '--seed',
    '11',
    '--out',
    feed,
  ]);
  assert.equal(gen.status, 0, gen.stderr);
  const replay = tickflow(['replay', feed]);
  assert.equal(replay.status, 0, replay.stderr);
  for (const r of records(replay.stdout)) {
    if (r.type === 'bar') symbols.add(String(r.symbol));
    if (r.type === 'alert') expectedAlerts.add(`${String(r.symbol)}|${String(r.anomaly_type)}|${String(r.timestamp)}`);
  }
  // 10 minutes of event time in 20 s: the page sees the feed live, forming bars and all.
  server = await startServer([
    '--source',
    `file:${feed}`,
    '--speed',
    '30',
    '--db',
    join(dir, 'live.db'),
    '--intervals',
    `1s,1m,5m,${ACTIVITY}`,
    '--port',
    String(await freePort()),
  ]);
  servers.push(server);
  const home = await fetch(`${server.http}/`);
  assert.equal(home.status, 200, `GET / answered ${home.status}: ${(await home.text()).slice(0, 300)} (run npm run build:dashboard)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 900 },
  });
  page = await openPage('/');
});

after(async () => {
  await context?.close();
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard', { timeout: 240_000 }, () => {
  it('loads from the server and charts the most active symbol with candles drawn by the chart library', async () => {
    await until(
      page,
      `document.getElementById('chart').dataset.state === 'ready' && Number(document.getElementById('chart').dataset.candles) >= 2`,
      'at least 2 candles on the chart',
    );
    const chart = await chartData(page);
    assert.equal(chart.interval, '1m', 'the default interval');
    assert.match(chart.symbol ?? '', /^[A-Z]{3,4}$/);
    assert.ok(Number(chart.maPoints) >= 0);
    assert.ok((await page.locator('#chart canvas').count()) >= 2, 'lightweight-charts draws on canvases');
    assert.equal(await page.locator('#intervals button[aria-pressed="true"]').getAttribute('data-interval'), '1m');
    await until(page, `document.getElementById('intervals').dataset.source === 'server'`, 'the intervals of /health');
    assert.deepEqual(await shownIntervals(page), ['1s:time', '1m:time', '5m:time', `${ACTIVITY}:activity`]);
    await until(
      page,
      `document.getElementById('quote-symbol').textContent === '${chart.symbol ?? ''}'`,
      'the header on the charted symbol',
    );
    await until(page, `document.querySelectorAll('#movers tr').length === 5`, 'all 5 symbols in the movers table');
    assert.equal(await page.locator('#link').getAttribute('data-state'), 'live');
  });

  it('shows the engine numbers of /metrics: ticks per second, subscribers and stage latency percentiles', async () => {
    await until(page, `Number(document.querySelector('[data-metric="ticks_per_s"]').dataset.value) > 0`, 'a tick rate above 0');
    await until(
      page,
      `Number(document.querySelector('[data-metric="subscribers"]').dataset.value) >= 2`,
      "the page's two connections counted",
    );
    await until(page, `document.querySelectorAll('#latency-table tbody tr').length === 5`, 'five pipeline stages');
    const stages: unknown = await page.evaluate(`[...document.querySelectorAll('#latency-table tbody tr')].map((tr) => tr.dataset.stage)`);
    assert.deepEqual(stages, ['ring_in', 'engine', 'ring_out', 'publish', 'tick_to_publish']);
    assert.equal(await page.locator('#latency-table tbody tr .lat-bar').count(), 20, 'a bar per stage and quantile');
    // No Kafka mirror in this run: its lag is shown as absent, not as zero.
    assert.equal(await page.locator('[data-metric="mirror_lag"] .value').textContent(), '—');
    const health = (await (await fetch(`${server.http}/health`)).json()) as { placement: string; partitions: number };
    const expected = health.placement === 'inline' ? 'inline' : `partitioned ×${health.partitions}`;
    await until(
      page,
      `document.querySelector('[data-metric="placement"] .value').textContent === ${JSON.stringify(expected)}`,
      `the placement shown as ${expected}`,
    );
  });

  it('lists injected anomalies in the alert feed with the statistic that triggered each', async () => {
    for (const type of ['PRICE_SPIKE', 'VOLUME_SURGE', 'SPREAD_WIDENING']) {
      await until(page, `document.querySelector('#alerts tr[data-type="${type}"]') !== null`, `a ${type} row`);
    }
    const rows = await alertRows(page, 40);
    assert.ok(rows.length >= 3);
    for (const row of rows) {
      assert.ok(expectedAlerts.has(`${row.symbol}|${row.type}|${row.timestamp}`), `${JSON.stringify(row)} is an alert of the feed`);
      const pattern = { PRICE_SPIKE: /^z \d+\.\d\d$/, VOLUME_SURGE: /^vol ×\d+\.\d$/, SPREAD_WIDENING: /^spread ×\d+\.\d$/ }[row.type];
      if (pattern !== undefined) assert.match(row.trigger, pattern, `${row.type} shows its trigger`);
      if (row.type === 'PRICE_SPIKE') assert.ok(Number(row.trigger.slice(2)) > 3, 'a spike is over 3 standard deviations');
    }
    await page.locator('#alert-type').selectOption('VOLUME_SURGE');
    await until(
      page,
      `[...document.querySelectorAll('#alerts tr')].every((tr) => tr.dataset.type === 'VOLUME_SURGE')`,
      'only volume surges',
    );
    await page.locator('#alert-severity').selectOption('CRITICAL');
    await until(page, `document.querySelectorAll('#alerts tr').length === 0`, 'no critical volume surges (they are warnings)');
    await page.locator('#alert-type').selectOption('');
    await until(
      page,
      `[...document.querySelectorAll('#alerts tr')].every((tr) => tr.dataset.severity === 'CRITICAL')
      && document.querySelector('#alerts tr') !== null`,
      'only critical alerts',
    );
    await page.locator('#alert-severity').selectOption('');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png') });
  });

  it('redraws for each interval with exactly the bars of /api/bars once the feed is over', async () => {
    const symbol = (await chartData(page)).symbol ?? '';
    // The last minute's bar is final once the file source has flushed at the end of the feed.
    const deadline = Date.now() + 60_000;
    while ((await apiBars(symbol, '1m')).filter((b) => b.final).length < FEED_MINUTES) {
      assert.ok(Date.now() < deadline, 'the replay did not finish within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const interval of ['1s', '5m', '1m']) {
      await page.locator(`#intervals button[data-interval="${interval}"]`).click();
      // Polled against a fresh answer each time: the store commits in batches, a moment after the channel.
      let chart: Record<string, string> = {};
      let bars: Array<{ window_start: number }> = [];
      for (const deadline = Date.now() + WAIT_MS; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
        [chart, bars] = await Promise.all([chartData(page), apiBars(symbol, interval)]);
        if (chart.interval === interval && chart.state === 'ready' && Number(chart.candles) === bars.length) break;
        assert.ok(Date.now() < deadline, `${interval}: the chart shows ${chart.candles} candles, /api/bars has ${bars.length}`);
      }
      assert.ok(bars.length > 0);
      assert.equal(Number(chart.firstStart), bars[0]?.window_start, `${interval}: first bar`);
      assert.equal(Number(chart.lastStart), bars.at(-1)?.window_start, `${interval}: last bar`);
      assert.equal(await page.locator('#intervals button[aria-pressed="true"]').getAttribute('data-interval'), interval);
      assert.match(page.url(), new RegExp(`interval=${interval}`), 'the URL keeps the choice');
    }
    // Per interval: 600 one-second bars at most, 10 one-minute bars, 2 five-minute bars.
    assert.equal((await apiBars(symbol, '5m')).length, 2);
    assert.ok(Number((await chartData(page)).maPoints) > 0, 'the moving average is drawn');
  });

  it('charts the activity interval of /health one candle per bar_index, and the time intervals as before', async () => {
    const health = (await (await fetch(`${server.http}/health`)).json()) as { intervals: string[] };
    assert.deepEqual(health.intervals, ['1s', '1m', '5m', ACTIVITY]);
    // The symbol with the most activity bars that start in a second another one starts in: on a time axis they would merge.
    let symbol = '';
    let expected: ApiBar[] = [];
    let sharing = -1;
    for (const candidate of symbols) {
      const bars = await apiBars(candidate, ACTIVITY);
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

    const activityPage = await openPage(`/?symbol=${symbol}&interval=1m`);
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
    const minutes = await apiBars(symbol, '1m');
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
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('charts the symbol and time of an alert when it is clicked', async () => {
    const current = (await chartData(page)).symbol ?? '';
    const rows = await alertRows(page, 200);
    const target = rows.find((r) => r.symbol !== current);
    assert.ok(target !== undefined, 'an alert of another symbol');
    await page.locator(`#alerts tr[data-symbol="${target.symbol}"][data-timestamp="${target.timestamp}"]`).first().click();
    await until(
      page,
      `(() => { const d = document.getElementById('chart').dataset;
      return d.symbol === '${target.symbol}' && d.focusTime === '${target.timestamp}' && d.state === 'ready'; })()`,
      `the chart on ${target.symbol} at ${target.timestamp}`,
    );
    await until(page, `document.getElementById('quote-symbol').textContent === '${target.symbol}'`, 'the header on the new symbol');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    assert.deepEqual(problems, [], 'no page errors');
    assert.deepEqual(foreignRequests, [], 'nothing fetched from anywhere but the server');
  });

  it('passes the ?token= of its URL on to /ws, /api and /metrics', async () => {
    const desk = 'desk-token-7f3a';
    const ops = 'ops-token-91c2';
    const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');
    writeFileSync(
      join(dir, 'tokens.json'),
      JSON.stringify({
        tokens: [
          { name: 'desk', sha256: sha256(desk), roles: ['subscribe'] },
          { name: 'ops', sha256: sha256(ops), roles: ['admin', 'subscribe'] },
        ],
      }),
    );
    const secured = await startServer([
      '--source',
      `file:${feed}`,
      '--speed',
      'max',
      '--db',
      join(dir, 'secured.db'),
      '--token-file',
      join(dir, 'tokens.json'),
      '--host',
      '127.0.0.1',
    ]);
    servers.push(secured);

    const deskPage = await openPage(`/?token=${desk}`, secured, true);
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

    const opsPage = await openPage(`/?token=${ops}`, secured);
    await until(
      opsPage,
      `document.getElementById('engine').dataset.state === 'ok' && document.getElementById('chart').dataset.state === 'ready'`,
      'the engine panel with an admin token',
    );

    // Without a token the page still loads (it holds no data) but /ws refuses it.
    const anonymous = await context.newPage();
    const home = await anonymous.goto(`${secured.http}/`);
    assert.equal(home?.status(), 200);
    await until(anonymous, `document.getElementById('link').dataset.state === 'reconnecting'`, 'the page kept out of /ws');
    await Promise.all([deskPage.close(), opsPage.close(), anonymous.close()]);
  });

  it('resumes after a dropped link, and shows when a restarted server cannot fill the gap', async () => {
    // A second page whose WebSockets pass through the test, which can drop them.
    const routes: WebSocketRoute[] = [];
    const sent: string[] = [];
    const routed = await context.newPage();
    routed.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await routed.routeWebSocket(/\/ws/, (ws) => {
      const upstream = ws.connectToServer();
      routes.push(ws);
      ws.onMessage((message) => {
        sent.push(String(message));
        upstream.send(message);
      });
    });
    await routed.goto(`${server.http}/?symbol=${(await chartData(page)).symbol ?? ''}&interval=1m`);
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
    await page.close();
    await server.stop();
    await until(routed, `document.getElementById('link').dataset.state === 'reconnecting'`, 'the page noticing the server is gone');
    await restartOn(server.port);
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
    assert.deepEqual(problems, [], 'no page errors');
  });
});
