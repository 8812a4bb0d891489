// Engine checkpoints in the compacted topic `tickflow-checkpoints`, per input
// partition, so that whichever engine owns a partition next can restore it.
// A checkpoint is the engine state of the partition's symbols plus the input
// offset it corresponds to. Checkpoints are incremental (checkpoint-codec.ts):
// a restore needs the partition's last `rotation` of them, in order, so the
// n-th goes to slot n mod rotation (keys `<topic>:<partition>@<slot>`), and
// compaction keeps exactly the last rotation. A default Kafka takes at most
// ~1 MiB per record batch, so the state travels in chunks (keys
// `<slot key>#<i>`), each sent on its own, and a manifest (the slot key)
// written after them in the same transaction says how many chunks belong to
// it, and which n it is. Older versions wrote one whole checkpoint under
// `<topic>:<partition>`, read when no slot exists.

import { KafkaError } from './kafka-error';
import type { KafkaPort, KafkaRecord } from './kafka-port';
import { readTail } from './topic-tail';
import { CHECKPOINT_TOPIC } from '../records/topics';

/** Raw bytes per chunk: 512 KiB, about 683 KiB in base64, well under a batch's 1 MiB. */
const CHUNK_BYTES = 512 * 1024;

export interface PartitionCheckpointRecord {
  /** Next input offset to read. */
  readonly offset: string;
  /** Symbols of the partition that the state covers. */
  readonly symbols: readonly string[];
  readonly state: Uint8Array;
  /** The partition's count of checkpoints, and how many of the last a restore needs. */
  readonly n: number;
  readonly rotation: number;
}

/** The latest checkpoints of a partition, oldest first, restored in that order. */
export interface PartitionCheckpoints {
  /** Next input offset to read, after the latest. */
  readonly offset: string;
  /** Symbols the latest covers. */
  readonly symbols: readonly string[];
  readonly states: readonly Uint8Array[];
  /** The latest one's n: the next checkpoint is n + 1. */
  readonly n: number;
}

interface Manifest {
  readonly offset: string;
  readonly chunks: number;
  readonly symbols: readonly string[];
  readonly createdAt: number;
  /** Absent in the single checkpoint of older versions. */
  readonly n?: number;
  readonly rotation?: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}:${partition}`;

export function checkpointRecords(topic: string, partition: number, checkpoint: PartitionCheckpointRecord): KafkaRecord[] {
  const key = `${keyOf(topic, partition)}@${checkpoint.n % checkpoint.rotation}`;
  const state = Buffer.from(checkpoint.state.buffer, checkpoint.state.byteOffset, checkpoint.state.byteLength);
  const records: KafkaRecord[] = [];
  for (let i = 0, at = 0; at < state.length || i === 0; i++, at += CHUNK_BYTES) {
    records.push({ topic: CHECKPOINT_TOPIC, key: `${key}#${i}`, value: state.subarray(at, at + CHUNK_BYTES).toString('base64') });
  }
  const manifest: Manifest = {
    offset: checkpoint.offset,
    chunks: records.length,
    symbols: checkpoint.symbols,
    createdAt: Date.now(),
    n: checkpoint.n,
    rotation: checkpoint.rotation,
  };
  records.push({ topic: CHECKPOINT_TOPIC, key, value: JSON.stringify(manifest) });
  return records;
}

/** The latest committed checkpoints of an input partition, or null when it has none. */
export async function loadCheckpoint(
  port: KafkaPort,
  topic: string,
  partition: number,
  timeoutMs: number,
): Promise<PartitionCheckpoints | null> {
  const key = keyOf(topic, partition);
  const latest = new Map<string, string | null>();
  for (const record of await readTail(port, [CHECKPOINT_TOPIC], { perPartition: Infinity, timeoutMs })) {
    if (record.key !== null && (record.key === key || record.key.startsWith(`${key}#`) || record.key.startsWith(`${key}@`))) {
      latest.set(record.key, record.value);
    }
  }
  const manifests: Array<{ key: string; manifest: Manifest }> = [];
  for (const [k, value] of latest) {
    if (value !== null && (k === key || (k.startsWith(`${key}@`) && !k.includes('#'))))
      manifests.push({ key: k, manifest: JSON.parse(value) as Manifest });
  }
  const slots = manifests.filter((m) => m.manifest.n !== undefined).sort((a, b) => (a.manifest.n as number) - (b.manifest.n as number));
  const last = slots[slots.length - 1];
  // The rotation's checkpoints; slots of a longer rotation written before hold older ones, not needed.
  const chain =
    last === undefined
      ? manifests
      : slots.filter((m) => (m.manifest.n as number) > (last.manifest.n as number) - (last.manifest.rotation ?? 1));
  const newest = chain[chain.length - 1];
  if (newest === undefined) return null;
  const states = chain.map(({ key: k, manifest }) => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      const chunk = latest.get(`${k}#${i}`);
      if (chunk === undefined || chunk === null) {
        throw new KafkaError(`checkpoint of ${k} is missing chunk ${i} of ${manifest.chunks}`, { retriable: false });
      }
      chunks.push(Buffer.from(chunk, 'base64'));
    }
    return Buffer.concat(chunks);
  });
  return { offset: newest.manifest.offset, symbols: newest.manifest.symbols, states, n: newest.manifest.n ?? 0 };
}
