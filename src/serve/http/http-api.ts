// HTTP routes on the WebSocket port: /health, /metrics and the history API,
// /api/bars and /api/alerts, answered from the store off the event loop, and
// the admin's POST /api/watermarks/reset. Every GET route answers HEAD too;
// methods a path does not take get 405 (routes.ts).

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { ANOMALY_TYPES } from '../../records/records';
import { SYMBOL_PATTERN } from '../../records/tick-rules';
import { entitled, type Principal, type Role } from '../access/auth';
import { endWith, Routes } from './routes';
import { DASHBOARD_DIST, registerStatic } from './static-files';
import type { WatermarkResetReply } from './watermark-admin';

export interface HistoryStore {
  queryBars(q: { symbol: string; interval: string; from?: number; to?: number; limit?: number }): Promise<object[]>;
  queryAlerts(q: { symbol?: string; anomalyType?: string; from?: number; to?: number; limit?: number }): Promise<object[]>;
}

export interface HttpDeps {
  /** The principal of a request, or null when its token is missing or wrong. */
  readonly authenticate: (req: HttpRequest) => Principal | null;
  readonly health: () => { status: 'ok' | 'draining' } & Record<string, unknown>;
  readonly metrics: () => string;
  readonly store: HistoryStore | null;
  readonly intervals: readonly string[];
  /** Resets a symbol's watermark (null: no tick of it seen); `by` names the token. */
  readonly resetWatermark: (symbol: string, by: string) => Promise<WatermarkResetReply | null>;
}

const MAX_LIMIT = 10_000;

const SYMBOL_RULE = 'symbol must be 1-32 characters of A-Z a-z 0-9 . _ : / -';

/** `head`: a HEAD request, answered with the headers alone. */
function json(res: HttpResponse, status: string, body: unknown, head = false, extra: Readonly<Record<string, string>> = {}): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('Content-Type', 'application/json').writeHeader('Cache-Control', 'no-store');
    for (const [name, value] of Object.entries(extra)) res.writeHeader(name, value);
    endWith(res, JSON.stringify(body), head);
  });
}

function problem(res: HttpResponse, status: string, code: string, message: string, head = false): void {
  json(res, status, { error: { code, message } }, head);
}

