// The memory governor's states, named once for everything that shows or stores them (progress, samples, report).

/** NORMAL: full speed; CAUTIOUS: memory is high, batches and concurrency shrink; BREAKER: tripped, nothing new starts. */
export type GovernorState = 'NORMAL' | 'CAUTIOUS' | 'BREAKER';

/** Worse states rank higher: merging neighbouring samples keeps the worse one. */
export const GOVERNOR_STATE_RANK: Readonly<Record<GovernorState, number>> = { NORMAL: 0, CAUTIOUS: 1, BREAKER: 2 };

/** The rank of a state read back from a checkpoint: a name this version does not know ranks as NORMAL. */
export function governorStateRank(state: string): number {
  return (GOVERNOR_STATE_RANK as Readonly<Record<string, number>>)[state] ?? 0;
}
