// The HTTP side of `tickflow serve` against a real server: the history
// API's refusal of parameters it cannot honour.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
