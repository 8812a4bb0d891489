// CSV input: a header row naming tick fields (any order; unknown columns are
// ignored), then one tick per row. Cells may be double-quoted ("" is a quote).
// An empty cell is an absent field. Numeric cells must be JSON numbers; any
// other text in a numeric column is a string, which validation rejects as
// `wrong_type`, just as "price":"12.5" is in JSON. A quoted cell cannot span
// lines.

import { InputError } from '../errors';
import type { DecodedSink } from './decoded-sink';
import { LineDecoder } from './line-decoder';
import { Rejection } from '../records/rejection';

const NUMERIC = new Set(['timestamp', 'price', 'volume', 'bid', 'ask', 'seq']);
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Splits one CSV row into cells, or returns null when its quotes do not balance. */
export function splitCsvRow(row: string): string[] | null {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (row[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = row.indexOf('"', i);
        if (q === -1) return null;
        cell += row.slice(i, q);
        if (row[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cells.push(cell);
      if (i === row.length) return cells;
      if (row[i] !== ',') return null;
      i++;
    } else {
      const comma = row.indexOf(',', i);
      if (comma === -1) {
        cells.push(row.slice(i));
        return cells;
      }
      cells.push(row.slice(i, comma));
      i = comma + 1;
    }
  }
}

export class CsvDecoder extends LineDecoder {
  private header: string[] | null = null;

  constructor(sink: DecodedSink, maxLineBytes?: number) {
    super(sink, 'row', maxLineBytes);
  }

  protected onLine(bytes: Buffer, start: number, end: number, line: number): void {
    const text = bytes.toString('utf8', start, end);
    if (text.trim() === '') return;
    if (this.header === null) {
      const names = splitCsvRow(text.replace(/^\uFEFF/, ''));
      if (names === null) throw new InputError(`CSV header on line ${line} has unbalanced quotes`);
      this.header = names.map((name) => name.trim());
      const seen = new Set<string>();
      for (const name of this.header) {
        if (seen.has(name)) throw new InputError(`CSV header on line ${line} names column ${JSON.stringify(name)} twice`);
        seen.add(name);
      }
      if (!seen.has('symbol')) {
        throw new InputError(
          `CSV header on line ${line} has no "symbol" column; the first row must name the tick fields (symbol,event_type,timestamp,...)`,
        );
      }
      return;
    }
    const cells = splitCsvRow(text);
    if (cells === null || cells.length !== this.header.length) {
      const why = cells === null ? 'unbalanced quotes' : `${cells.length} cells where the header has ${this.header.length}`;
      this.sink.reject(new Rejection('unparsable', '', `CSV row has ${why}`), line, text, null);
      return;
    }
    const fields: Record<string, unknown> = {};
    this.header.forEach((name, i) => {
      const cell = cells[i] as string;
      if (cell === '') return;
      fields[name] = NUMERIC.has(name) && JSON_NUMBER.test(cell) ? Number(cell) : cell;
    });
    this.deliver(fields, line, text, 0, 0);
  }
}
