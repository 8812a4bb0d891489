// Which methods each path of the server's port answers, kept in one table:
// a GET route answers HEAD the same way without a body, another method on a
// known path gets 405 with an Allow header naming the methods it takes, and
// only a path nobody serves gets 404. uWebSockets.js routes by method and
// path and knows none of this, so every route is registered through here.

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';

/** A GET route; `head` is true when it answers a HEAD request and must send no body. */
export type GetHandler = (res: HttpResponse, req: HttpRequest, head: boolean) => void;
export type Handler = (res: HttpResponse, req: HttpRequest) => void;

/**
 * Ends a response with `body`, or for HEAD with only the Content-Length GET
 * would have sent. (uWS 20.30's endWithoutBody(length) leaves the response
 * open, so the header is written by hand.)
 */
export function endWith(res: HttpResponse, body: string | Uint8Array, head: boolean): void {
  if (!head) {
    res.end(body);
    return;
  }
  res.writeHeader('Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)).endWithoutBody();
}

export class Routes {
  /** Allow header value by exact path, and by prefix for patterns ending in /*. */
  private readonly exact = new Map<string, string>();
  private readonly prefixes: Array<readonly [string, string]> = [];

  constructor(private readonly app: TemplatedApp) {}

  /** GET and HEAD on `pattern`. */
  get(pattern: string, handler: GetHandler): this {
    this.app.get(pattern, (res, req) => handler(res, req, false));
    this.app.head(pattern, (res, req) => handler(res, req, true));
    return this.allow(pattern, 'GET, HEAD');
  }

  post(pattern: string, handler: Handler): this {
    this.app.post(pattern, handler);
    return this.allow(pattern, 'POST');
  }

  /**
   * A WebSocket path: uWS's ws() route takes the upgrades and passes on
   * any other GET, which is told to upgrade (426).
   */
  upgrade(pattern: string, answer: GetHandler): this {
    this.app.get(pattern, (res, req) => answer(res, req, false));
    this.app.head(pattern, (res, req) => answer(res, req, true));
    return this.allow(pattern, 'GET');
  }

  /** The Allow header of a path served here, or null for a path nobody serves. */
  allowed(path: string): string | null {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    for (const [prefix, allow] of this.prefixes) if (path.startsWith(prefix)) return allow;
    return null;
  }

  /**
   * The catch-all, registered last: 405 for a known path (`refuse` gets its
   * Allow header), `notFound` for the rest. `head` is true for HEAD requests.
   */
  otherwise(refuse: (res: HttpResponse, req: HttpRequest, allow: string, head: boolean) => void, notFound: GetHandler): void {
    this.app.any('/*', (res, req) => {
      const head = req.getMethod() === 'head';
      const allow = this.allowed(req.getUrl());
      if (allow === null) notFound(res, req, head);
      else refuse(res, req, allow, head);
    });
  }

  private allow(pattern: string, methods: string): this {
    if (pattern.endsWith('/*')) {
      this.prefixes.push([pattern.slice(0, -1), methods]);
    } else {
      const before = this.exact.get(pattern);
      this.exact.set(pattern, before === undefined ? methods : `${before}, ${methods}`);
    }
    return this;
  }
}
