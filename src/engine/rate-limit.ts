// Client-side limits: --rpm / --tpm as token buckets (hard caps; the server's own limits are src/traffic/'s).
import { sleep } from './retry.js';

export type Clock = () => number;

const MINUTE_MS = 60_000;

/**
 * A bucket of `capacityPerMinute` tokens that refills continuously (capacity / 60 s) and starts full.
 * `--rpm` takes 1 per request, `--tpm` the request's estimated tokens.
 */
export class TokenBucket {
  readonly capacity: number;
  private tokens: number;
  private updatedAt: number;
  private readonly perMs: number;

  constructor(
    capacityPerMinute: number,
    private readonly now: Clock = Date.now,
  ) {
    if (!(capacityPerMinute > 0)) throw new RangeError(`capacity per minute must be > 0, got ${capacityPerMinute}`);
    this.capacity = capacityPerMinute;
    this.tokens = capacityPerMinute;
    this.perMs = capacityPerMinute / MINUTE_MS;
    this.updatedAt = now();
  }

  /**
   * Takes `n` tokens and returns 0, or takes nothing and returns the milliseconds until `n` will be there.
   * A request larger than the whole bucket is let through when the bucket is full (it cannot ever fit),
   * leaving the bucket in debt so the next requests wait for it.
   */
  take(n: number): number {
    this.refill();
    const needed = Math.min(n, this.capacity);
    if (this.tokens >= needed) {
      this.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((needed - this.tokens) / this.perMs));
  }

  /** Gives back tokens taken for work that was not done, or the part of an estimate that was not used. */
  refund(n: number): void {
    this.refill();
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, n));
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const at = this.now();
    const elapsed = at - this.updatedAt;
    if (elapsed > 0) this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perMs);
    this.updatedAt = Math.max(this.updatedAt, at);
  }
}

/** Waits until `bucket` grants `n` tokens; rejects with an AbortError when `signal` fires. */
export async function takeTokens(bucket: TokenBucket, n: number, signal: AbortSignal): Promise<void> {
  for (let wait = bucket.take(n); wait > 0; wait = bucket.take(n)) await sleep(wait, signal);
}
