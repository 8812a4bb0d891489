// The HTTP side of `tickflow serve` against a real server: which methods each
// path takes (HEAD like GET without a body, 405 with Allow for the others,
// 404 only for unknown paths), and the history API's refusal of parameters
// it cannot honour. Requests go over a raw socket where the bytes matter: a
// client library hides a body sent after a HEAD answer.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type RunningServer } from '../fixtures/server-process';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-http-'));
let server: RunningServer;

before(async () => {
  server = await startServer(['--source', 'none', '--db', join(dir, 'http.db')]);
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  /** Every byte after the blank line that ends the headers, up to the close. */
  readonly body: Buffer;
}

/** One request on its own connection (Connection: close), read to the end. */
function raw(method: string, path: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`${method} ${path}: no complete header in ${JSON.stringify(all.toString('latin1'))}`));
        return;
      }
      const [statusLine = '', ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: all.subarray(end + 4) });
    });
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

/** The paths that answer GET, with a query where the route needs one to answer 200. */
const GET_PATHS = ['/health', '/metrics', '/api/bars?symbol=AAPL&interval=1m', '/api/alerts', '/', '/index.html'];
/** Paths whose body changes between two requests (uptime, counters): their lengths may differ a little. */
const LIVE_PATHS = new Set(['/health', '/metrics']);

describe('HTTP methods', () => {
  it('answers HEAD on every GET route with the GET status and headers and no body', async () => {
    for (const path of GET_PATHS) {
      const get = await raw('GET', path);
      const head = await raw('HEAD', path);
      assert.equal(head.status, get.status, `HEAD ${path}`);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), `HEAD ${path}: Content-Type`);
      const length = Number(head.headers.get('content-length'));
      if (LIVE_PATHS.has(path)) assert.ok(Math.abs(length - get.body.length) < 64, `HEAD ${path}: Content-Length ${length}`);
      else assert.equal(length, get.body.length, `HEAD ${path}: Content-Length of the GET body`);
      assert.equal(head.body.length, 0, `HEAD ${path}: no body`);
    }
    const health = await raw('HEAD', '/health');
    assert.equal(health.status, 200);
  });

  it('answers another method on a known path with 405 and an Allow header, and keeps 404 for unknown paths', async () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/health', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
      ['PUT', '/api/bars', 'GET, HEAD'],
      ['PATCH', '/api/alerts', 'GET, HEAD'],
      ['POST', '/', 'GET, HEAD'],
      ['OPTIONS', '/index.html', 'GET, HEAD'],
      ['POST', '/assets/app.js', 'GET, HEAD'],
      ['GET', '/api/watermarks/reset?symbol=AAPL', 'POST'],
      ['HEAD', '/api/watermarks/reset', 'POST'],
      ['POST', '/ws', 'GET'],
      ['PUT', '/ingest', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await raw(method, path);
      assert.equal(answer.status, 405, `${method} ${path}`);
      assert.equal(answer.headers.get('allow'), allow, `${method} ${path}: Allow`);
      if (method === 'HEAD') assert.equal(answer.body.length, 0, `${method} ${path}: no body`);
      else {
        const error = (JSON.parse(answer.body.toString('utf8')) as { error: { code: string; message: string } }).error;
        assert.equal(error.code, 'method_not_allowed', `${method} ${path}`);
        assert.match(error.message, new RegExp(`takes ${allow}`), `${method} ${path}`);
      }
    }
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/api/nope'],
      ['HEAD', '/nope'],
    ] as const) {
      const answer = await raw(method, path);
      assert.equal(answer.status, 404, `${method} ${path}`);
      if (method === 'HEAD') assert.equal(answer.body.length, 0, `${method} ${path}: no body`);
    }
  });

  it('tells a plain GET of /ws or /ingest to upgrade, with 426', async () => {
    for (const path of ['/ws', '/ingest']) {
      const answer = await raw('GET', path);
      assert.equal(answer.status, 426, `GET ${path}`);
      assert.equal(answer.headers.get('upgrade'), 'websocket', `GET ${path}: Upgrade`);
      const head = await raw('HEAD', path);
      assert.deepEqual([head.status, head.body.length], [426, 0], `HEAD ${path}`);
    }
  });
});

describe('history API validation', () => {
  async function refusal(path: string): Promise<string> {
    const response = await fetch(`${server.http}${path}`);
    assert.equal(response.status, 400, path);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'bad_request', path);
    return body.error.message;
  }

  it('refuses an alert type that is not an anomaly type, naming the parameter and the types', async () => {
    const message = await refusal('/api/alerts?type=NOPE');
    assert.match(message, /^type must be one of PRICE_SPIKE, VOLUME_SURGE, COMBINED_ANOMALY, SPREAD_WIDENING, HIGH_VOLATILITY/);
    assert.match(message, /NOPE/);
    assert.equal((await fetch(`${server.http}/api/alerts?type=PRICE_SPIKE`)).status, 200);
  });

  it('refuses a symbol outside the symbol rule on /api/alerts and /api/bars, without echoing all of it', async () => {
    const long = 'A'.repeat(65_000);
    for (const path of [`/api/alerts?symbol=${long}`, `/api/bars?symbol=${long}&interval=1m`, '/api/alerts?symbol=A%20B']) {
      const message = await refusal(path);
      assert.match(message, /^symbol must be 1-32 characters of A-Z a-z 0-9 \. _ : \/ -/, path);
      assert.ok(message.length < 200, `${path}: a message of ${message.length} characters`);
    }
    assert.equal((await fetch(`${server.http}/api/alerts?symbol=BRK.B`)).status, 200);
    assert.equal((await fetch(`${server.http}/api/bars?symbol=BRK.B&interval=1m`)).status, 200);
  });
});
