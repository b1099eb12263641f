// The one object the dispatcher talks to about a server's traffic: admit() before each attempt, then exactly one
// of onAnswer / onRefused / onBackpressure / onFailure for that attempt. One TrafficControl per server (route).
import type { RateLimitSnapshot } from '../provider/rate-limit-headers.js';
import { type Clock, type Sleep, systemClock, systemSleep } from './clock.js';
import { type Cost, HeaderBudget, type HeaderBudgetOptions } from './header-budget.js';
import { HoldPolicy, type HoldPolicyOptions } from './hold-policy.js';
import { RatePacer, type RatePacerOptions } from './rate-pacer.js';
import { RecentAnswers, type RecentAnswersOptions } from './recent-answers.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, requestRetryDelay } from './retry-delay.js';

export interface TrafficControlOptions {
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly pacer?: RatePacerOptions;
  readonly hold?: HoldPolicyOptions;
  readonly budget?: HeaderBudgetOptions;
  readonly recent?: RecentAnswersOptions;
  readonly backoff?: BackoffPolicy;
  /** The shortest guard window between two rate cuts, and the length of a refused-share hold (default 100 ms). */
  readonly minGuardMs?: number;
}

/** One admitted attempt; hand it back in exactly one of the on* calls. */
export interface Ticket {
  readonly tokens: number;
  readonly sentAt: number;
}

export interface TrafficStats {
  /** 429s received (rate refusals, not quota). */
  readonly rateLimited: number;
  /** 503 "server busy" / 529 overloaded answers. */
  readonly backpressure: number;
  /** Requests/s it paces to (learned by AIMD, or the refill the headers tell); null while unbounded. */
  readonly learnedRateRps: number | null;
  /** Wall time the whole server was held (overlapping holds once). */
  readonly heldMs: number;
  /** Share of the recent answers (last second) that were 429s. */
  readonly refusedShare: number;
  /** Times the learned rate was cut. */
  readonly rateCuts: number;
}

const LATENCY_SMOOTHING = 0.2;

export class TrafficControl {
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly minGuardMs: number;
  private readonly pacer: RatePacer;
  private readonly budget: HeaderBudget;
  private readonly hold: HoldPolicy;
  private readonly recent: RecentAnswers;
  private inFlight: { requests: number; tokens: number } = { requests: 0, tokens: 0 };
  private latencyMs: number | undefined;
  private rateLimited = 0;
  private backpressure = 0;

  constructor(options: TrafficControlOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? systemSleep;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.minGuardMs = options.minGuardMs ?? 100;
    this.pacer = new RatePacer(options.pacer);
    this.budget = new HeaderBudget(options.budget);
    this.hold = new HoldPolicy(options.hold);
    this.recent = new RecentAnswers(this.clock, options.recent);
  }

  /** Waits until an attempt costing `estimatedTokens` may go, and books it. Rejects when `signal` aborts. */
  async admit(estimatedTokens: number, signal: AbortSignal): Promise<Ticket> {
    for (;;) {
      signal.throwIfAborted();
      const admitted = this.tryAdmit(estimatedTokens);
      if (typeof admitted !== 'number') return admitted;
      await this.sleep(admitted, signal);
    }
  }

  /** The same without waiting: a ticket when the attempt may go now, else the milliseconds to wait first. */
  tryAdmit(estimatedTokens: number): Ticket | number {
    const now = this.clock();
    const cost: Cost = { requests: 1, tokens: Math.max(0, estimatedTokens) };
    const budget = this.budget.wait(cost, now);
    if (budget.exhausted) this.hold.holdUntil(now, now + budget.waitMs);
    const wait = Math.max(this.hold.remainingMs(now), budget.waitMs, this.pacer.waitMs(now));
    if (wait > 0) return wait;
    this.pacer.take(now);
    this.budget.take(cost, now);
    this.recent.noteSent(now);
    this.inFlight = { requests: this.inFlight.requests + 1, tokens: this.inFlight.tokens + cost.tokens };
    return { tokens: cost.tokens, sentAt: now };
  }

  /** A 2xx answer, with the rate-limit headers it carried. */
  onAnswer(ticket: Ticket, snapshot?: RateLimitSnapshot): void {
    const now = this.settle(ticket, snapshot);
    this.recent.add(false, now);
    this.pacer.observe(now, this.guardMs(), (since) => this.recent.refusedShareSince(since));
    this.pacer.onAnswer(now, this.guardMs());
  }

  /** A 429 (not a quota 429, which stops the run): a rate signal. Retry it after `retryDelay`. */
  onRefused(ticket: Ticket, snapshot?: RateLimitSnapshot): void {
    const now = this.settle(ticket, snapshot);
    this.rateLimited++;
    this.recent.add(true, now);
    const guardMs = this.guardMs();
    this.pacer.observe(now, guardMs, (since) => this.recent.refusedShareSince(since));
    const refusedShare = this.recent.refusedShare();
    const answers = this.recent.count();
    const acceptedPerSecond = this.recent.acceptedPerSecond();
    this.pacer.onRefused(now, { acceptedPerSecond, refusedShare, answers, spanMs: this.recent.spanMs(), guardMs });
    this.hold.onRefused(now, { refusedShare, answers }, guardMs);
  }

  /** 503 server busy / 529 overloaded: the caller lowers its concurrency (this is not a rate signal) and retries. */
  onBackpressure(ticket: Ticket, snapshot?: RateLimitSnapshot): void {
    this.settle(ticket, snapshot);
    this.backpressure++;
  }

  /** Any other end of an attempt (5xx, network, timeout, abort, not sent after all): frees what it booked in flight. */
  onFailure(ticket: Ticket): void {
    this.release(ticket);
  }

  /** The wait before retry `attempt` (1 = first retry) of a request that was refused or failed. */
  retryDelay(attempt: number, retryAfterMs?: number): number {
    return requestRetryDelay(Math.max(0, attempt - 1), retryAfterMs, this.random, this.backoff);
  }

  stats(): TrafficStats {
    const now = this.clock();
    const paced = this.pacer.rateRps;
    const refill = this.budget.refillRequestsPerSecond();
    const rates = [Number.isFinite(paced) ? paced : undefined, refill].filter((rate): rate is number => rate !== undefined);
    return {
      rateLimited: this.rateLimited,
      backpressure: this.backpressure,
      learnedRateRps: rates.length === 0 ? null : Math.min(...rates),
      heldMs: this.hold.held.totalMs(now),
      refusedShare: this.recent.refusedShare(),
      rateCuts: this.pacer.cutCount,
    };
  }

  private settle(ticket: Ticket, snapshot: RateLimitSnapshot | undefined): number {
    const now = this.clock();
    this.release(ticket);
    const latency = Math.max(0, now - ticket.sentAt);
    this.latencyMs = this.latencyMs === undefined ? latency : this.latencyMs + LATENCY_SMOOTHING * (latency - this.latencyMs);
    if (snapshot !== undefined) this.budget.onSnapshot(snapshot, this.inFlight, now);
    return now;
  }

  private release(ticket: Ticket): void {
    this.inFlight = { requests: Math.max(0, this.inFlight.requests - 1), tokens: Math.max(0, this.inFlight.tokens - ticket.tokens) };
  }

  /** RTT-ish: the requests in flight when a cut happens all answer within about two latencies. */
  private guardMs(): number {
    return Math.max(this.minGuardMs, 2 * (this.latencyMs ?? 0));
  }
}
