// The spend breaker of --max-cost: before a request is sent its estimated cost is reserved; when its answer
// arrives the reservation is replaced by the real cost. spent + reserved never exceeds the budget, so calls in
// flight cannot overshoot it (as checking before each call would). When nothing is in flight and the next
// reservation does not fit, the budget is exhausted: the engine halts with exit 75, resumable.
import { formatUsd } from './model-price.js';

export interface Reservation {
  readonly id: number;
  readonly usd: number;
}

export type ReserveVerdict = Reservation | 'wait' | 'exhausted';

/** Float sums of many small prices drift by far less than this; it keeps an exact fit from being refused. */
const EPSILON_USD = 1e-9;

export class SpendBudget {
  readonly limitUsd: number;
  private spent: number;
  private reserved = 0;
  private readonly open = new Map<number, number>();
  private nextId = 1;
  private exhaustedAt: number | undefined;
  private waiters: (() => void)[] = [];

  /** `spentUsd`: already spent against this budget (0 for a per-run budget). */
  constructor(limitUsd: number, spentUsd = 0) {
    if (!(limitUsd > 0)) throw new Error('a spend budget must be above zero');
    this.limitUsd = limitUsd;
    this.spent = spentUsd;
  }

  get spentUsd(): number {
    return this.spent;
  }

  get reservedUsd(): number {
    return this.reserved;
  }

  get inFlight(): number {
    return this.open.size;
  }

  /** Dollars spent past the limit: only an answer that cost more than its reservation can cause it. */
  get overshootUsd(): number {
    return Math.max(0, this.spent - this.limitUsd);
  }

  /** Once a reservation could not fit any more, every later one is refused too: the run halts. */
  get exhausted(): boolean {
    return this.exhaustedAt !== undefined;
  }

  /**
   * A reservation when the estimate fits beside what is spent and reserved; 'wait' when it would fit once
   * requests in flight settle below their reservations; 'exhausted' when it cannot fit any more.
   */
  reserve(estimateUsd: number): ReserveVerdict {
    if (!(estimateUsd >= 0) || !Number.isFinite(estimateUsd)) throw new Error(`a spend estimate must be a finite amount >= 0, got ${estimateUsd}`);
    if (this.exhaustedAt !== undefined) return 'exhausted';
    if (this.spent + this.reserved + estimateUsd <= this.limitUsd + EPSILON_USD) {
      const reservation = { id: this.nextId++, usd: estimateUsd };
      this.open.set(reservation.id, estimateUsd);
      this.reserved += estimateUsd;
      return reservation;
    }
    // Settling only adds to what is spent: what does not fit beside the spend alone never will.
    if (this.open.size > 0 && this.spent + estimateUsd <= this.limitUsd + EPSILON_USD) return 'wait';
    this.exhaustedAt = estimateUsd;
    return 'exhausted';
  }

  /** The answer arrived: its real cost replaces the reservation. */
  settle(reservation: Reservation, actualUsd: number): void {
    this.close(reservation);
    this.spent += actualUsd;
    this.wake();
  }

  /** The request was not charged (never sent, or refused before any work): its reservation is given back. */
  release(reservation: Reservation): void {
    this.close(reservation);
    this.wake();
  }

  /** Resolves at the next settle or release: await it after a 'wait' instead of polling. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The summary's halt_reason once the budget is exhausted. */
  haltReason(): string {
    const next = this.exhaustedAt === undefined ? '' : `, the next request needs about ${formatUsd(this.exhaustedAt)}`;
    return `spend budget --max-cost ${formatUsd(this.limitUsd)} reached: spent ${formatUsd(this.spent)}${next}; rerun with a larger --max-cost to resume`;
  }

  private close(reservation: Reservation): void {
    const amount = this.open.get(reservation.id);
    if (amount === undefined) throw new Error(`reservation ${reservation.id} was already settled or released`);
    this.open.delete(reservation.id);
    this.reserved = this.open.size === 0 ? 0 : this.reserved - amount;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
