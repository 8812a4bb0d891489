// Every failure that crosses the Kafka port is a KafkaError, whatever client
// library sits behind it, so callers decide on `retriable` and never on
// kafkajs class names.

import { TickflowError } from '../errors';

/** A Kafka operation failed. `retriable`: the same call may succeed later (broker away, leader moving). */
export class KafkaError extends TickflowError {
  readonly retriable: boolean;
  /** The broker's error name when it sent one (e.g. `INVALID_PRODUCER_EPOCH`), else null. */
  readonly brokerError: string | null;
  constructor(message: string, options: { retriable: boolean; brokerError?: string | null; cause?: unknown }) {
    super('ERR_TICKFLOW_KAFKA', message);
    this.retriable = options.retriable;
    this.brokerError = options.brokerError ?? null;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** What kafkajs errors look like from outside (only the kafkajs-*.ts files import kafkajs). */
interface ClientErrorShape {
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  type?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

// A producer with a newer epoch exists for this transactional id: this one is a
// zombie and must be closed, never retried.
const FATAL_BROKER_ERRORS = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'INVALID_TXN_STATE',
]);

function shape(value: unknown): ClientErrorShape {
  return typeof value === 'object' && value !== null ? (value as ClientErrorShape) : {};
}

/** The innermost error kafkajs wrapped, following `cause` / `originalError`. */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10; depth++) {
    const next = shape(current).cause ?? shape(current).originalError;
    if (next === undefined || next === null || next === current) return current;
    current = next;
  }
  return current;
}

/**
 * Wraps anything kafkajs threw. kafkajs gives up after its retries with
 * KafkaJSNumberOfRetriesExceeded, which it marks non-retriable although the
 * cause (a refused connection, a timeout) is exactly the kind that heals; like
 * kafkajs' own consumer restart logic we judge by that cause.
 */
export function toKafkaError(action: string, error: unknown): KafkaError {
  if (error instanceof KafkaError) return error;
  const outer = shape(error);
  const root = shape(rootCause(error));
  const brokerError = typeof root.type === 'string' ? root.type : typeof outer.type === 'string' ? outer.type : null;
  const fatal = brokerError !== null && FATAL_BROKER_ERRORS.has(brokerError);
  const retriable = !fatal && (outer.name === 'KafkaJSNumberOfRetriesExceeded' || root.retriable === true || outer.retriable === true);
  const detail = typeof outer.message === 'string' ? outer.message : String(error);
  const rootDetail = typeof root.message === 'string' && root.message !== detail ? ` (${root.message})` : '';
  const hint = retriable ? 'retriable' : 'not retriable';
  return new KafkaError(`Kafka ${action} failed: ${detail}${rootDetail} (${hint})`, { retriable, brokerError, cause: error });
}

/** Awaits a client call and rethrows its failure as a KafkaError naming the action. */
export async function call<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toKafkaError(action, error);
  }
}
