// The rules of SPEC §1 that more than one room checks: what a symbol may
// look like (ticks, channel names, HTTP queries) and the range of event time.

/** Event time, ms since the Unix epoch: [2000-01-01, 2100-01-01). */
export const MIN_TIMESTAMP = 946_684_800_000;
export const MAX_TIMESTAMP_EXCLUSIVE = 4_102_444_800_000;
export const MAX_EXCHANGE_LENGTH = 16;
/** 1-32 characters of A-Z a-z 0-9 . _ : / - */
export const SYMBOL_PATTERN = /^[A-Za-z0-9._:/-]{1,32}$/;
