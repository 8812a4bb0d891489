// Options of the Kafka port: documented, with frozen defaults, checked once at
// creation so that a typo fails at start-up with a message naming the option.

import { ConfigError } from '../errors';
import type { Logger } from '../log';

export type KafkaLogLevelName = 'nothing' | 'error' | 'warn' | 'info';
const LOG_LEVEL_NAMES: readonly KafkaLogLevelName[] = ['nothing', 'error', 'warn', 'info'];

export interface KafkaPortOptions {
  /** `host:port` of at least one broker of the cluster. */
  brokers: readonly string[];
  /** Names this client in broker logs. */
  clientId: string;
  /** The least severe client log entry passed on to `logger`; default 'nothing'. */
  logLevel?: KafkaLogLevelName;
  /** Receives the client's log entries; default: none, entries are dropped (never written to stdout). */
  logger?: Logger;
  /** ms to open a connection to a broker; default 3000. */
  connectionTimeoutMs?: number;
  /** ms to wait for a broker's answer to one request; default 30000. */
  requestTimeoutMs?: number;
  /** Retries of one operation, with exponential backoff, before it fails; defaults 5, 300 ms, 30000 ms. */
  retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number };
}

export interface ResolvedKafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logLevel: KafkaLogLevelName;
  readonly logger: Logger | undefined;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly initialRetryTimeMs: number;
  readonly maxRetryTimeMs: number;
}

export const KAFKA_DEFAULTS = Object.freeze({
  logLevel: 'nothing' as KafkaLogLevelName,
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30_000,
  retries: 5,
  initialRetryTimeMs: 300,
  maxRetryTimeMs: 30_000,
});

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name}: expected an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Fills in defaults and checks every field; throws ConfigError naming the field, the value and what was expected. */
export function resolveKafkaOptions(options: KafkaPortOptions): ResolvedKafkaOptions {
  const brokers: unknown = options.brokers;
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((b) => typeof b !== 'string' || !/^\S+:\d{1,5}$/.test(b))) {
    throw new ConfigError(`kafka option brokers: expected one or more "host:port", got ${JSON.stringify(brokers)}`);
  }
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new ConfigError(`kafka option clientId: expected a non-empty string, got ${JSON.stringify(options.clientId)}`);
  }
  const logLevel = options.logLevel ?? KAFKA_DEFAULTS.logLevel;
  if (!LOG_LEVEL_NAMES.includes(logLevel)) {
    throw new ConfigError(`kafka option logLevel: expected one of ${LOG_LEVEL_NAMES.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  return Object.freeze({
    brokers: Object.freeze([...options.brokers]),
    clientId: options.clientId,
    logLevel,
    logger: options.logger,
    connectionTimeoutMs: integer('kafka option connectionTimeoutMs', options.connectionTimeoutMs, KAFKA_DEFAULTS.connectionTimeoutMs, 1),
    requestTimeoutMs: integer('kafka option requestTimeoutMs', options.requestTimeoutMs, KAFKA_DEFAULTS.requestTimeoutMs, 1),
    retries: integer('kafka option retry.retries', options.retry?.retries, KAFKA_DEFAULTS.retries, 0),
    initialRetryTimeMs: integer(
      'kafka option retry.initialRetryTimeMs',
      options.retry?.initialRetryTimeMs,
      KAFKA_DEFAULTS.initialRetryTimeMs,
      1,
    ),
    maxRetryTimeMs: integer('kafka option retry.maxRetryTimeMs', options.retry?.maxRetryTimeMs, KAFKA_DEFAULTS.maxRetryTimeMs, 1),
  });
}

/** Checks a consumer's options (kafkajs would throw its own error class, or misbehave, on these). */
export function checkConsumerOptions(options: {
  groupId: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  maxWaitTimeMs?: number;
}): void {
  if (typeof options.groupId !== 'string' || options.groupId === '') {
    throw new ConfigError(`kafka consumer option groupId: expected a non-empty string, got ${JSON.stringify(options.groupId)}`);
  }
  const session = integer('kafka consumer option sessionTimeoutMs', options.sessionTimeoutMs, 30_000, 1);
  const heartbeat = integer('kafka consumer option heartbeatIntervalMs', options.heartbeatIntervalMs, 3000, 1);
  integer('kafka consumer option rebalanceTimeoutMs', options.rebalanceTimeoutMs, 60_000, 1);
  integer('kafka consumer option maxWaitTimeMs', options.maxWaitTimeMs, 5000, 0);
  if (heartbeat >= session) {
    throw new ConfigError(`kafka consumer option heartbeatIntervalMs: expected less than sessionTimeoutMs (${session}), got ${heartbeat}`);
  }
}

/** Checks a producer's options. */
export function checkProducerOptions(options: { transactionalId?: string; transactionTimeoutMs?: number; acks?: string }): void {
  if (options.transactionalId !== undefined && (typeof options.transactionalId !== 'string' || options.transactionalId === '')) {
    throw new ConfigError(
      `kafka producer option transactionalId: expected a non-empty string, got ${JSON.stringify(options.transactionalId)}`,
    );
  }
  integer('kafka producer option transactionTimeoutMs', options.transactionTimeoutMs, 60_000, 1);
  if (options.acks !== undefined && options.acks !== 'all' && options.acks !== 'leader') {
    throw new ConfigError(`kafka producer option acks: expected "all" or "leader", got ${JSON.stringify(options.acks)}`);
  }
  if (options.acks === 'leader' && options.transactionalId !== undefined) {
    throw new ConfigError(
      'kafka producer option acks: expected "all" with a transactionalId (transactions need idempotence), got "leader"',
    );
  }
}
