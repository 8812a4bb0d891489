// The live scenario's load generator: one light process with one publisher
// connection on /ingest and one subscriber on trades.*, both raw sockets
// (raw-websocket.ts), so that the load takes as little as it can of the
// cores the engine shares with it, and says how much it took.
//
// Open loop: tick i is due at start + i / rate (hrtime) and its seq is i; at
// each wake-up of the clock (probe-clock.ts) every tick due goes out, several
// lines to a frame when more than one is due. Only trades, round-robin over
// the symbols, so every tick sent is delivered exactly once on trades.*.
// For each tick delivered it records, in HDR histograms (ns):
//
//   from due   arrival − due time: the headline; a stalled server is charged
//              for every tick it held up, and so is a late probe
//   from send  arrival − when its frame was handed to the socket: the same
//              without the probe's own lateness
//   lateness   send − due, per tick sent: how far the probe itself ran late
//
// Ticks due in the first warmupSeconds are delivered and counted, not timed.
//
// Parent protocol (IPC): receives a ProbePlan; connects and subscribes;
// sends {ready}; receives {go}; runs; sends a ProbeReport (or {error}).

import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { encodeHistogram, initHdr, newHistogram } from '../hdr';
import { ProbeClock } from './probe-clock';
import { asciiFrame, clientFrame, FrameReader, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT, upgrade } from './raw-websocket';
import { seqOf, symbolName, tradeLine, tradePrefixes } from './ticks';

export interface ProbePlan {
  /** The engine's base URL, ws://host:port; the probe opens /ingest and /ws on it. */
  readonly url: string;
  /** Ticks/s offered. */
  readonly rate: number;
  readonly seconds: number;
  readonly symbols: number;
  readonly warmupSeconds: number;
  /**
   * Where to write each timed tick's due time (ms since the epoch) and its
   * latency from due (ns), as pairs of little-endian doubles, for lining
   * them up with what the engine did meanwhile (the checkpoints scenario).
   */
  readonly samplesFile?: string;
  /**
   * Subscribe to its own symbols' trades only, rather than `trades.*`: for
   * an engine that also plays other trades (the checkpoints scenario), whose
   * seqs would pass for the probe's.
   */
  readonly ownChannels?: boolean;
}

export interface ProbeReady {
  readonly ready: true;
}

export interface ProbeGo {
  readonly go: true;
}

export interface ProbeReport {
  readonly sent: number;
  /** Distinct ticks delivered on trades.*. */
  readonly delivered: number;
  /** Deliveries of a tick already delivered (none expected). */
  readonly duplicates: number;
  /** Encoded histograms (ns) of the ticks timed: from due, from send, and the probe's lateness. */
  readonly fromDue: string;
  readonly fromSend: string;
  readonly lateness: string;
  /** The probe's CPU (every thread) from {go} to this report, percent of one core. */
  readonly cpuPercent: number;
  /** Wall time from {go} to this report. */
  readonly seconds: number;
  readonly wakes: number;
  readonly frames: number;
  /** Most bytes the publisher's socket held unsent after a write. */
  readonly maxBufferedBytes: number;
  /** Text frames the engine sent the publisher (errors: rejected ticks and the like), and the first of them. */
  readonly ingestReplies: number;
  readonly firstIngestReply: string;
  /** The timer slack the probe's clock ran with (probe-clock.ts), in ns. */
  readonly timerSlackNs: number;
}

/** Tick 0 is due this long after {go}: time for the clock to get its first message. */
const LEAD_NS = 20_000_000n;
/**
 * At most one wake-up per 100 µs, on a grid from tick 0: up to 10k ticks/s
 * each tick goes out on its own, above that they go out in batches and the
 * probe's lateness grows to about half of this. Each wake-up costs the
 * probe tens of microseconds of CPU, mostly system calls (the clock's
 * futexes, a write, a read): at 100k ticks/s against the floor, a 50 µs
 * grid took 88 % of a core, 100 µs 51-72 % (4 s runs, 2-core bench machine).
 */
