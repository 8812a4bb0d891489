// Where the page talks to: always the origin that served it, so the same
// bundle works behind http and https (ws and wss) on any host and port. A
// `?token=` in the page's URL (servers started with --token-file) is passed on
// to every endpoint: as `?token=` to /ws, because browsers cannot set headers
// on a WebSocket, and as a bearer header to HTTP, which keeps it out of the
// server's request lines.

export interface Endpoints {
  /** ws(s)://host/ws, with the token when there is one. */
  readonly ws: string;
  /** The origin for HTTP paths such as /metrics and /api/bars. */
  readonly http: string;
  readonly token: string | null;
}

export function endpointsOf(location: Location): Endpoints {
  const params = new URLSearchParams(location.search);
  const raw = params.get('token');
  const token = raw === null || raw === '' ? null : raw;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = `${scheme}//${location.host}/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
  return { ws, http: location.origin, token };
}

/** GET an HTTP path of the server with the page's token. */
export function fetchFrom(endpoints: Endpoints, path: string, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {};
  if (endpoints.token !== null) headers.Authorization = `Bearer ${endpoints.token}`;
  return fetch(`${endpoints.http}${path}`, { headers, cache: 'no-store', ...(signal === undefined ? {} : { signal }) });
}
