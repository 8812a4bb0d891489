// The transport floor of the live benchmark: the same traffic through bare
// uWebSockets.js on one thread, and nothing else. No parse, no validation,
// no analytics, no rings: each line of an /ingest frame goes out verbatim
// as its own message on one topic that every /ws subscriber joins. Whatever
// latency this shows, on this machine under this load, no engine built on
// the same transport can go below; tickflow's numbers are read against it.
//
//   node dist/bench/floor/relay.js [--port 9003] [--host 127.0.0.1]
//
// The start-up contract of the baseline server, so the bench starts either
// the same way: {"listening":PORT} on stdout when ready (--port 0 takes any
// free port); SIGINT or SIGTERM stops it.
//
//   /ingest  NDJSON text frames ──▶ split on '\n' ──▶ app.publish(TOPIC, line)
//   /ws      {"op":"subscribe",...} ──▶ ws.subscribe(TOPIC), {"op":"subscribed"}

import uWS from 'uWebSockets.js';
import { listenArgs, runCommand, type ListenArgs } from '../baseline/command';

/** Every line goes to every subscriber, whatever channels it asked for. */
const TOPIC = 'ticks';
const NEWLINE = 0x0a;
const SUBSCRIBED = '{"op":"subscribed"}';

/** tickflow's own transport limit for /ingest at its default --max-frame-kib (1024): twice that. */
const MAX_INGEST_FRAME = 2 * 1024 * 1024;

function isSubscribe(message: ArrayBuffer): boolean {
  try {
    const value: unknown = JSON.parse(Buffer.from(message).toString('utf8'));
    return typeof value === 'object' && value !== null && (value as { op?: unknown }).op === 'subscribe';
  } catch {
    return false;
  }
}

async function main(args: ListenArgs): Promise<void> {
  const app = uWS.App();
  app.ws('/ingest', {
    maxPayloadLength: MAX_INGEST_FRAME,
    maxBackpressure: 4 * 1024 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    message: (_ws, message, isBinary) => {
      if (isBinary) return;
      // A view, not a copy: publish copies the bytes before the handler returns and uWS frees the frame.
      const bytes = new Uint8Array(message);
      let at = 0;
      while (at < bytes.length) {
        let end = bytes.indexOf(NEWLINE, at);
        if (end < 0) end = bytes.length;
        if (end > at) app.publish(TOPIC, bytes.subarray(at, end), false);
        at = end + 1;
      }
    },
  });
  app.ws('/ws', {
    maxPayloadLength: 64 * 1024,
    // Unbounded, as in tickflow's /ws (which bounds clients itself) and the
    // baseline's `ws`: over a uWS limit a slow subscriber would silently
    // miss lines, and the benchmark counts every one.
    maxBackpressure: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    message: (ws, message, isBinary) => {
      if (isBinary || !isSubscribe(message)) return;
      ws.subscribe(TOPIC);
      ws.send(SUBSCRIBED, false);
    },
  });

  const listenSocket = await new Promise<uWS.us_listen_socket | false>((resolve) => app.listen(args.host, args.port, resolve));
  if (listenSocket === false) throw new Error(`cannot listen on ${args.host}:${args.port} (in use, or not allowed)`);
  process.stdout.write(`${JSON.stringify({ listening: uWS.us_socket_local_port(listenSocket) })}\n`);

  const stop = (): void => {
    uWS.us_listen_socket_close(listenSocket);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

runCommand('floor relay', listenArgs('relay.js', 9003), main);
