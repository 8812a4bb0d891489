// Result records written straight into a ring without a Builder, from
// templates, as RingTickWriter does for ticks. Built with the generated
// Builder, bars and indicators were a worker's largest allocation (int64
// fields as BigInts, vtables, views): in the live scenario the event loop's
// garbage collections were the trade latency's tail, and replaying 50,000
// symbols (0.7 records a tick) indicators alone made a quarter of a
// worker's garbage.
//
// A record's strings are the same for every record of a symbol (and, for a
// bar, its interval), and its other fields are scalars, always written
// (forceDefaults). So each symbol gets a template per kind of record it
// writes; a record is the template copied, its values overwritten at
// positions read from the template's own vtable. Readers go through
// vtables, so the bytes need not match the Builder's, but they do (tested).
//
// Symbols whose names are as long in UTF-8 share a prototype per kind,
// built once by the Builder: a symbol's template is the prototype with its
// own name written over the prototype's, in a slab (byte-slab.ts), and the
// positions are the prototype's. A template of its own (Builder, buffer and
// position table) cost each of a large universe's symbols about 470 bytes
// per kind and 3 % of a replaying worker's time (docs/benchmarks.md, "State
// per symbol").

import { Builder } from 'flatbuffers';
import { ByteSlab } from './byte-slab';

/** A symbol's record of one kind: its bytes and where each field sits. */
export interface RecordTemplate {
  readonly bytes: Uint8Array;
  /** Position of each field in `bytes`, by slot; -1 when absent. */
  readonly pos: Int32Array;
}

/** Adds a record's table, every scalar as zero, to `b` after its symbol string `symbol`; returns the table. */
export type RecordShape = (b: Builder, symbol: number) => number;

/** A template built by the Builder, and where its symbol's name bytes sit. */
interface Prototype extends RecordTemplate {
  readonly nameAt: number;
}

/** The symbol is slot 0 of every record with a template. */
const SYMBOL = 0;
const TWO_32 = 2 ** 32;

function buildPrototype(b: Builder, name: Uint8Array, shape: RecordShape, fields: number, required: readonly number[]): Prototype {
  b.clear();
  b.forceDefaults(true);
  b.finish(shape(b, b.createString(name)));
  const bytes = b.asUint8Array().slice();
  const view = new DataView(bytes.buffer);
  const table = view.getUint32(0, true);
  const vtable = table - view.getInt32(table, true);
  const vtableFields = (view.getUint16(vtable, true) - 4) / 2;
  const pos = new Int32Array(fields).fill(-1);
  for (let i = 0; i < Math.min(fields, vtableFields); i++) {
    const offset = view.getUint16(vtable + 4 + 2 * i, true);
    if (offset !== 0) pos[i] = table + offset;
  }
  for (const slot of [SYMBOL, ...required]) {
    if (pos[slot] === -1) throw new Error(`field ${slot} missing from the template`);
  }
  // The symbol field is an offset to the string: its length, then its bytes.
  const symbol = pos[SYMBOL] as number;
  return { bytes, pos, nameAt: symbol + view.getUint32(symbol, true) + 4 };
}

/** Makes the record templates of a partition's symbols. */
export class TemplateMaker {
  private readonly builder = new Builder(128);
  /** By kind and name length in bytes. */
  private readonly prototypes = new Map<string, Prototype>();

  /** `slab`: where templates are kept. */
  constructor(private readonly slab: ByteSlab = new ByteSlab()) {}

  /**
   * The template of the symbol named `name` (UTF-8) for a kind of record
   * (`kind` names it: the same kind, the same shape), whose table has
   * `fields` slots, `required` among them.
   */
  make(name: Uint8Array, kind: string, shape: RecordShape, fields: number, required: readonly number[]): RecordTemplate {
    const key = `${kind}\u0000${name.length}`;
    let prototype = this.prototypes.get(key);
    if (prototype === undefined) {
      prototype = buildPrototype(this.builder, name, shape, fields, required);
      this.prototypes.set(key, prototype);
    }
    const bytes = this.slab.copy(prototype.bytes);
    bytes.set(name, prototype.nameAt);
    return { bytes, pos: prototype.pos };
  }
}

/** An integer below 2^53 as a little-endian int64, without a BigInt. */
export function setInt53(view: DataView, at: number, value: number): void {
  view.setUint32(at, (value % TWO_32) >>> 0, true);
  view.setInt32(at + 4, Math.floor(value / TWO_32), true);
}
