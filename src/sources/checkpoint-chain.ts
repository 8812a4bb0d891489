// How incremental a source's checkpoints are. Each symbol's trailing series
// are written whole once in every `rotation` checkpoints and as deltas in
// between (checkpoint-codec.ts), so a restore needs the last `rotation`
// checkpoints, in order, and the store keeps that many.
//
// The series hold about (alert window + lateness) of ticks. With the rotation
// spanning that time, each checkpoint writes about one checkpoint interval's
// worth of whole series besides the deltas: at a steady rate, what a
// checkpoint writes grows with the ticks since the one before, not with the
// state (docs/durability.md, "Incremental checkpoints").

/** Checkpoints a restore reads at most: with --checkpoint-ms far below the window, the rotation stops here. */
export const MAX_ROTATION = 120;

/** The rotation for series spanning `spanMs` of event time, checkpointed every `checkpointMs`. */
export function checkpointRotation(spanMs: number, checkpointMs: number): number {
  if (!(checkpointMs > 0)) return 1;
  return Math.max(1, Math.min(MAX_ROTATION, Math.ceil(spanMs / checkpointMs)));
}
