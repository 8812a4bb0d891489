// The Kafka mirror's thread: drains the outbox with OutboxMirror and reports
// its numbers to the main thread twice a second.

import { parentPort, workerData } from 'node:worker_threads';
import { createKafkaPort } from './kafkajs-port';
import type { FromMirror, MirrorInit, ToMirror } from './mirror-protocol';
import { OutboxMirror } from './outbox-mirror';
import { OutboxTable } from './outbox-table';

const REPORT_MS = 500;

async function main(init: MirrorInit): Promise<void> {
  const port = createKafkaPort({
    brokers: init.brokers,
    clientId: init.clientId,
    connectionTimeoutMs: 2000,
    requestTimeoutMs: 10_000,
    retry: { retries: 2, initialRetryTimeMs: 200, maxRetryTimeMs: 2000 },
  });
  const outbox = new OutboxTable(init.dbPath);
  const mirror = new OutboxMirror(port, outbox, {
    transactionalId: init.transactionalId,
    batchRows: 2000,
    idleMs: 10,
    maxRows: init.maxRows,
    maxBackoffMs: 5000,
    topicPartitions: init.topicPartitions,
  });
  const report = (): void => {
    const s = mirror.stats;
    const message: FromMirror = {
      kind: 'report',
      report: {
        sent: s.sent,
        recovered: s.recovered,
        dropped: s.dropped,
        failures: s.failures,
        connected: s.connected,
        depth: s.depth,
        lagMs: s.lagMs,
        lastError: s.lastError,
      },
    };
    parentPort?.postMessage(message);
  };
  const timer = setInterval(report, REPORT_MS);
  parentPort?.on('message', (message: ToMirror) => {
    if (message.kind === 'stop') void mirror.stop();
  });
  await mirror.run();
  clearInterval(timer);
  report();
  outbox.close();
  await port.close().catch(() => undefined);
  const stopped: FromMirror = { kind: 'stopped' };
  parentPort?.postMessage(stopped);
}

void main(workerData as MirrorInit);
