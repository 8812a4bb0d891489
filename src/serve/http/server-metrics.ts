// The /metrics families of a running server (SPEC §3): rates, rejects,
// duplicates and late ticks, ring occupancy, watermark lag, per-client queue
// depth and per-stage latency percentiles. Each reads counters that the
// components keep as plain fields.

import type { DeadLetterReason } from '../../records/rejection';
import { MetricsRegistry, type Sample } from './metrics-registry';
import { QUANTILES, STAGES, type StageLatency } from '../hub/stage-latency';
import type { ChannelHub } from '../hub/channel-hub';
import type { IngestEndpoint } from '../ws/ingest-endpoint';
import type { ClientStats } from '../ws/sockets';
import type { Engine } from '../../partition/engine';
import type { CheckpointStats } from '../../partition/checkpoint-stats';
import type { LiveCounts } from '../../kafka/live-feed';
import type { MirrorReport } from '../../kafka/mirror-protocol';
import type { RetentionCounts } from '../../store/store';
import type { RecordRouter } from '../hub/record-router';

export interface MetricsSources {
  readonly startedAt: number;
  readonly latenessMs: number;
  readonly pipeline: Engine;
  readonly router: RecordRouter;
  readonly hub: ChannelHub;
  readonly ingest: IngestEndpoint;
  readonly latency: StageLatency;
  readonly clients: ClientStats;
  readonly deadLetters: ReadonlyMap<DeadLetterReason, number>;
  readonly store: {
    stats(): { pendingWrites: number; committedBatches: number; failedBatches: number; retentionDeleted: RetentionCounts };
  } | null;
  readonly mirror: { report: MirrorReport } | null;
  readonly kafkaSource: { commits: number; failures: number; pauses: number; ownedPartitions: number; live: LiveCounts } | null;
  readonly watermarks: { requested: number; changed: number };
}

