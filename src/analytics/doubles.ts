// Small per-symbol columns of numbers are plain arrays of doubles, not
// Float64Arrays. A typed array is two objects (the view and its buffer,
// about 180 bytes before its first entry) and, past 64 bytes, memory outside
// the heap; a plain array is one small object and its elements. With a few
// such columns in every symbol, at 50,000 symbols the views alone were
// hundreds of bytes a symbol (docs/benchmarks.md, "State per symbol").

/** An array of `length` doubles, each `fill` (filled with a fraction first, so its elements are doubles from the start). */
export function doubles(length: number, fill = 0.5): number[] {
  return new Array<number>(length).fill(0.5).fill(fill);
}
