// A stored checkpoint is the per-partition PartitionCheckpoints one after
// another, each behind a 4-byte little-endian length, so a restore with any
// partition count can hand every part to every partition.

export function joinCheckpoint(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const part of parts) {
    out.writeUInt32LE(part.length, at);
    out.set(part, at + 4);
    at += 4 + part.length;
  }
  return out;
}

export function splitCheckpoint(blob: Uint8Array): Uint8Array[] {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 0; at + 4 <= bytes.length;) {
    const length = bytes.readUInt32LE(at);
    parts.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return parts;
}
