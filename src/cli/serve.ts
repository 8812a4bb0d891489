// `tickflow serve` (also `npm start`): starts the server, says where to
// connect, and drains gracefully on SIGTERM or SIGINT (exit 0).

import { optionsFor, type Loaded } from '../config/load';
import { ConfigError } from '../errors';
import { createLogger } from '../log';
import { TickflowServer } from '../serve/server';

const SECRET_FLAGS = new Set(['token-file', 'tls-key']);

export async function runServe(loaded: Loaded, fallback: (line: string) => void): Promise<number> {
  const { config, positionals } = loaded;
  if (positionals.length > 0) {
    throw new ConfigError(`tickflow serve takes no arguments, got ${JSON.stringify(positionals[0])}; see tickflow serve --help`);
  }
  const format = config.logFormat === 'auto' ? (process.stderr.isTTY ? 'text' : 'json') : config.logFormat;
  const log = createLogger({ format, level: config.logLevel });
  const effective: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const [key, option] of optionsFor('serve')) {
    const raw = config[key];
    effective[option.flag] = SECRET_FLAGS.has(option.flag) && raw !== '' ? '(set)' : option.show(raw as never);
    const origin = loaded.origin[option.flag];
    if (origin !== undefined && origin !== 'default') from[option.flag] = origin;
  }
  // Where each non-default value came from (flag, env, file): a value nobody meant to set is found at a glance.
  log.info('configuration', { config: effective, from });
  const server = await TickflowServer.start(config, log);
  const { host, port, tls } = server.address;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host;
  const http = `${tls ? 'https' : 'http'}://${shown}:${port}`;
  const ws = `${tls ? 'wss' : 'ws'}://${shown}:${port}`;
  log.info(`listening on ${http}: subscribe at ${ws}/ws, publish at ${ws}/ingest, health at ${http}/health, metrics at ${http}/metrics`, {
    host,
    port,
    ws: `${ws}/ws`,
    ingest: `${ws}/ingest`,
    health: `${http}/health`,
    metrics: `${http}/metrics`,
    placement: server.placement.placement,
    partitions: server.placement.threads,
  });
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        fallback(`tickflow: ${signal} again, exiting without draining`);
        process.exit(1);
      }
      void server.shutdown(signal).then(
        () => resolve(0),
        (err: unknown) => {
          log.error('shutdown failed', { error: (err as Error).message });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // A failed partition worker drains the server itself: exit non-zero so a supervisor restarts it.
    void server.failed.then(() => resolve(1));
  });
}