export function serverMetrics(s: MetricsSources): MetricsRegistry {
  const m = new MetricsRegistry();
  m.value('tickflow_uptime_seconds', 'Seconds since the server started.', 'gauge', () => (Date.now() - s.startedAt) / 1000);
  m.value(
    'tickflow_partitions',
    'Partition worker threads (0: the engine runs inline on the event-loop thread).',
    'gauge',
    () => s.pipeline.partitions.threads,
  );
  m.register({
    name: 'tickflow_engine_placement',
    help: 'Where the partition engines run: 1 for the placement in use (inline, or partitioned on worker threads).',
    type: 'gauge',
    samples: () => [[{ placement: s.pipeline.placement }, 1]],
  });
  m.value(
    'tickflow_ticks_received_total',
    'Ticks handed to the engine (from /ingest and the source), before de-duplication and lateness.',
    'counter',
    () => s.pipeline.dispatched,
  );
  m.value('tickflow_ingest_ticks_total', 'Ticks received on /ingest, valid or not.', 'counter', () => s.ingest.counters.ticks);
  m.value('tickflow_ticks_accepted_total', 'Ticks accepted by the engine.', 'counter', () => s.router.counters.ticks);
  m.register({
    name: 'tickflow_dead_letters_total',
    help: 'Ticks dead-lettered, by reason (validation rejects, duplicate, late, future).',
    type: 'counter',
    samples: () => [...s.deadLetters].map(([reason, n]): Sample => [{ reason }, n]),
  });
  m.value(
    'tickflow_corrections_total',
    'Ticks accepted as corrections: behind their watermark, within --allowed-lateness-ms.',
    'counter',
    () => s.router.counters.corrections,
  );
  m.register({
    name: 'tickflow_revisions_total',
    help: 'Final records emitted again by corrections (revision 1 and up), by kind.',
    type: 'counter',
    samples: () => [
      [{ kind: 'bar' }, s.router.counters.barRevisions],
      [{ kind: 'indicator' }, s.router.counters.indicatorRevisions],
    ],
  });
  m.register({
    name: 'tickflow_records_total',
    help: 'Records produced by the engine, by kind.',
    type: 'counter',
    samples: () => {
      const c = s.router.counters;
      return [
        [{ kind: 'bar' }, c.bars],
        [{ kind: 'forming_bar' }, c.formingBars],
        [{ kind: 'indicator' }, c.indicators],
        [{ kind: 'alert' }, c.alerts],
      ];
    },
  });
  m.value(
    'tickflow_messages_published_total',
    'Channel messages published (each serialised once, whatever the number of subscribers).',
    'counter',
    () => s.hub.published,
  );
  m.value('tickflow_channels', 'Channels that have carried a message.', 'gauge', () => s.hub.channelCount);
  m.register({
    name: 'tickflow_ring_occupancy_bytes',
    help: 'Bytes waiting in each ring buffer.',
    type: 'gauge',
    samples: () => {
      const { input, output, echo } = s.pipeline.ringOccupancy();
      return [
        ...input.map((bytes, p): Sample => [{ partition: String(p), ring: 'in' }, bytes]),
        ...output.map((bytes, p): Sample => [{ partition: String(p), ring: 'out' }, bytes]),
        ...echo.map((bytes, p): Sample => [{ partition: String(p), ring: 'echo' }, bytes]),
      ];
    },
  });
  m.value('tickflow_ring_capacity_bytes', 'Capacity of each ring buffer.', 'gauge', () => s.pipeline.partitions.inputs[0]?.capacity ?? 0);
  m.value(
    'tickflow_ingest_backpressure_waits_total',
    'Times the engine ran a full inline partition, or a source waited for a full worker ring, before taking a tick.',
    'counter',
    () => s.pipeline.blockedWaits,
  );
  m.value(
    'tickflow_watermark_lag_seconds',
    'Wall clock minus the watermark of the newest tick (newest event time - lateness).',
    'gauge',
    () => {
      const newest = s.router.counters.newestEventTime;
      return newest === 0 ? 0 : (Date.now() - (newest - s.latenessMs)) / 1000;
    },
  );
  m.register({
    name: 'tickflow_flushes_total',
    help: "Flushes on /ingest, by scope: a publisher's own symbols, or every symbol (admin).",
    type: 'counter',
    samples: () => [
      [{ scope: 'publisher' }, s.ingest.counters.publisherFlushes],
      [{ scope: 'all' }, s.ingest.counters.allFlushes],
    ],
  });
  m.register({
    name: 'tickflow_watermark_resets_total',
    help: 'Admin watermark resets of known symbols, by outcome: changed, or not ahead of the clock.',
    type: 'counter',
    samples: () => [
      [{ outcome: 'changed' }, s.watermarks.changed],
      [{ outcome: 'unchanged' }, s.watermarks.requested - s.watermarks.changed],
    ],
  });
  m.register({
    name: 'tickflow_subscribers',
    help: 'Open /ws connections, by frame format.',
    type: 'gauge',
    samples: () => [
      [{ format: 'json' }, s.clients.subscribers - s.clients.binarySubscribers],
      [{ format: 'flatbuffers' }, s.clients.binarySubscribers],
    ],
  });
  m.value('tickflow_publishers', 'Open /ingest connections.', 'gauge', () => s.ingest.openConnections);
  m.value(
    'tickflow_publishers_held',
    'Publishers whose ticks wait for a full partition now (told slow_down).',
    'gauge',
    () => s.ingest.heldConnections,
  );
  m.value(
    'tickflow_publisher_queue_bytes',
    'Bytes of /ingest frames waiting for a full partition, over every publisher.',
    'gauge',
    () => s.ingest.queuedBytes,
  );
  m.value(
    'tickflow_publisher_slow_downs_total',
    'Times a publisher was held by a full partition and told slow_down.',
    'counter',
    () => s.ingest.counters.slowDowns,
  );
  m.value(
    'tickflow_publisher_queue_closes_total',
    'Publishers closed with 4009: their frames waiting for a full partition passed --ingest-queue-kib.',
    'counter',
    () => s.ingest.counters.queueCloses,
  );
  m.value(
    'tickflow_dead_letters_unstored_total',
    'Dead letters of /ingest publishers counted but not stored or answered one by one (over --ingest-reject-limit a second).',
    'counter',
    () => s.ingest.counters.unstoredDeadLetters,
  );
  m.register({
    name: 'tickflow_client_queue_bytes',
    help: 'Unsent bytes queued for /ws clients: the largest and the total.',
    type: 'gauge',
    samples: () => [
      [{ stat: 'max' }, s.clients.maxQueueBytes],
      [{ stat: 'sum' }, s.clients.sumQueueBytes],
    ],
  });
  m.value(
    'tickflow_clients_conflated',
    'Clients over --slow-client-kib, receiving only the latest quote and forming bar per channel.',
    'gauge',
    () => s.clients.conflated,
  );
  m.value(
    'tickflow_slow_consumer_closes_total',
    'Clients closed with code 4008 for staying over --max-client-kib.',
    'counter',
    () => s.clients.slowCloses,
  );
  // Read when scraped, like every value here.
  const checkpoints = (): CheckpointStats => s.pipeline.requests.checkpointStats;
  m.histogram(
    'tickflow_checkpoint_bytes',
    "Bytes of each checkpoint of the engine state (every partition's part).",
    () => checkpoints().bytes,
  );
  m.histogram(
    'tickflow_checkpoint_duration_seconds',
    'Seconds from asking the partitions for a checkpoint to having every part.',
    () => checkpoints().seconds,
  );
  m.histogram(
    'tickflow_checkpoint_pause_seconds',
    "Per checkpoint, the longest any partition was held making its part: the engine's pause for it.",
    () => checkpoints().heldSeconds,
  );
  m.value(
    'tickflow_checkpoint_pause_max_seconds',
    'The longest pause of any checkpoint since start.',
    'gauge',
    () => checkpoints().heldSeconds.max,
  );
  m.value(
    'tickflow_checkpoint_deltas_total',
    'Checkpoints written as deltas on the one before (the rest are full).',
    'counter',
    () => checkpoints().deltas,
  );
  m.value(
    'tickflow_state_bytes',
    'Bytes of engine state at the latest checkpoint (a full checkpoint of it).',
    'gauge',
    () => checkpoints().lastBytes,
  );
  m.value('tickflow_state_bytes_per_symbol', 'Bytes of engine state per symbol at the latest checkpoint.', 'gauge', () =>
    checkpoints().lastSymbols === 0 ? 0 : checkpoints().lastBytes / checkpoints().lastSymbols,
  );
  m.histogram(
    'tickflow_restore_duration_seconds',
    'Seconds each restore of checkpoints took (at start, or when a Kafka input partition is taken over).',
    () => checkpoints().restoreSeconds,
  );
  m.register({
    name: 'tickflow_stage_latency_seconds',
    help:
      'Latency per pipeline stage over the last 10 s, from one tick in four: ring_in (dispatch to worker), engine, ' +
      'ring_out (worker to ingest thread), publish, tick_to_publish (end to end).',
    type: 'summary',
    samples: () => {
      const histograms = s.latency.snapshot();
      return STAGES.flatMap((stage, i) =>
        QUANTILES.map((q): Sample => [{ stage, quantile: String(q) }, s.latency.quantileSeconds(histograms, i, q)]),
      );
    },
  });
  if (s.store !== null) {
    const store = s.store;
    m.value('tickflow_store_pending_writes', 'Records waiting to be committed to SQLite.', 'gauge', () => store.stats().pendingWrites);
    m.value(
      'tickflow_store_failed_batches_total',
      'SQLite write batches that failed after a retry.',
      'counter',
      () => store.stats().failedBatches,
    );
    m.register({
      name: 'tickflow_retention_deleted_total',
      help: 'Records deleted by retention (stored longer ago than --retention), by table.',
      type: 'counter',
      samples: () => {
        const d = store.stats().retentionDeleted;
        return [
          [{ table: 'bars' }, d.bars],
          [{ table: 'indicators' }, d.indicators],
          [{ table: 'alerts' }, d.alerts],
          [{ table: 'dead_letters' }, d.deadLetters],
        ];
      },
    });
  }
  if (s.mirror !== null) {
    const mirror = s.mirror;
    m.value('tickflow_outbox_depth', 'Results waiting in the local outbox for Kafka.', 'gauge', () => mirror.report.depth);
    m.value(
      'tickflow_mirror_lag_seconds',
      'How long the oldest result in the outbox has waited for Kafka.',
      'gauge',
      () => mirror.report.lagMs / 1000,
    );
    m.value('tickflow_mirror_sent_total', 'Results committed to the Kafka topics by the mirror.', 'counter', () => mirror.report.sent);
    m.value(
      'tickflow_mirror_recovered_total',
      'Outbox rows found already in Kafka after a failure, and so not sent twice.',
      'counter',
      () => mirror.report.recovered,
    );
    m.value(
      'tickflow_mirror_dropped_total',
      'Results dropped at --outbox-max while Kafka was away.',
      'counter',
      () => mirror.report.dropped,
    );
    m.value('tickflow_mirror_failures_total', 'Failed attempts to reach Kafka.', 'counter', () => mirror.report.failures);
    m.value('tickflow_mirror_connected', '1 while the mirror reaches Kafka.', 'gauge', () => (mirror.report.connected ? 1 : 0));
  }
  if (s.kafkaSource !== null) {
    const k = s.kafkaSource;
    m.value(
      'tickflow_kafka_commits_total',
      'Transactions committed by the kafka source (results, checkpoint and offsets of one input partition).',
      'counter',
      () => k.commits,
    );
    m.value(
      'tickflow_kafka_transaction_failures_total',
      'Kafka source transactions that failed; the partition was restored from its checkpoint.',
      'counter',
      () => k.failures,
    );
    m.value(
      'tickflow_kafka_input_pauses_total',
      'Times an input partition was paused because the engine partition of its next tick was full (read again once it has room).',
      'counter',
      () => k.pauses,
    );
    m.value(
      'tickflow_kafka_partitions_owned',
      'Input partitions this engine owns in its consumer group.',
      'gauge',
      () => k.ownedPartitions,
    );
    m.value(
      'tickflow_live_sent_total',
      'Trades, quotes and forming bars of owned symbols written to the live topic for the other engines of the group.',
      'counter',
      () => k.live.sent,
    );
    m.value(
      'tickflow_live_received_total',
      "Trades, quotes and forming bars of other engines' symbols read from the live topic and published here.",
      'counter',
      () => k.live.received,
    );
    m.value(
      'tickflow_live_dropped_total',
      'Live records never sent: the oldest at a full queue, and every record of a failed send.',
      'counter',
      () => k.live.dropped,
    );
    m.value('tickflow_live_queue_depth', 'Live records waiting to be sent to Kafka.', 'gauge', () => k.live.queued);
    m.value(
      'tickflow_live_send_failures_total',
      'Sends to the live topic that failed (their records dropped).',
      'counter',
      () => k.live.sendFailures,
    );
  }
  return m;
}
