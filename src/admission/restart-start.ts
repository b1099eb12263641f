// Where a fresh worker starts: at what the killed one learned, lower after an OOM kill or a breaker halt, so a
// restart does not repeat the ramp that ran out of memory.

/** How the previous worker of this command ended (the supervisor passes it in RESTART_REASON_ENV). */
export type PreviousEnd = 'oom' | 'breaker' | undefined;

/** After an OOM kill the learned level was already too much: halve it. */
const AFTER_OOM = 0.5;
/** A breaker halt stopped in time: a quarter less. */
const AFTER_BREAKER = 0.75;

/** The concurrency limit to start at, from the learned one (else the ceiling), never above `ceiling`. */
export function startingConcurrency(ceiling: number, learned: number | undefined, previous: PreviousEnd): number {
  return scaled(Math.min(ceiling, learned ?? ceiling), previous);
}

/** Embeddings texts per request to start at, the same way (the learned pack size, else --batch-size). */
export function startingPackSize(maxPack: number, learned: number | undefined, previous: PreviousEnd): number {
  return scaled(Math.min(maxPack, learned ?? maxPack), previous);
}

function scaled(level: number, previous: PreviousEnd): number {
  const factor = previous === 'oom' ? AFTER_OOM : previous === 'breaker' ? AFTER_BREAKER : 1;
  return Math.max(1, Math.floor(level * factor));
}
