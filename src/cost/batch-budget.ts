// --max-cost for --via batch. A request is reserved (its estimate at batch prices) as it is written into a batch
// file, on top of what this run has spent and what the live batches (read back from the checkpoint) reserve.
// The first request of a pass that does not fit ends the pass's writing: it and every later one stay pending, in
// input order. Collected answers replace reservations with their real cost, so a later pass may fit more.
import { formatUsd } from './model-price.js';

/** fit: reserved, write it; later: fits once live batches settle; exhausted: cannot fit beside this run's spend. */
export type BatchVerdict = 'fit' | 'later' | 'exhausted';

/** Float sums of many small prices drift by far less than this; it keeps an exact fit from being refused. */
const EPSILON_USD = 1e-9;

export interface LiveReservation {
  readonly chunkId: number;
  readonly usd: number;
  /** Its create was sent (or may have been): the money is committed, whatever the budget says now. */
  readonly committed: boolean;
}

/**
 * At the start of a run: the reservations of the checkpoint's live chunks that count, and the chunks not to submit.
 * A chunk written by an earlier run but not yet created is held when it no longer fits (a smaller --max-cost).
 */
export function adoptLive(limitUsd: number, live: readonly LiveReservation[]): { reservedUsd: number; held: Set<number> } {
  let reservedUsd = live.filter((chunk) => chunk.committed).reduce((sum, chunk) => sum + chunk.usd, 0);
  const held = new Set<number>();
  // In chunk order, and no skipping ahead: records go to the API in the order they were written.
  for (const chunk of [...live].filter((c) => !c.committed).sort((a, b) => a.chunkId - b.chunkId)) {
    if (held.size === 0 && reservedUsd + chunk.usd <= limitUsd + EPSILON_USD) reservedUsd += chunk.usd;
    else held.add(chunk.chunkId);
  }
  return { reservedUsd, held };
}

export class BatchBudget {
  readonly limitUsd: number;
  private spent = 0;
  private reserved = 0;
  /** The verdict that ended this pass's writing; undefined while everything fitted. */
  private stopped: Exclude<BatchVerdict, 'fit'> | undefined;
  private heldInPass = 0;
  private nextNeedUsd: number | undefined;

  constructor(limitUsd: number) {
    if (!(limitUsd > 0)) throw new Error('a spend budget must be above zero');
    this.limitUsd = limitUsd;
  }

  get spentUsd(): number {
    return this.spent;
  }

  get reservedUsd(): number {
    return this.reserved;
  }

  /** Requests this pass held back (pending for a later pass or run). */
  get held(): number {
    return this.heldInPass;
  }

  /** How the last pass ended: 'fit' when it held nothing back. */
  get verdict(): BatchVerdict {
    return this.stopped ?? 'fit';
  }

  /** Before a pass over the input: `reservedUsd` is what the live chunks reserve (the checkpoint's sum). */
  beginPass(reservedUsd: number): void {
    if (!(reservedUsd >= 0) || !Number.isFinite(reservedUsd)) throw new Error(`a reservation must be a finite amount >= 0, got ${reservedUsd}`);
    this.reserved = reservedUsd;
    this.stopped = undefined;
    this.heldInPass = 0;
  }

  /** A request about to be written into a batch file, estimated at `estimateUsd`. */
  admit(estimateUsd: number): BatchVerdict {
    if (!(estimateUsd >= 0) || !Number.isFinite(estimateUsd)) throw new Error(`a spend estimate must be a finite amount >= 0, got ${estimateUsd}`);
    if (this.stopped === undefined && this.spent + this.reserved + estimateUsd <= this.limitUsd + EPSILON_USD) {
      this.reserved += estimateUsd;
      return 'fit';
    }
    if (this.stopped === undefined) {
      this.nextNeedUsd = estimateUsd;
      // Settling only adds to what is spent: what does not fit beside the spend alone never will in this run.
      this.stopped = this.reserved > 0 && this.spent + estimateUsd <= this.limitUsd + EPSILON_USD ? 'later' : 'exhausted';
    }
    this.heldInPass += 1;
    return this.stopped;
  }

  /** A batch line was collected: `reservedUsd` of it is given back and `actualUsd` spent (0 for a failed line). */
  settle(reservedUsd: number, actualUsd: number): void {
    this.reserved = Math.max(0, this.reserved - reservedUsd);
    this.spent += actualUsd;
  }

  /** The summary's halt_reason when the budget held records back and nothing is left running. */
  haltReason(): string {
    const next = this.nextNeedUsd === undefined ? '' : `, the next request needs about ${formatUsd(this.nextNeedUsd)}`;
    return `spend budget --max-cost ${formatUsd(this.limitUsd)} reached: spent ${formatUsd(this.spent)} at batch prices${next}; rerun with a larger --max-cost to submit the rest`;
  }
}
