// How much of a rejected input the store keeps. A dead letter carries the
// input it could not take: `raw`, the text of a line or Kafka record, and
// `tick`, the fields read from a FlatBuffers tick. Both are as long as the
// input was, up to a whole frame (--max-frame-kib, 1 MiB by default), and
// dead letters are kept for the whole retention (7 days by default) and
// queued for Kafka, so a publisher sending garbage could fill the disk with
// it. The store keeps the first DEAD_LETTER_TEXT_BYTES of `raw` and of each
// string of `tick`, cut at a character boundary, and says what it cut in
// `truncated`: each cut field's whole size in UTF-8 bytes. That prefix is
// enough to recognise what a feed sent; the error frame and the
// `--dead-letter` file of replay are where whole lines go.

import type { DeadLetterRecord } from '../records/records';

/** The most UTF-8 bytes of one text field of a dead letter the store keeps. */
export const DEAD_LETTER_TEXT_BYTES = 4096;

const encoder = new TextEncoder();
const scratch = new Uint8Array(DEAD_LETTER_TEXT_BYTES);

/** `text`'s longest prefix of whole characters that fits in the bound, or null when all of it fits. */
function prefix(text: string): string | null {
  // A UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
  if (text.length * 3 <= DEAD_LETTER_TEXT_BYTES) return null;
  if (Buffer.byteLength(text, 'utf8') <= DEAD_LETTER_TEXT_BYTES) return null;
  // encodeInto writes whole characters only and stops when the buffer is full.
  return text.slice(0, encoder.encodeInto(text, scratch).read);
}

/** The dead letter as the store keeps it: `record` itself when nothing is over the bound. */
export function boundDeadLetter(record: DeadLetterRecord): DeadLetterRecord {
  let truncated: Record<string, number> | null = null;
  const cut = (field: string, text: string): void => {
    truncated ??= { ...record.truncated };
    truncated[field] = Buffer.byteLength(text, 'utf8');
  };
  let raw = record.raw;
  const rawKept = raw === undefined ? null : prefix(raw);
  if (raw !== undefined && rawKept !== null) {
    cut('raw', raw);
    raw = rawKept;
  }
  let tick = record.tick;
  if (tick !== undefined) {
    for (const [name, value] of Object.entries(tick)) {
      const kept = typeof value === 'string' ? prefix(value) : null;
      if (kept === null) continue;
      cut(`tick.${name}`, value as string);
      tick = { ...tick, [name]: kept };
    }
  }
  if (truncated === null) return record;
  // Spread over the record, so the keys keep the order of records.ts.
  return { ...record, ...(raw === undefined ? {} : { raw }), ...(tick === undefined ? {} : { tick }), truncated };
}
