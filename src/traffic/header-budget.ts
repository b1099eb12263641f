// Proactive pacing from x-ratelimit-* (or anthropic-ratelimit-*): a mirror of the server's request and token
// buckets, re-synchronised on every answer, so a run that knows its budget spends it without hitting the limit.
import type { RateLimitSnapshot } from '../provider/rate-limit-headers.js';

export interface Cost {
  readonly requests: number;
  readonly tokens: number;
}

export interface BudgetWait {
  /** Milliseconds until both buckets hold the cost (0: now). */
  readonly waitMs: number;
  /** The server itself said the budget is out (its remaining is below the cost): a hold, not pacing. */
  readonly exhausted: boolean;
}

export interface HeaderBudgetOptions {
  /** Share of a known limit kept unspent against answers still in flight and clock skew (default 0.01). */
  readonly reserveShare?: number;
}

/** One of the server's buckets as we project it between answers. */
class MirrorBucket {
  private level = 0;
  private at = 0;
  private capacity: number | undefined;
  /** Refill per ms, from (limit - remaining) / reset: OpenAI's buckets refill continuously until the reset. */
  private refillPerMs: number | undefined;
  private resetAt = 0;
  private reported = 0;

  constructor(private readonly reserveShare: number) {}

  sync(remaining: number, limit: number | undefined, resetMs: number | undefined, inFlight: number, now: number): void {
    this.capacity = limit ?? this.capacity;
    if (limit !== undefined && resetMs !== undefined && resetMs > 0 && remaining < limit) this.refillPerMs = (limit - remaining) / resetMs;
    this.resetAt = now + (resetMs ?? 0);
    this.reported = remaining;
    // Requests still in flight may not be counted in `remaining` yet: assume they are not (spend less, not more).
    this.level = remaining - inFlight;
    this.at = now;
  }

  take(cost: number, now: number): void {
    this.level = this.project(now) - cost;
    this.at = now;
  }

  wait(cost: number, now: number): BudgetWait {
    if (cost <= 0) return { waitMs: 0, exhausted: false };
    const reserve = this.capacity === undefined ? 0 : this.capacity * this.reserveShare;
    const need = Math.min(cost + reserve, this.capacity ?? Number.POSITIVE_INFINITY);
    const level = this.project(now);
    if (level >= need) return { waitMs: 0, exhausted: false };
    const exhausted = this.reported < cost;
    if (this.refillPerMs !== undefined) return { waitMs: Math.ceil((need - level) / this.refillPerMs), exhausted };
    return { waitMs: Math.max(0, Math.ceil(this.resetAt - now)), exhausted };
  }

  refillPerSecond(): number | undefined {
    return this.refillPerMs === undefined ? undefined : this.refillPerMs * 1000;
  }

  private project(now: number): number {
    const elapsed = Math.max(0, now - this.at);
    if (this.refillPerMs === undefined) return now >= this.resetAt ? Number.POSITIVE_INFINITY : this.level;
    return Math.min(this.capacity ?? Number.POSITIVE_INFINITY, this.level + elapsed * this.refillPerMs);
  }
}

export class HeaderBudget {
  private requests: MirrorBucket | undefined;
  private tokens: MirrorBucket | undefined;
  private readonly reserveShare: number;

  constructor(options: HeaderBudgetOptions = {}) {
    this.reserveShare = options.reserveShare ?? 0.01;
  }

  /** Whether any answer has told us a budget yet (until then it never waits). */
  get known(): boolean {
    return this.requests !== undefined || this.tokens !== undefined;
  }

  onSnapshot(snapshot: RateLimitSnapshot, inFlight: Cost, now: number): void {
    if (snapshot.remainingRequests !== undefined) {
      this.requests ??= new MirrorBucket(this.reserveShare);
      this.requests.sync(snapshot.remainingRequests, snapshot.limitRequests, snapshot.resetRequestsMs, inFlight.requests, now);
    }
    if (snapshot.remainingTokens !== undefined) {
      this.tokens ??= new MirrorBucket(this.reserveShare);
      this.tokens.sync(snapshot.remainingTokens, snapshot.limitTokens, snapshot.resetTokensMs, inFlight.tokens, now);
    }
  }

  /**
   * The tighter of the two buckets. A token reset of `6m0s` costs only the time the bucket needs to refill
   * this request's tokens, not six minutes, because the refill rate is known from limit, remaining and reset.
   */
  wait(cost: Cost, now: number): BudgetWait {
    const requests = this.requests?.wait(cost.requests, now) ?? NO_WAIT;
    const tokens = this.tokens?.wait(cost.tokens, now) ?? NO_WAIT;
    const tighter = requests.waitMs >= tokens.waitMs ? requests : tokens;
    return { waitMs: tighter.waitMs, exhausted: tighter.waitMs > 0 && tighter.exhausted };
  }

  take(cost: Cost, now: number): void {
    this.requests?.take(cost.requests, now);
    this.tokens?.take(cost.tokens, now);
  }

  /** The request rate the server refills, when its headers tell it. */
  refillRequestsPerSecond(): number | undefined {
    return this.requests?.refillPerSecond();
  }
}

const NO_WAIT: BudgetWait = { waitMs: 0, exhausted: false };
