// Engine checkpoints in the compacted topic `tickflow-checkpoints`, one per
// input partition, so that whichever engine owns a partition next can restore
// it. A checkpoint is the engine state of the partition's symbols plus the
// input offset it corresponds to. A default Kafka takes at most ~1 MiB per
// record batch, so the state travels in chunks (keys
// `<topic>:<partition>#<i>`), each sent on its own, and a manifest (key
// `<topic>:<partition>`) written after them in the same transaction says how
// many chunks belong to it.

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
}

interface Manifest {
  readonly offset: string;
  readonly chunks: number;
  readonly symbols: readonly string[];
  readonly createdAt: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}:${partition}`;

export function checkpointRecords(topic: string, partition: number, checkpoint: PartitionCheckpointRecord): KafkaRecord[] {
  const key = keyOf(topic, partition);
  const state = Buffer.from(checkpoint.state.buffer, checkpoint.state.byteOffset, checkpoint.state.byteLength);
  const records: KafkaRecord[] = [];
  for (let i = 0, at = 0; at < state.length || i === 0; i++, at += CHUNK_BYTES) {
    records.push({ topic: CHECKPOINT_TOPIC, key: `${key}#${i}`, value: state.subarray(at, at + CHUNK_BYTES).toString('base64') });
  }
  const manifest: Manifest = { offset: checkpoint.offset, chunks: records.length, symbols: checkpoint.symbols, createdAt: Date.now() };
  records.push({ topic: CHECKPOINT_TOPIC, key, value: JSON.stringify(manifest) });
  return records;
}

/** The latest committed checkpoint of an input partition, or null when it has none. */
export async function loadCheckpoint(
  port: KafkaPort,
  topic: string,
  partition: number,
  timeoutMs: number,
): Promise<PartitionCheckpointRecord | null> {
  const key = keyOf(topic, partition);
  const latest = new Map<string, string | null>();
  for (const record of await readTail(port, [CHECKPOINT_TOPIC], { perPartition: Infinity, timeoutMs })) {
    if (record.key !== null && (record.key === key || record.key.startsWith(`${key}#`))) latest.set(record.key, record.value);
  }
  const manifestText = latest.get(key);
  if (manifestText === undefined || manifestText === null) return null;
  const manifest = JSON.parse(manifestText) as Manifest;
  const chunks: Buffer[] = [];
  for (let i = 0; i < manifest.chunks; i++) {
    const chunk = latest.get(`${key}#${i}`);
    if (chunk === undefined || chunk === null) {
      throw new KafkaError(`checkpoint of ${key} is missing chunk ${i} of ${manifest.chunks}`, { retriable: false });
    }
    chunks.push(Buffer.from(chunk, 'base64'));
  }
  return { offset: manifest.offset, symbols: manifest.symbols, state: Buffer.concat(chunks) };
}
