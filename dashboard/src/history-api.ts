// Final bars from the store over HTTP (`GET /api/bars`), for the chart's past:
// the channel snapshot gives only the latest bar.

import { fetchFrom, type Endpoints } from './endpoints';
import { isBar, type Bar } from './wire-types';

/** The server's default and the chart's depth: bars per history request. */
export const HISTORY_BARS = 1000;

export class HistoryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}

/** Bars of a symbol and interval with window_start >= from (all when from is null), oldest first. */
export async function fetchBars(
  endpoints: Endpoints,
  symbol: string,
  interval: string,
  from: number | null,
  signal?: AbortSignal,
): Promise<Bar[]> {
  const query = new URLSearchParams({ symbol, interval, limit: String(HISTORY_BARS) });
  if (from !== null) query.set('from', String(Math.max(0, Math.floor(from))));
  const response = await fetchFrom(endpoints, `/api/bars?${query.toString()}`, signal);
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : null;
    const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : '';
    throw new HistoryError(response.status, `/api/bars answered ${response.status}${message === '' ? '' : `: ${message}`}`);
  }
  const bars = typeof body === 'object' && body !== null && 'bars' in body ? body.bars : null;
  return Array.isArray(bars) ? bars.filter(isBar) : [];
}
