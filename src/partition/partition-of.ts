// Stable symbol-to-partition hashing: 32-bit FNV-1a over the symbol's UTF-16
// code units (symbols are ASCII, so these are its bytes). Stable across runs,
// processes and machines, so a symbol's partition depends only on its name
// and the partition count.

export function symbolHash(symbol: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) {
    hash ^= symbol.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function partitionOf(symbol: string, partitions: number): number {
  return symbolHash(symbol) % partitions;
}
