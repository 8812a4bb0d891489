// `tickflow replay FILE|-`: the engine over a file, as fast as it goes. The
// main thread reads and validates input, hands ticks to the engine, and turns
// its results into NDJSON (or FlatBuffers frames, --out-format fb), all
// without returning to the event loop except between input chunks. With
// workers, parsing and analytics overlap on two cores or more; inline
// (--partitions 0) they take turns on one.

import { analyticsConfig } from '../analytics/analytics-config';
import type { Loaded } from '../config/load';
import { ringKibFor } from '../config/options';
import { ConfigError, InputError } from '../errors';
import type { DecodedSink } from '../ingest/decoded-sink';
import type { Rejection } from '../records/rejection';
import type { ValidTick } from '../ingest/tick-validator';
import { Engine } from '../partition/engine';
import { partitionsFor } from '../partition/placement';
import type { PartitionCounts, ResultVisitor } from '../partition/result-drain';
import { Msg } from '../partition/protocol';
import { statsFrame, writeFrame } from '../records/fb-output';
import { RecordJson, rejectionJson } from '../records/record-json';
import type { StatsRecord } from '../records/records';
import { createDecoder, formatFromName, sniffFormat, type InputFormat } from '../ingest/input-format';
import { SyncWriter, closeFd, openInput, openOutput, readChunk } from './sync-io';

const CHUNK_BYTES = 1 << 20;
/**
 * Ticks dispatched between drains of the out-rings while a chunk is decoded.
 * Drained only between chunks, a worker with many results (1 s bars over 100
 * symbols) filled its out-ring and stopped, and both threads took turns
 * waiting for each other (docs/benchmarks.md, "Replay output").
 */
const DRAIN_EVERY = 256;

export interface ReplayResult {
  readonly stats: StatsRecord;
  readonly warnings: readonly string[];
}

class Totals {
  rejected = 0;
  accepted = 0;
  duplicate = 0;
  late = 0;
  bars = 0;
  indicators = 0;
  alerts = 0;
  corrections = 0;
  revisions = 0;
  reports = 0;
}

export async function runReplay(loaded: Loaded, log: (line: string) => void): Promise<ReplayResult> {
  const { config, positionals } = loaded;
  if (positionals.length !== 1) {
    throw new ConfigError(
      `tickflow replay takes one input (a file, or - for standard input), got ${positionals.length}; see tickflow replay --help`,
    );
  }
  const input = positionals[0] as string;
  const analytics = analyticsConfig(config, false);

  let inFd: number;
  try {
    inFd = openInput(input);
  } catch (err) {
    throw new InputError(`cannot open input ${JSON.stringify(input)}: ${(err as Error).message}`);
  }
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let length = readChunk(inFd, chunk);
  const format: InputFormat = config.format === 'auto' ? (formatFromName(input) ?? sniffFormat(chunk.subarray(0, length))) : config.format;

  const out = new SyncWriter(openOutput(config.out));
  const deadLetters = config.deadLetter === '' ? null : new SyncWriter(openOutput(config.deadLetter));
  const totals = new Totals();
  /** A JSON writer per out-ring, indexed by partition (set once the engine exists). */
  let json: RecordJson[] = [];
  const fb = config.outFormat === 'fb';
  const visitor: ResultVisitor = {
    record(type: number, partition: number, bytes: Uint8Array, offset: number, size: number): void {
      const records = json[partition] as RecordJson;
      if (type === Msg.DEAD_LETTER) {
        deadLetters?.line(records.deadLetterAt(offset));
        return;
      }
      const kind = type === Msg.BAR ? 'bar' : type === Msg.INDICATOR ? 'indicator' : type === Msg.ALERT ? 'alert' : null;
      if (kind === null) return;
      if (fb) {
        writeFrame(out.text, kind, bytes, offset, size);
        out.endRecord();
        return;
      }
      if (kind === 'bar') records.writeBar(offset, out.text);
      else if (kind === 'indicator') records.writeIndicator(offset, out.text);
      else records.writeAlert(offset, out.text);
      out.endLine();
    },
    flushed(_partition: number, counts: PartitionCounts): void {
      totals.accepted += counts.accepted;
      totals.duplicate += counts.duplicate;
      totals.late += counts.late;
      totals.rejected += counts.rejected;
      totals.bars += counts.bars;
      totals.indicators += counts.indicators;
      totals.alerts += counts.alerts;
      totals.corrections += counts.corrections;
      totals.revisions += counts.revisions;
      totals.reports++;
    },
  };
  const engine = await Engine.start({
    partitions: partitionsFor('replay', config.partitions),
    pin: config.pin,
    ringBytes: ringKibFor('replay', config.ringKib) * 1024,
    analytics,
    results: 'caller',
    probes: false,
  });
  engine.deliverTo(visitor);
  const host = engine.partitions;
  json = host.outputs.map((ring) => new RecordJson(ring.bytes, false));
  for (const warning of host.warnings) log(`tickflow replay: warning: ${warning}`);

  let untilDrain = DRAIN_EVERY;
  const sink: DecodedSink = {
    tick(tick: ValidTick, line: number): void {
      engine.ingest(tick, line);
      if (--untilDrain === 0) {
        untilDrain = DRAIN_EVERY;
        engine.drainNow();
      }
    },
    reject(rejection: Rejection, line: number, raw: string | null, fields: Record<string, unknown> | null): void {
      totals.rejected++;
      deadLetters?.line(rejectionJson(rejection, line, raw, fields));
    },
  };

  const started = process.hrtime.bigint();
  try {
    const decoder = createDecoder(format, sink);
    while (length > 0) {
      decoder.push(chunk.subarray(0, length));
      engine.publish();
      engine.drainNow();
      // Let worker failures and signals surface between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (engine.failed !== undefined) throw engine.failed;
      length = readChunk(inFd, chunk);
    }
    decoder.end();
    // The end of the input: every open window becomes final, and each
    // partition reports its counters (visitor.flushed).
    void engine.requests.flush(null);
    let idle = 0;
    while (totals.reports < host.inputs.length) {
      if (engine.drainNow() > 0) continue;
      engine.waitForResults(idle, 100);
      if (++idle % 100 === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (engine.failed !== undefined) throw engine.failed;
    }
  } catch (err) {
    await engine.terminate();
    throw err;
  } finally {
    closeFd(inFd);
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

  const ticks = totals.accepted + totals.rejected + totals.duplicate + totals.late;
  const stats: StatsRecord = {
    type: 'stats',
    accepted: totals.accepted,
    rejected: totals.rejected,
    duplicate: totals.duplicate,
    late: totals.late,
    ticks,
    bars: totals.bars,
    indicators: totals.indicators,
    alerts: totals.alerts,
    corrections: totals.corrections,
    revisions: totals.revisions,
    partitions: host.threads,
    elapsed_ms: Math.round(elapsedMs * 1000) / 1000,
    ticks_per_second: elapsedMs > 0 ? Math.round((ticks / elapsedMs) * 1000) : 0,
    // resourceUsage reports kilobytes.
    max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (fb) out.bytes(statsFrame(stats));
  else out.line(JSON.stringify(stats));
  out.close();
  deadLetters?.close();
  await engine.stop();
  const dropped = totals.rejected + totals.duplicate + totals.late;
  if (deadLetters === null && dropped > 0) {
    log(
      `tickflow replay: ${dropped} ticks dead-lettered (rejected ${totals.rejected}, duplicate ${totals.duplicate}, ` +
        `late ${totals.late}); pass --dead-letter FILE to keep them`,
    );
  }
  return { stats, warnings: host.warnings };
}
