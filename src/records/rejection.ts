// Why a tick was dead-lettered. The codes are stable: they appear in dead
// letters, error frames, metrics labels and docs/semantics.md.

export const REJECT_REASONS = [
  /** Not JSON, a CSV row of the wrong width, or a FlatBuffers table that fails verification. */
  'unparsable',
  /** Valid JSON that is not an object. */
  'not_an_object',
  /** A required field is absent or null. */
  'missing_field',
  /** A field of the wrong type: a number given as a string, a fractional volume. */
  'wrong_type',
  /** A number outside its range: timestamp, non-positive price, negative volume. */
  'out_of_range',
  /** A string outside its rule: symbol characters or length, event type, exchange length. */
  'invalid_value',
  /** bid greater than ask. */
  'bid_above_ask',
  /** /ingest only: a tick of a symbol the publisher's token is not entitled to. */
  'not_entitled',
  /** /ingest only: a tick over the publisher's --ingest-rate-limit. */
  'rate_limited',
  /** `serve` only: a timestamp more than --max-future-ms ahead of the server's clock. */
  'future',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];
export type DeadLetterReason = RejectReason | 'duplicate' | 'late';

export class Rejection {
  constructor(
    readonly reason: RejectReason,
    /** The field at fault, or '' when the record as a whole is. */
    readonly field: string,
    readonly message: string,
  ) {}
}