/** A query value as an error message quotes it: at most 40 characters of it, and its length when cut. */
function quoted(value: string): string {
  return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}... (${value.length} characters)` : JSON.stringify(value);
}

/** An optional integer query parameter: undefined when absent, NaN when malformed. */
function intParam(req: HttpRequest, name: string): number | undefined {
  const raw = req.getQuery(name);
  if (raw === undefined || raw === '') return undefined;
  return /^-?\d+$/.test(raw) ? Number(raw) : NaN;
}

export function registerHttp(app: TemplatedApp, deps: HttpDeps): void {
  const routes = new Routes(app);
  const guard = (req: HttpRequest, res: HttpResponse, role: Role, head = false): Principal | null => {
    const principal = deps.authenticate(req);
    if (principal === null) {
      problem(res, '401 Unauthorized', 'unauthorized', 'a valid token is required (Authorization: Bearer <token> or ?token=)', head);
      return null;
    }
    if (!principal.roles.has(role)) {
      problem(res, '403 Forbidden', 'forbidden', `the token lacks the ${role} role`, head);
      return null;
    }
    return principal;
  };

  routes.get('/health', (res, _req, head) => {
    const health = deps.health();
    json(res, health.status === 'ok' ? '200 OK' : '503 Service Unavailable', health, head);
  });

  routes.get('/metrics', (res, req, head) => {
    if (guard(req, res, 'admin', head) === null) return;
    const body = deps.metrics();
    res.cork(() => endWith(res.writeHeader('Content-Type', 'text/plain; version=0.0.4'), body, head));
  });

  const history =
    (kind: 'bars' | 'alerts') =>
    (res: HttpResponse, req: HttpRequest, head: boolean): void => {
      const bad = (message: string): void => problem(res, '400 Bad Request', 'bad_request', message, head);
      const principal = guard(req, res, 'subscribe', head);
      if (principal === null) return;
      const store = deps.store;
      if (store === null) {
        problem(res, '503 Service Unavailable', 'no_store', 'this server runs without a store', head);
        return;
      }
      const symbol = req.getQuery('symbol') ?? '';
      const interval = req.getQuery('interval') ?? '';
      const type = req.getQuery('type') ?? '';
      const from = intParam(req, 'from');
      const to = intParam(req, 'to');
      const limit = intParam(req, 'limit');
      for (const [name, value] of [
        ['from', from],
        ['to', to],
        ['limit', limit],
      ] as const) {
        if (Number.isNaN(value)) {
          bad(`${name} must be an integer (ms since the epoch for from and to)`);
          return;
        }
      }
      if (limit !== undefined && (limit < 1 || limit > MAX_LIMIT)) {
        bad(`limit must be from 1 to ${MAX_LIMIT}`);
        return;
      }
      if (kind === 'bars' && (symbol === '' || interval === '')) {
        bad(`symbol and interval are required; intervals are ${deps.intervals.join(', ')}`);
        return;
      }
      // A symbol outside the tick rule names nothing the store can hold; refused before it reaches a query.
      if (symbol !== '' && !SYMBOL_PATTERN.test(symbol)) {
        bad(`${SYMBOL_RULE}, got ${quoted(symbol)}`);
        return;
      }
      if (kind === 'bars' && !deps.intervals.includes(interval)) {
        bad(`interval must be one of ${deps.intervals.join(', ')}, got ${quoted(interval)}`);
        return;
      }
      if (kind === 'alerts' && type !== '' && !(ANOMALY_TYPES as readonly string[]).includes(type)) {
        bad(`type must be one of ${ANOMALY_TYPES.join(', ')}, got ${quoted(type)}`);
        return;
      }
      if (symbol === '' && principal.symbols !== null) {
        bad('symbol is required for a token restricted to some symbols');
        return;
      }
      if (symbol !== '' && !entitled(principal, symbol)) {
        problem(res, '403 Forbidden', 'forbidden', `not entitled to ${symbol}`, head);
        return;
      }
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const range = {
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(limit === undefined ? {} : { limit }),
      };
      const query =
        kind === 'bars'
          ? store.queryBars({ symbol, interval, ...range })
          : store.queryAlerts({ ...(symbol === '' ? {} : { symbol }), ...(type === '' ? {} : { anomalyType: type }), ...range });
      query.then(
        (rows) => {
          if (!aborted) json(res, '200 OK', { [kind]: rows }, head);
        },
        (err: unknown) => {
          if (!aborted) problem(res, '500 Internal Server Error', 'store_error', (err as Error).message, head);
        },
      );
    };
  routes.get('/api/bars', history('bars'));
  routes.get('/api/alerts', history('alerts'));

  routes.post('/api/watermarks/reset', (res, req) => {
    const principal = guard(req, res, 'admin');
    if (principal === null) return;
    const symbol = req.getQuery('symbol') ?? '';
    if (!SYMBOL_PATTERN.test(symbol)) {
      problem(res, '400 Bad Request', 'bad_request', SYMBOL_RULE);
      return;
    }
    if (!entitled(principal, symbol)) {
      problem(res, '403 Forbidden', 'forbidden', `not entitled to ${symbol}`);
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    deps.resetWatermark(symbol, principal.name).then(
      (reply) => {
        if (aborted) return;
        if (reply === null) problem(res, '404 Not Found', 'unknown_symbol', `no tick of ${symbol} has been seen since the server started`);
        else json(res, '200 OK', reply);
      },
      (err: unknown) => {
        if (!aborted) problem(res, '500 Internal Server Error', 'engine_error', (err as Error).message);
      },
    );
  });

  registerStatic(routes, DASHBOARD_DIST);

  // uWS's ws() routes take the upgrades of these paths and pass any other GET on.
  for (const path of ['/ws', '/ingest']) {
    routes.upgrade(path, (res, _req, head) => {
      res.cork(() => {
        res.writeStatus('426 Upgrade Required').writeHeader('Upgrade', 'websocket').writeHeader('Content-Type', 'text/plain');
        endWith(res, `${path} is a WebSocket endpoint: connect with a WebSocket client (ws:// or wss://)\n`, head);
      });
    });
  }

  routes.otherwise(
    (res, req, allow, head) => {
      const message = `${req.getCaseSensitiveMethod()} is not allowed on this path; it takes ${allow}`;
      json(res, '405 Method Not Allowed', { error: { code: 'method_not_allowed', message } }, head, { Allow: allow });
    },
    (res, _req, head) =>
      problem(
        res,
        '404 Not Found',
        'not_found',
        'routes: / (dashboard), /ws, /ingest, /health, /metrics, /api/bars, /api/alerts, POST /api/watermarks/reset',
        head,
      ),
  );
}
