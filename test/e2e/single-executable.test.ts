// The single executable (npm run build:binary): copied alone into an empty
// folder, it generates a feed, replays it to the same records as the checkout
// does, and serves /health, the dashboard, history and the Kafka mirror
// thread, all from the files it unpacks to its cache folder.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSet, statsOf, tickflow } from '../fixtures/cli';
import { startCommand } from '../fixtures/server-process';

const ROOT = join(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tickflow-binary-'));
const run = join(dir, 'run');
const cache = join(dir, 'cache');
const binary = join(run, 'tickflow');
after(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of a machine without the checkout: a fresh home and cache, no Node module paths. */
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: join(dir, 'home'),
  XDG_CACHE_HOME: cache,
  TICKFLOW_PIN: 'false',
};

const FEED = [
  '--symbols',
  '20',
  '--rate',
  '2000',
  '--duration',
  '40s',
  '--seed',
  '11',
  '--anomaly-rate',
  '0.002',
  '--duplicate-rate',
  '0.002',
  '--late-rate',
  '0.002',
  '--invalid-rate',
  '0.002',
];

function binaryRun(args: readonly string[]): { stdout: string; stderr: string } {
  const result = spawnSync(binary, args, { cwd: run, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, `./tickflow ${args.join(' ')}: ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

/** The stats line without what depends on the run (time, memory). */
function counts(stats: Record<string, number>): Record<string, number> {
  const { elapsed_ms: _elapsed, ticks_per_second: _rate, max_rss_mb: _rss, ...rest } = stats;
  return rest;
}

before(() => {
  const built = join(dir, 'build', 'tickflow');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-binary.js'), '--out', built], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  mkdirSync(run);
  copyFileSync(built, binary);
  execFileSync('chmod', ['755', binary]);
});

describe('the single executable', () => {
  it('runs alone in an empty folder and unpacks once into its cache folder', () => {
    assert.deepEqual(readdirSync(run), ['tickflow']);
    const help = binaryRun(['--help']).stdout;
    assert.match(help, /tickflow serve \[options\]/);
    assert.match(binaryRun(['serve', '--help']).stdout, /--token-file <string>/);
    const builds = readdirSync(join(cache, 'tickflow'));
    assert.equal(builds.length, 1, `one build folder, got ${builds.join(', ')}`);
    const folder = join(cache, 'tickflow', builds[0] as string);
    for (const file of [
      'main.js',
      'partition-worker.js',
      'store-writer.js',
      'better_sqlite3.node',
      'tickflow_native.node',
      'dashboard/index.html',
    ]) {
      assert.ok(existsSync(join(folder, file)), `${file} unpacked`);
    }
    // A second start reuses the folder as it is.
    const before = statSync(join(folder, 'main.js')).mtimeMs;
    binaryRun(['--help']);
    assert.equal(statSync(join(folder, 'main.js')).mtimeMs, before);
    assert.deepEqual(readdirSync(join(cache, 'tickflow')), builds);
  });

  it('gen writes the same bytes and replay the same records and counts as the checkout', () => {
    binaryRun(['gen', ...FEED, '--out', 'feed.ndjson']);
    const checkoutFeed = join(dir, 'checkout-feed.ndjson');
    const gen = tickflow(['gen', ...FEED, '--out', checkoutFeed]);
    assert.equal(gen.status, 0, gen.stderr);
    assert.ok(readFileSync(join(run, 'feed.ndjson')).equals(readFileSync(checkoutFeed)), 'identical feeds');

    // Pinned, so the CPU-affinity addon is loaded from the unpacked folder too.
    const fromBinary = spawnSync(binary, ['replay', 'feed.ndjson', '--partitions', '2', '--pin'], {
      cwd: run,
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    assert.equal(fromBinary.status, 0, fromBinary.stderr);
    assert.doesNotMatch(fromBinary.stderr, /pinning is unavailable|did not load/);
    const fromCheckout = tickflow(['replay', checkoutFeed, '--partitions', '2']);
    assert.equal(fromCheckout.status, 0, fromCheckout.stderr);
    const records = recordSet(fromBinary.stdout);
    assert.ok(records.length > 1000, `${records.length} records`);
    assert.deepEqual(records, recordSet(fromCheckout.stdout));
    assert.deepEqual(counts(statsOf(fromBinary.stdout)), counts(statsOf(fromCheckout.stdout)));
    assert.ok(statsOf(fromBinary.stdout).rejected > 0, 'the feed has rejects');
  });

  it('serves /health, the dashboard, history and /metrics, starts the Kafka mirror thread and drains on SIGTERM', async () => {
    // One worker thread, so the bundled partition worker is loaded too.
    const server = await startCommand(
      binary,
      ['serve', '--port', '0', '--log-format', 'json', '--db', 'data/tickflow.db', '--partitions', '1', '--kafka-brokers', '127.0.0.1:1'],
      { env, cwd: run },
    );
    let code: number | null;
    try {
      const health = await fetch(`${server.http}/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');
      const page = await fetch(`${server.http}/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      const script = /src="(\/assets\/app-[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script !== undefined, 'the page names its script');
      assert.equal((await fetch(`${server.http}${script}`)).status, 200);
      // A history query runs on the piscina reader threads.
      const bars = await fetch(`${server.http}/api/bars?symbol=NONE&interval=1m`);
      assert.equal(bars.status, 200);
      const metrics = await (await fetch(`${server.http}/metrics`)).text();
      assert.match(metrics, /^tickflow_partitions 1$/m);
      assert.match(metrics, /^tickflow_engine_placement\{placement="partitioned"\} 1$/m);
      // Port 1 refuses at once: the mirror thread runs and says so.
      const deadline = Date.now() + 15_000;
      while (!server.logs.some((l) => l.includes('kafka mirror cannot reach the brokers')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(
        server.logs.some((l) => l.includes('kafka mirror cannot reach the brokers')),
        server.logs.join('\n'),
      );
    } finally {
      code = await server.stop();
    }
    assert.equal(code, 0);
    assert.ok(server.logs.some((l) => l.includes('"msg":"stopped"')));
    assert.ok(existsSync(join(run, 'data', 'tickflow.db')));
  });
});
