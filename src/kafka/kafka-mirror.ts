// The main thread's handle on the Kafka mirror thread: starts it, keeps its
// latest report for /metrics, stops it.

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromMirror, MirrorInit, MirrorReport, ToMirror } from './mirror-protocol';

const WORKER_FILE = join(__dirname, 'mirror-worker.js');

export class KafkaMirror {
  report: MirrorReport = { sent: 0, recovered: 0, dropped: 0, failures: 0, connected: false, depth: 0, lagMs: 0, lastError: '' };
  private readonly stopped: Promise<void>;
  /** Set from the first failed attempt until the next connection: one warning per outage, including one that starts at start-up. */
  private outage = false;

  private constructor(
    private readonly worker: Worker,
    private readonly onProblem: (message: string) => void,
  ) {
    this.stopped = new Promise((done) => {
      worker.on('message', (message: FromMirror) => {
        if (message.kind !== 'report') {
          done();
          return;
        }
        const failed = message.report.failures > this.report.failures;
        if (failed && !message.report.connected && !this.outage) {
          this.outage = true;
          this.onProblem(message.report.lastError);
        } else if (message.report.connected && (this.outage || !this.report.connected)) {
          this.outage = false;
          this.onProblem('');
        }
        this.report = message.report;
      });
      worker.once('exit', () => done());
    });
  }

  /**
   * Starts mirroring the outbox of the store at `dbPath`. The transactional id
   * is derived from the host and the store file, so a restarted engine fences
   * its own previous mirror and no other.
   */
  static start(
    dbPath: string,
    brokers: readonly string[],
    maxRows: number,
    topicPartitions: number,
    onProblem: (message: string) => void,
  ): KafkaMirror {
    const path = resolve(dbPath);
    const id = createHash('sha256').update(`${hostname()}\0${path}`).digest('hex').slice(0, 16);
    const init: MirrorInit = {
      dbPath: path,
      brokers,
      clientId: `tickflow-mirror-${id}`,
      transactionalId: `tickflow-mirror-${id}`,
      maxRows,
      topicPartitions,
    };
    return new KafkaMirror(new Worker(WORKER_FILE, { workerData: init, name: 'tickflow-kafka-mirror' }), onProblem);
  }

  async stop(): Promise<void> {
    const message: ToMirror = { kind: 'stop' };
    this.worker.postMessage(message);
    const timeout = setTimeout(() => void this.worker.terminate(), 15_000);
    await this.stopped;
    clearTimeout(timeout);
  }
}
