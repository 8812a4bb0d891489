// The flooder of the flood scenario, in a thread of its own so that its work
// never delays the measuring thread's event loop: one publisher on /ingest
// sending frames of `ticksPerFrame` trades of one symbol as fast as the
// server's flow control lets it, and one subscriber on that symbol's trades
// that counts what it gets (frame headers only, nothing parsed), to confirm
// that every tick sent was delivered.
//
// It keeps to what docs/protocol.md asks of a publisher:
//
//   frame 0, ping 0 | frame 1, ping 1, wait pong 0 | frame 2, ping 2, wait pong 1 | ...
//
// A pong comes once every tick before its ping was taken, so at most two
// frames are ever unanswered; and after {"op":"slow_down"} nothing is sent
// until {"op":"go_ahead"}.
//
// Thread protocol: workerData is a FloodInit; posts {ready} once both
// sockets are open and subscribed; waits for {go}; floods; posts its report.

import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { asciiFrame, FrameReader, OPCODE_CLOSE, OPCODE_TEXT, upgrade } from '../load/raw-websocket';

export interface FloodInit {
  /** The engine's base URL, ws://host:port. */
  readonly url: string;
  readonly symbol: string;
  readonly frames: number;
  readonly ticksPerFrame: number;
}

export interface FloodReport {
  readonly sent: number;
  /** Trades of the flood symbol delivered to the flooder's subscriber. */
  readonly delivered: number;
  /** From the first frame handed to the socket to the last trade delivered. */
  readonly seconds: number;
  readonly slowDowns: number;
  readonly goAheads: number;
  /** The close code the server ended the publisher with (4009: it did not slow down), or null. */
  readonly closeCode: number | null;
  /** Error frames (dead-lettered ticks), none expected, and the first of them. */
  readonly errors: number;
  readonly firstError: string;
}

export type ToFlooder = { readonly type: 'go' };
export type FromFlooder =
  { readonly type: 'ready'; readonly frameBytes: number } | { readonly type: 'report'; readonly report: FloodReport };

/** The longest the flooder waits for a pong or go_ahead before it gives up on the server. */
const ANSWER_TIMEOUT_MS = 60_000;
/** After the last pong, the flood counts as delivered once every trade came, or nothing came for this long. */
const STALL_MS = 5000;
/**
 * Ten prices within 1 %, so that consecutive trades differ without setting
 * off price alerts; the rest of a line is the same for every trade of a frame.
 */
const TAILS = Array.from({ length: 10 }, (_, k) => `"price":100.${k},"volume":100}`);

const init = workerData as FloodInit;
const post = (message: FromFlooder): void => parentPort?.postMessage(message);

/** One frame's NDJSON: every trade stamped with the clock when the frame is built, so none is late or in the future. */
function frameText(): string {
  const head = `{"symbol":"${init.symbol}","event_type":"TRADE","timestamp":${Date.now()},`;
  let text = '';
  for (let k = 0; k < init.ticksPerFrame; k++) text += `${k === 0 ? '' : '\n'}${head}${TAILS[k % TAILS.length] as string}`;
  return text;
}

async function run(): Promise<void> {
  let wake: (() => void) | null = null;
  /** Resolves once `ready()` holds, checked whenever a socket brings news. */
  const until = (ready: () => boolean, what: string): Promise<void> => {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the flooder waited ${ANSWER_TIMEOUT_MS / 1000} s for ${what}`)), ANSWER_TIMEOUT_MS);
      wake = () => {
        if (!ready()) return;
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
  };

  let textFrames = 0;
  let lastArrival = 0n;
  const subscriberFrames = new FrameReader((opcode) => {
    if (opcode === OPCODE_TEXT) textFrames++;
  });
  const subscriber = await upgrade(new URL('/ws', init.url), (chunk) => {
    lastArrival = process.hrtime.bigint();
    subscriberFrames.feed(chunk);
    wake?.();
  });
  subscriber.write(asciiFrame(JSON.stringify({ op: 'subscribe', channels: [`trades.${init.symbol}`] })));
  // The symbol has no trade yet, so the subscribe reply is the only frame before the flood's.
  await until(() => textFrames >= 1, 'the subscribe reply');
  const delivered = (): number => textFrames - 1;

  let held = false;
  let slowDowns = 0;
  let goAheads = 0;
  let lastPong = -1;
  let closeCode: number | null = null;
  let errors = 0;
  let firstError = '';
  const publisherFrames = new FrameReader((opcode, bytes, start, end) => {
    if (opcode === OPCODE_CLOSE) {
      closeCode = end - start >= 2 ? bytes.readUInt16BE(start) : 1005;
      return;
    }
    if (opcode !== OPCODE_TEXT) return;
    // Control frames are a few per flood frame at most: parsing them costs nothing next to the flood.
    const reply = JSON.parse(bytes.toString('utf8', start, end)) as { op?: string; id?: number };
    if (reply.op === 'slow_down') {
      held = true;
      slowDowns++;
    } else if (reply.op === 'go_ahead') {
      held = false;
      goAheads++;
    } else if (reply.op === 'pong' && typeof reply.id === 'number') {
      lastPong = reply.id;
    } else if (errors++ === 0) {
      firstError = bytes.toString('utf8', start, Math.min(end, start + 300));
    }
  });
  const publisher: Socket = await upgrade(new URL('/ingest', init.url), (chunk) => {
    publisherFrames.feed(chunk);
    wake?.();
  });
  publisher.on('close', () => {
    closeCode ??= 1006;
    wake?.();
  });

  post({ type: 'ready', frameBytes: Buffer.byteLength(frameText()) });
  await new Promise<void>((resolve) => parentPort?.once('message', () => resolve()));

  let sent = 0;
  const first = process.hrtime.bigint();
  for (let f = 0; f < init.frames && closeCode === null; f++) {
    await until(() => !held || closeCode !== null, 'go_ahead');
    if (closeCode !== null) break;
    // No wait for 'drain': the pong wait below bounds what the socket holds to two frames.
    publisher.write(asciiFrame(frameText()));
    publisher.write(asciiFrame(`{"op":"ping","id":${f}}`));
    sent += init.ticksPerFrame;
    await until(() => lastPong >= f - 1 || closeCode !== null, `the pong of frame ${f - 1}`);
  }
  await until(() => lastPong >= init.frames - 1 || closeCode !== null, 'the last pong');
  // A close (4009) may leave trades that were never read: what did come is counted, not waited for in vain.
  for (let seen = -1, since = Date.now(); delivered() < sent && Date.now() - since < STALL_MS;) {
    if (delivered() !== seen) {
      seen = delivered();
      since = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const report: FloodReport = {
    sent,
    delivered: delivered(),
    seconds: Number(lastArrival - first) / 1e9,
    slowDowns,
    goAheads,
    closeCode,
    errors,
    firstError,
  };
  subscriber.destroy();
  publisher.destroy();
  post({ type: 'report', report });
}

run().catch((err: unknown) => {
  // Rethrown outside the promise, so that the parent's 'error' event gets it.
  setImmediate(() => {
    throw err;
  });
});