const MIN_WAKE_GAP_NS = 100_000;
/** Under tickflow's default /ingest frame limit (1 MiB) even when far behind. */
const MAX_LINES_PER_FRAME = 2048;
/** After the last tick is sent, how long to wait for the rest to arrive. */
const DRAIN_MS = 2000;
const SUBSCRIBED = Buffer.from('"op":"subscribed"', 'latin1');

async function run(plan: ProbePlan): Promise<void> {
  await initHdr();
  const total = Math.round(plan.rate * plan.seconds);
  const intervalNs = 1e9 / plan.rate;
  const warmupNs = plan.warmupSeconds * 1e9;
  const prefixes = tradePrefixes(plan.symbols);
  const eventStart = Date.now() - 60_000;
  const fromDue = newHistogram();
  const fromSend = newHistogram();
  const lateness = newHistogram();
  // Per seq, preallocated: when its frame was handed to the socket (ns since start), and whether it came back.
  const sentAt = new Float64Array(total);
  const seen = new Uint8Array(total);
  const arrivedAt = plan.samplesFile === undefined ? null : new Float64Array(total);
  let start = 0n;
  let startEpochMs = 0;
  let arrivedNs = 0;
  let delivered = 0;
  let duplicates = 0;
  let ingestReplies = 0;
  let firstIngestReply = '';

  const pong = (socket: Socket, bytes: Buffer, s: number, e: number): void => {
    socket.write(clientFrame(Buffer.from(bytes.subarray(s, e)), undefined, OPCODE_PONG));
  };

  let onSubscribed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => {
    onSubscribed = resolve;
  });
  let isSubscribed = false;
  let subscriber: Socket | null = null;
  const subscriberFrames = new FrameReader((opcode, bytes, s, e) => {
    if (opcode === OPCODE_PING && subscriber !== null) pong(subscriber, bytes, s, e);
    if (opcode !== OPCODE_TEXT) return;
    if (!isSubscribed) {
      // tickflow sends each matching channel's last message before the reply: not part of the run.
      const at = bytes.indexOf(SUBSCRIBED, s);
      if (at >= 0 && at < e) {
        isSubscribed = true;
        onSubscribed();
      }
      return;
    }
    const seq = seqOf(bytes, s, e);
    if (seq < 0 || seq >= total) return;
    if (seen[seq] === 1) {
      duplicates++;
      return;
    }
    seen[seq] = 1;
    delivered++;
    const due = seq * intervalNs;
    if (due < warmupNs) return;
    fromDue.recordValue(Math.max(1, arrivedNs - due));
    if (arrivedAt !== null) arrivedAt[seq] = arrivedNs;
    fromSend.recordValue(Math.max(1, arrivedNs - (sentAt[seq] as number)));
  });
  subscriber = await upgrade(new URL('/ws', plan.url), (chunk) => {
    // One reading per chunk: its frames arrived together.
    arrivedNs = Number(process.hrtime.bigint() - start);
    subscriberFrames.feed(chunk);
  });
  const channels = plan.ownChannels === true ? Array.from({ length: plan.symbols }, (_, i) => `trades.${symbolName(i)}`) : ['trades.*'];
  subscriber.write(clientFrame(JSON.stringify({ op: 'subscribe', channels })));
  await subscribed;

  let publisher: Socket | null = null;
  const publisherFrames = new FrameReader((opcode, bytes, s, e) => {
    if (opcode === OPCODE_PING && publisher !== null) pong(publisher, bytes, s, e);
    if (opcode !== OPCODE_TEXT && opcode !== OPCODE_CLOSE) return;
    if (ingestReplies++ > 0) return;
    firstIngestReply =
      opcode === OPCODE_TEXT
        ? bytes.subarray(s, Math.min(e, s + 300)).toString('utf8')
        : `closed ${e - s >= 2 ? bytes.readUInt16BE(s) : ''} ${bytes.subarray(s + 2, e).toString('utf8')}`.trim();
  });
  publisher = await upgrade(new URL('/ingest', plan.url), (chunk) => publisherFrames.feed(chunk));
  const pub: Socket = publisher;
  const clock = await ProbeClock.create();

  let next = 0;
  let frames = 0;
  let maxBufferedBytes = 0;
  let lastSentNs = 0;
  /** Sends every tick due; the clock only wakes the loop when at least one is. */
  const pump = (): void => {
    const elapsed = Number(process.hrtime.bigint() - start);
    const first = next;
    const batch: Buffer[] = [];
    let lines = '';
    let inFrame = 0;
    for (; next < total && next * intervalNs <= elapsed; next++) {
      lines += `${tradeLine(next, plan.rate, eventStart, prefixes)}\n`;
      if (++inFrame === MAX_LINES_PER_FRAME) {
        batch.push(asciiFrame(lines));
        lines = '';
        inFrame = 0;
      }
    }
    if (inFrame > 0) batch.push(asciiFrame(lines));
    if (batch.length === 0) return;
    const now = Number(process.hrtime.bigint() - start);
    pub.cork();
    for (const frame of batch) pub.write(frame);
    pub.uncork();
    frames += batch.length;
    lastSentNs = now;
    maxBufferedBytes = Math.max(maxBufferedBytes, pub.writableLength);
    for (let i = first; i < next; i++) {
      sentAt[i] = now;
      const due = i * intervalNs;
      if (due >= warmupNs) lateness.recordValue(Math.max(0, now - due));
    }
    clock.sent(next);
  };

  process.send?.({ ready: true } satisfies ProbeReady);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  start = wallBefore + LEAD_NS;
  startEpochMs = Date.now() + Number(LEAD_NS) / 1e6;
  clock.begin({ start: String(start), intervalNs, total, minGapNs: MIN_WAKE_GAP_NS });
  while (next < total) {
    await clock.wake();
    pump();
  }
  const drainEnd = lastSentNs + DRAIN_MS * 1e6;
  while (delivered < total && Number(process.hrtime.bigint() - start) < drainEnd) await new Promise((resolve) => setTimeout(resolve, 10));
  const cpu = process.cpuUsage(cpuBefore);
  const wallNs = Number(process.hrtime.bigint() - wallBefore);
  await clock.stop();
  subscriber.destroy();
  pub.destroy();
  if (arrivedAt !== null && plan.samplesFile !== undefined)
    writeSamples(plan.samplesFile, arrivedAt, seen, intervalNs, warmupNs, startEpochMs);

  const report: ProbeReport = {
    sent: next,
    delivered,
    duplicates,
    fromDue: encodeHistogram(fromDue),
    fromSend: encodeHistogram(fromSend),
    lateness: encodeHistogram(lateness),
    cpuPercent: (((cpu.user + cpu.system) * 1e3) / wallNs) * 100,
    seconds: wallNs / 1e9,
    wakes: clock.wakes,
    frames,
    maxBufferedBytes,
    ingestReplies,
    firstIngestReply,
    timerSlackNs: ProbeClock.timerSlackNs(),
  };
  process.send?.(report, () => process.exit(0));
}

/** The timed ticks' (due time in ms since the epoch, latency from due in ns), in seq order. */
function writeSamples(
  path: string,
  arrivedAt: Float64Array,
  seen: Uint8Array,
  intervalNs: number,
  warmupNs: number,
  startEpochMs: number,
): void {
  const pairs: number[] = [];
  for (let seq = 0; seq < arrivedAt.length; seq++) {
    const due = seq * intervalNs;
    if (seen[seq] !== 1 || due < warmupNs) continue;
    pairs.push(startEpochMs + due / 1e6, Math.max(1, (arrivedAt[seq] as number) - due));
  }
  writeFileSync(path, new Uint8Array(Float64Array.from(pairs).buffer));
}

process.once('message', (plan: ProbePlan) => {
  run(plan).catch((err: unknown) => {
    process.send?.({ error: (err as Error).message }, () => process.exit(1));
  });
});
process.on('disconnect', () => process.exit(0));
