// Windows leave a symbol's open list from the front, oldest first, into a
// list of spares that the next windows reuse. Done in place: splice() made
// an array per close, a garbage object per bar at every second boundary.
// When nothing is left open (the symbol quiet past its windows) the spares
// are dropped too, so a quiet symbol holds no windows at all.

/** Moves `count` items from the front of `open` to `spare`, in place. */
export function releaseFront<T>(open: T[], count: number, spare: T[]): void {
  const left = open.length - count;
  if (left === 0) {
    open.length = 0;
    spare.length = 0;
    return;
  }
  for (let i = 0; i < count; i++) spare.push(open[i] as T);
  for (let i = 0; i < left; i++) open[i] = open[i + count] as T;
  open.length = left;
}
