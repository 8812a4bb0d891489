// Topic names of SPEC §4. Other programs read these topics, so the names are
// part of the contract: change them only together with the spec.

/** Input ticks: key = symbol, value = JSON tick; read by the engines' consumer group. */
export const RAW_TOPIC = 'market-data-raw';
/** Final bars: key = `symbol|interval|window_start` (time bars) or `symbol|interval|bar_index` (activity bars). */
export const BARS_TOPIC = 'market-bars';
/** Final sliding-window indicators. */
export const INDICATORS_TOPIC = 'market-indicators';
/** Anomaly alerts. */
export const ALERTS_TOPIC = 'anomaly-alerts';
/** Rejected and dropped ticks, the reason in a header. */
export const DEAD_LETTER_TOPIC = 'market-data-dlq';
/** Engine checkpoints, one key per input partition; compacted so that only the latest survives. */
export const CHECKPOINT_TOPIC = 'tickflow-checkpoints';
/**
 * Live data of the engines of a consumer group (trades, quotes, forming
 * bars), so that every engine serves every symbol: key = symbol, value = the
 * channel message's JSON record, the sending engine and the channel in
 * headers. tickflow's own, like the checkpoints: a feed, not a history, so it
 * keeps about a minute.
 */
export const LIVE_TOPIC = 'tickflow-live';

/** Topic-level configs the engine asks for when it creates a topic itself. */
export const TOPIC_CONFIGS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  [CHECKPOINT_TOPIC]: Object.freeze({ 'cleanup.policy': 'compact' }),
  // Retention applies to closed segments only: roll one a minute, or the 1 GiB default segment would keep days.
  [LIVE_TOPIC]: Object.freeze({ 'cleanup.policy': 'delete', 'retention.ms': '60000', 'segment.ms': '60000' }),
});

/** All tickflow topics, in the order an operator would create them. */
export const ALL_TOPICS: readonly string[] = Object.freeze([
  RAW_TOPIC,
  BARS_TOPIC,
  INDICATORS_TOPIC,
  ALERTS_TOPIC,
  DEAD_LETTER_TOPIC,
  CHECKPOINT_TOPIC,
  LIVE_TOPIC,
]);
