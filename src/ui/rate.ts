// Events per second over a sliding window, from a running total. Fixed memory and O(1) per observation,
// because the progress display is updated on every commit of a run that may last days.

export interface SlidingRateOptions {
  windowMs: number;
  /** Checkpoints kept across the window; the rate's time resolution is windowMs / slots. */
  slots?: number;
}

export class SlidingRate {
  private readonly windowMs: number;
  private readonly resolutionMs: number;
  private readonly times: Float64Array;
  private readonly totals: Float64Array;
  /** Index of the oldest checkpoint. */
  private head = 0;
  private count = 0;
  private latestTotal = 0;

  constructor(options: SlidingRateOptions) {
    const slots = Math.max(2, Math.floor(options.slots ?? 20));
    this.windowMs = options.windowMs;
    this.resolutionMs = options.windowMs / slots;
    // One more than the slots, so the window's start stays covered after the ring wraps.
    this.times = new Float64Array(slots + 1);
    this.totals = new Float64Array(slots + 1);
  }

  /** Record that the running total is `total` at time `at` (ms). Totals never go down. */
  observe(total: number, at: number): void {
    this.latestTotal = total;
    if (this.count > 0 && at - this.time(this.count - 1) < this.resolutionMs) return;
    const capacity = this.times.length;
    const index = (this.head + this.count) % capacity;
    this.times[index] = at;
    this.totals[index] = total;
    if (this.count < capacity) this.count += 1;
    else this.head = (this.head + 1) % capacity;
  }

  /** Per second over the last window ending at `at`; falls towards 0 while nothing is observed. */
  perSecond(at: number): number {
    if (this.count === 0) return 0;
    // The base is the newest checkpoint at or before the window's start, else the oldest one we have.
    let base = 0;
    for (let position = 1; position < this.count; position += 1) {
      if (this.time(position) <= at - this.windowMs) base = position;
      else break;
    }
    const elapsedMs = at - this.time(base);
    if (elapsedMs <= 0) return 0;
    return Math.max(0, ((this.latestTotal - this.total(base)) * 1000) / elapsedMs);
  }

  private time(position: number): number {
    return this.times[(this.head + position) % this.times.length] ?? 0;
  }

  private total(position: number): number {
    return this.totals[(this.head + position) % this.totals.length] ?? 0;
  }
}
