// Records between the port's string form and the wire shapes of a Kafka
// client (Buffers, headers that may repeat). The shapes are written out here
// structurally so that only the kafkajs-*.ts files import kafkajs.

import type { ConsumedRecord, KafkaRecord } from './kafka-port';

/** A record as a client library sends it. */
export interface WireMessage {
  key: string;
  value: string | null;
  headers?: Record<string, string>;
  partition?: number;
}

/** A record as a client library hands it over after a fetch. */
export interface FetchedMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
}

function toMessage(record: KafkaRecord): WireMessage {
  const message: WireMessage = { key: record.key, value: record.value };
  if (record.headers !== undefined) message.headers = record.headers;
  if (record.partition !== undefined) message.partition = record.partition;
  return message;
}

/** Groups records by topic, keeping their order within each topic. */
export function byTopic(records: readonly KafkaRecord[]): Array<{ topic: string; messages: WireMessage[] }> {
  const topics = new Map<string, WireMessage[]>();
  for (const record of records) {
    const messages = topics.get(record.topic);
    if (messages === undefined) topics.set(record.topic, [toMessage(record)]);
    else messages.push(toMessage(record));
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/** A fetched record with its key, value and headers decoded as UTF-8. */
export function toRecord(topic: string, partition: number, message: FetchedMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    // A repeated header arrives as an array; like Java's lastHeader(), the last one wins.
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) headers[name] = value.toString();
  }
  return {
    topic,
    partition,
    offset: message.offset,
    headers,
    timestamp: message.timestamp,
    key: message.key === null ? null : message.key.toString(),
    value: message.value === null ? null : message.value.toString(),
  };
}
