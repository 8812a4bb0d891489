// Serves the built dashboard (dashboard/dist: index.html and hashed files
// under assets/) at / on the server's one port. The files are read once at
// start-up and answered from memory: the page is small, and a desk reloading
// it must not touch the disk or the event loop's time budget for fan-out.
// When the dashboard was not built, / answers 503 with what to run.
//
// The page needs no token (it holds no data); the data it then asks /ws,
// /api and /metrics for is authorised as usual.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { packagePath } from '../../single-executable/layout';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { endWith, type Routes } from './routes';

/** dashboard/dist of this checkout, or the dashboard folder the single executable unpacked. */
export const DASHBOARD_DIST = packagePath('dashboard/dist', 'dashboard');

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
});

/**
 * The page may talk to its own origin only ('self' covers ws: and wss: to
 * it): a browser-enforced guarantee that it fetches nothing from the net.
 * Inline styles are allowed because the chart library sizes its canvases
 * with them.
 */
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tickflow: dashboard not built</title></head>
<body style="background:#05080d;color:#eef3fa;font:18px system-ui,sans-serif;padding:3rem">
<h1>The dashboard is not built</h1>
<p>the dashboard is not built; run npm run build:dashboard</p>
<p>Then restart <code>tickflow serve</code>: it reads the built files once, at start-up.</p>
<p>The WebSocket and HTTP endpoints (/ws, /ingest, /health, /metrics, /api/bars, /api/alerts) work without it.</p>
</body></html>
`;

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly cacheControl: string;
}

export interface StaticSummary {
  /** False when the folder or its index.html is missing: / answers 503. */
  readonly built: boolean;
  readonly files: number;
  readonly bytes: number;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
}

/** Every file under root by URL path (/index.html, /assets/app-XXXX.js), or null without an index.html. */
function load(root: string): Map<string, StaticFile> | null {
  const paths: string[] = [];
  try {
    walk(root, paths);
  } catch {
    return null;
  }
  const files = new Map<string, StaticFile>();
  for (const path of paths) {
    const url = `/${relative(root, path).split(sep).join('/')}`;
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    // Asset names carry a content hash (dashboard/build.mjs): they can be
    // cached for good. index.html names them, so it is always revalidated.
    const cacheControl = url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    files.set(url, { body: readFileSync(path), type, cacheControl });
  }
  return files.has('/index.html') ? files : null;
}

/** `head`: a HEAD request, answered with the headers alone. */
function send(res: HttpResponse, status: string, file: StaticFile, head: boolean): void {
  res.cork(() => {
    res
      .writeStatus(status)
      .writeHeader('Content-Type', file.type)
      .writeHeader('Cache-Control', file.cacheControl)
      .writeHeader('X-Content-Type-Options', 'nosniff')
      // A ?token= in the page URL must not leak through a Referer header.
      .writeHeader('Referrer-Policy', 'no-referrer');
    if (file.type.startsWith('text/html')) res.writeHeader('Content-Security-Policy', PAGE_POLICY);
    endWith(res, file.body, head);
  });
}

const NOT_FOUND: StaticFile = {
  body: Buffer.from('no such dashboard file\n'),
  type: 'text/plain; charset=utf-8',
  cacheControl: 'no-store',
};
const NOT_BUILT: StaticFile = { body: Buffer.from(NOT_BUILT_PAGE), type: 'text/html; charset=utf-8', cacheControl: 'no-store' };

/**
 * Registers / (and /index.html) and /assets/* (GET and HEAD). Must come
 * before the catch-all route, which would otherwise answer them with a 404.
 */
export function registerStatic(routes: Routes, root: string): StaticSummary {
  const files = load(root);
  if (files === null) {
    const notBuilt = (res: HttpResponse, _req: HttpRequest, head: boolean): void => send(res, '503 Service Unavailable', NOT_BUILT, head);
    routes.get('/', notBuilt);
    routes.get('/index.html', notBuilt);
    routes.get('/assets/*', notBuilt);
    return { built: false, files: 0, bytes: 0 };
  }
  const index = files.get('/index.html') as StaticFile;
  routes.get('/', (res, _req, head) => send(res, '200 OK', index, head));
  routes.get('/index.html', (res, _req, head) => send(res, '200 OK', index, head));
  routes.get('/assets/*', (res, req, head) => {
    const file = files.get(req.getUrl());
    if (file === undefined) send(res, '404 Not Found', NOT_FOUND, head);
    else send(res, '200 OK', file, head);
  });
  let bytes = 0;
  for (const file of files.values()) bytes += file.body.length;
  return { built: true, files: files.size, bytes };
}
