// Bounds checks for untrusted TickBatch buffers (from files and /ingest
// frames) before the generated accessors read them. The FlatBuffers
// JavaScript runtime has no verifier, and an offset that points outside the
// buffer would make it read garbage or loop over a bogus vector length.
//
// It checks what tickflow reads: the root table, the ticks vector, each Tick
// table, its scalar fields and its two strings. A broken batch structure fails
// the whole buffer; a broken Tick fails only that tick.

const TICK_FIELDS: ReadonlyArray<{ size: number; string: boolean }> = [
  { size: 4, string: true }, // symbol
  { size: 1, string: false }, // event_type
  { size: 8, string: false }, // timestamp
  { size: 8, string: false }, // price
  { size: 8, string: false }, // volume
  { size: 8, string: false }, // bid
  { size: 8, string: false }, // ask
  { size: 4, string: true }, // exchange
  { size: 8, string: false }, // seq
];

export class FlatBuffersVerifier {
  private view: DataView = new DataView(new ArrayBuffer(0));
  private length = 0;

  /** Offsets (from the buffer start) of the Tick tables of a TickBatch at `bytes`; a string on failure. */
  tickTables(bytes: Uint8Array): number[] | string {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
    if (this.length < 8) return `a TickBatch needs at least 8 bytes, got ${this.length}`;
    const root = this.u32(0);
    const table = this.table(root);
    if (typeof table === 'string') return `root table: ${table}`;
    const field = this.field(root, table, 0, 4);
    if (typeof field === 'string') return `ticks: ${field}`;
    if (field === 0) return [];
    const vector = field + this.u32(field);
    if (vector + 4 > this.length || vector < field) return 'ticks: vector offset outside the buffer';
    const count = this.u32(vector);
    if (vector + 4 + count * 4 > this.length) return `ticks: vector of ${count} entries does not fit in the buffer`;
    const tables: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = vector + 4 + i * 4;
      tables.push(at + this.u32(at));
    }
    return tables;
  }

  /** Null when the Tick table at `at` is safe to read, else what is wrong. */
  checkTick(at: number): string | null {
    const table = this.table(at);
    if (typeof table === 'string') return table;
    for (let i = 0; i < TICK_FIELDS.length; i++) {
      const spec = TICK_FIELDS[i] as { size: number; string: boolean };
      const field = this.field(at, table, i, spec.size);
      if (typeof field === 'string') return field;
      if (field !== 0 && spec.string) {
        const s = field + this.u32(field);
        if (s + 4 > this.length || s < field) return `field ${i}: string offset outside the buffer`;
        if (s + 4 + this.u32(s) > this.length) return `field ${i}: string runs past the end of the buffer`;
      }
    }
    return null;
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  /** The vtable offset and table size of the table at `at`, or what is wrong. */
  private table(at: number): { vtable: number; vtableSize: number; tableSize: number } | string {
    if (at < 0 || at + 4 > this.length) return 'table offset outside the buffer';
    const vtable = at - this.view.getInt32(at, true);
    if (vtable < 0 || vtable + 4 > this.length) return 'vtable offset outside the buffer';
    const vtableSize = this.view.getUint16(vtable, true);
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > this.length) return 'malformed vtable';
    if (tableSize < 4 || at + tableSize > this.length) return 'table runs past the end of the buffer';
    return { vtable, vtableSize, tableSize };
  }

  /** The absolute offset of field `index` (0 when absent), or what is wrong. */
  private field(
    at: number,
    table: { vtable: number; vtableSize: number; tableSize: number },
    index: number,
    size: number,
  ): number | string {
    const slot = 4 + 2 * index;
    if (slot + 2 > table.vtableSize) return 0;
    const offset = this.view.getUint16(table.vtable + slot, true);
    if (offset === 0) return 0;
    if (offset + size > table.tableSize) return `field ${index} runs past the end of its table`;
    return at + offset;
  }
}
