// Small helpers for writing JSON text by hand on the output path, where a
// template string is several times cheaper than JSON.stringify of an object.

/** A JSON number, or null for null and for anything non-finite. */
export function jsonNumber(value: number | null): string {
  return value !== null && Number.isFinite(value) ? String(value) : 'null';
}
