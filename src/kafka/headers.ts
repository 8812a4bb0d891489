// Header names tickflow writes on its Kafka records, for other engines (and
// operators with kcat) to tell records apart without parsing their values.

/** The input partition of market-data-raw a record was made from, so other engines can tell theirs apart. */
export const INPUT_PARTITION_HEADER = 'tickflow-input-partition';
/** The engine that sent a live record, so that it skips its own when they come back. */
export const ENGINE_HEADER = 'tickflow-engine';
/** The subscriber channel a live record belongs to (`trades.AAPL`, `bars.1s.AAPL`). */
export const CHANNEL_HEADER = 'tickflow-channel';
