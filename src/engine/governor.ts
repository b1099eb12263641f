// The memory governor: a pure policy from RSS readings to a state that sizes batches and concurrency.
// The engine obeys it; it never does I/O, so it is tested with injected readings.

import type { GovernorState } from '../memory/governor-state.js';

export type { GovernorState } from '../memory/governor-state.js';

export interface GovernorLimits {
  readonly warnBytes: number;
  readonly maxBytes: number;
  readonly batchSize: number;
  readonly minBatchSize: number;
  readonly concurrency: number;
}

export interface GovernorDecision {
  readonly state: GovernorState;
  readonly previous: GovernorState;
  readonly changed: boolean;
}

/** Leave CAUTIOUS only well below the warning line, so a reading hovering at it does not flap. */
const RECOVERY_FRACTION = 0.85;

export class Governor {
  private current: GovernorState = 'NORMAL';
  private peak = 0;

  constructor(readonly limits: GovernorLimits) {}

  get state(): GovernorState {
    return this.current;
  }

  get peakRss(): number {
    return this.peak;
  }

  /** Feeds one RSS reading. BREAKER is sticky: only resetBreaker() leaves it. */
  observe(rssBytes: number): GovernorDecision {
    this.peak = Math.max(this.peak, rssBytes);
    const previous = this.current;
    if (previous === 'BREAKER') return { state: previous, previous, changed: false };
    let next: GovernorState = previous;
    if (rssBytes >= this.limits.maxBytes) next = 'BREAKER';
    else if (rssBytes >= this.limits.warnBytes) next = 'CAUTIOUS';
    else if (previous === 'CAUTIOUS' && rssBytes < this.limits.warnBytes * RECOVERY_FRACTION) next = 'NORMAL';
    this.current = next;
    return { state: next, previous, changed: next !== previous };
  }

  /** After a breaker pause: memory fell below the warning line, so resume at the minimum batch size. */
  resetBreaker(): void {
    if (this.current === 'BREAKER') this.current = 'CAUTIOUS';
  }

  /** Records per batch (and per commit) in the current state. */
  batchSize(): number {
    return this.current === 'NORMAL' ? this.limits.batchSize : this.limits.minBatchSize;
  }

  /** Ceiling for requests in flight: halved under pressure, none at the breaker. */
  concurrencyCeiling(): number {
    return this.ceilingFor(this.limits.concurrency);
  }

  /** The same rule for one route's own --concurrency (each route is its own pool under one governor). */
  ceilingFor(base: number): number {
    if (this.current === 'NORMAL') return base;
    if (this.current === 'CAUTIOUS') return Math.max(1, Math.floor(base / 2));
    return 0;
  }
}

/**
 * After the breaker stops intake and everything is committed: wait and re-sample with doubling waits that add
 * up to `totalMs` (--breaker-wait, 10 s by default). Resumes when a reading falls below the warning line.
 */
export function breakerWaits(totalMs: number, firstMs = 250): number[] {
  const waits: number[] = [];
  let left = totalMs;
  for (let wait = firstMs; left > 0; wait *= 2) {
    const next = Math.min(wait, left);
    waits.push(next);
    left -= next;
  }
  return waits;
}

export function breakerVerdict(rssBytes: number, warnBytes: number): 'resume' | 'wait' {
  return rssBytes < warnBytes ? 'resume' : 'wait';
}
