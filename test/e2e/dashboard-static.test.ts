// The built dashboard's files as the server serves them: index.html and
// assets from memory with their content types and caching, and a 503 that
// says what to run when it is not built. No browser is needed.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import uWS, { type us_listen_socket } from 'uWebSockets.js';
import { Routes } from '../../src/serve/http/routes';
import { registerStatic } from '../../src/serve/http/static-files';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-dashboard-static-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('serving the built dashboard', () => {
  /** An app with only the static routes over `root`, on a free port; returns its origin and a stop function. */
  async function serveStatic(root: string): Promise<{ origin: string; stop: () => void }> {
    const app = uWS.App();
    registerStatic(new Routes(app), root);
    const socket = await new Promise<us_listen_socket | false>((resolve) => app.listen('127.0.0.1', 0, resolve));
    assert.ok(socket !== false, 'listening');
    return { origin: `http://127.0.0.1:${uWS.us_socket_local_port(socket)}`, stop: () => uWS.us_listen_socket_close(socket) };
  }

  it('answers / with index.html and assets with their content types, from memory', async () => {
    const root = join(dir, 'static');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'assets', 'app-AB12.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets', 'style-CD34.css'), 'body{}');
    const { origin, stop } = await serveStatic(root);
    try {
      // Read once at start: a file changed later is not seen.
      writeFileSync(join(root, 'index.html'), 'changed');
      for (const [path, type, body] of [
        ['/', 'text/html; charset=utf-8', '<!doctype html><title>t</title>'],
        ['/assets/app-AB12.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
        ['/assets/style-CD34.css', 'text/css; charset=utf-8', 'body{}'],
      ]) {
        const response = await fetch(`${origin}${path ?? ''}`);
        assert.equal(response.status, 200, path);
        assert.equal(response.headers.get('content-type'), type, path);
        assert.equal(await response.text(), body, path);
      }
      const page = await fetch(`${origin}/`);
      assert.equal(page.headers.get('cache-control'), 'no-cache');
      assert.match(page.headers.get('content-security-policy') ?? '', /connect-src 'self'/);
      assert.match((await fetch(`${origin}/assets/app-AB12.js`)).headers.get('cache-control') ?? '', /immutable/);
      assert.equal((await fetch(`${origin}/assets/missing.js`)).status, 404);
    } finally {
      stop();
    }
  });

  it('answers 503 with what to run when the dashboard is not built', async () => {
    const { origin, stop } = await serveStatic(join(dir, 'no-such-folder'));
    try {
      const response = await fetch(`${origin}/`);
      assert.equal(response.status, 503);
      assert.match(await response.text(), /the dashboard is not built; run npm run build:dashboard/);
      assert.equal((await fetch(`${origin}/assets/app.js`)).status, 503);
    } finally {
      stop();
    }
  });
});
