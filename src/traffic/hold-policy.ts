// When the WHOLE server is held: only on evidence its shared limit is exhausted. One 429 among many successes
// delays only its own retry; most of the recent answers refused holds everyone for a short, RTT-ish while.

export interface HoldPolicyOptions {
  /** Hold when more than this share of the recent answers were refused (default 0.5). */
  readonly refusedShare?: number;
  /** ...and the window holds at least this many answers (default 10), so two 429s out of three do not hold. */
  readonly minAnswers?: number;
}

export type HoldReason = 'refused-share' | 'budget-exhausted';

/** Time spent held, as a union of intervals: overlapping holds are counted once. */
export class HeldTime {
  private total = 0;
  private coveredUntil = Number.NEGATIVE_INFINITY;

  add(from: number, until: number): void {
    if (!(until > from)) return;
    const start = Math.max(from, this.coveredUntil);
    if (until > start) this.total += until - start;
    this.coveredUntil = Math.max(this.coveredUntil, until);
  }

  /** Held milliseconds up to `now` (a hold still running counts up to now, not to its end). */
  totalMs(now: number): number {
    // Holds start when they are decided, so the only uncounted part is the one still ahead.
    return this.total - Math.max(0, this.coveredUntil - now);
  }
}

export class HoldPolicy {
  private until = Number.NEGATIVE_INFINITY;
  private readonly threshold: number;
  private readonly minAnswers: number;
  readonly held = new HeldTime();

  constructor(options: HoldPolicyOptions = {}) {
    this.threshold = options.refusedShare ?? 0.5;
    this.minAnswers = Math.max(1, options.minAnswers ?? 10);
  }

  /** After a 429: holds the server for `holdMs` when most recent answers were refused. Returns whether it held. */
  onRefused(now: number, recent: { readonly refusedShare: number; readonly answers: number }, holdMs: number): boolean {
    if (recent.answers < this.minAnswers || recent.refusedShare <= this.threshold) return false;
    this.holdUntil(now, now + holdMs);
    return true;
  }

  /** A hold the server's headers imply (remaining at 0 until the needed budget is back). */
  holdUntil(now: number, until: number): void {
    if (!(until > now)) return;
    this.held.add(now, until);
    this.until = Math.max(this.until, until);
  }

  remainingMs(now: number): number {
    return Math.max(0, Math.ceil(this.until - now));
  }
}
