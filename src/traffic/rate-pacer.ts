// The send rate one server accepts, learned by AIMD on the RATE (not on concurrency): unbounded until the first
// 429, then cut to just below the accepted rate, grown back slowly while answers succeed.

export interface RatePacerOptions {
  /** Factor of a cut, applied to the accepted rate (default 0.9: a sawtooth averaging ~95% of the limit). */
  readonly decrease?: number;
  /** Growth per second of success, as a share of the rate (default 0.05). */
  readonly increasePerSecond?: number;
  /** Growth per second never below this many requests/s (default 1), so small rates recover too. */
  readonly minIncreaseRps?: number;
  /** The rate is never cut below this (default 0.5 requests/s). */
  readonly minRateRps?: number;
  /** Sends allowed ahead of the schedule, as a burst (default 2). */
  readonly burst?: number;
}

/** What the window of recent answers says when a 429 arrives. */
export interface RefusalEvidence {
  readonly acceptedPerSecond: number;
  readonly refusedShare: number;
  /** Cuts closer than this to the last one are the same overshoot (RTT-ish; the facade derives it from latency). */
  readonly guardMs: number;
}

export interface ShareSample {
  readonly share: number;
  readonly samples: number;
}

interface PendingCut {
  readonly at: number;
  readonly previousRate: number;
  readonly shareBefore: number;
}

/** A cut is judged on at least this many answers sent after it. */
const MIN_EVALUATION_SAMPLES = 20;
/** A cut is only undone for small refusal shares: a large share is an overshoot however little a cut helped. */
const UNDO_BELOW_SHARE = 0.25;
/** The share of 429s that come whatever our rate is forgotten with this half-life. */
const BACKGROUND_HALF_LIFE_MS = 30_000;

export class RatePacer {
  private rate = Number.POSITIVE_INFINITY;
  /** Theoretical arrival time of the next send (GCRA). */
  private nextAt = Number.NEGATIVE_INFINITY;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  private lastGrowthAt = Number.NEGATIVE_INFINITY;
  private pending: PendingCut | undefined;
  private background = 0;
  private backgroundAt = 0;
  private cuts = 0;
  private readonly decrease: number;
  private readonly increasePerSecond: number;
  private readonly minIncreaseRps: number;
  private readonly minRateRps: number;
  private readonly burst: number;

  constructor(options: RatePacerOptions = {}) {
    this.decrease = options.decrease ?? 0.9;
    this.increasePerSecond = options.increasePerSecond ?? 0.05;
    this.minIncreaseRps = options.minIncreaseRps ?? 1;
    this.minRateRps = options.minRateRps ?? 0.5;
    this.burst = Math.max(1, options.burst ?? 2);
  }

  /** Requests per second it paces to; Infinity while nothing was refused. */
  get rateRps(): number {
    return this.rate;
  }

  get cutCount(): number {
    return this.cuts;
  }

  /** Milliseconds until the next send may go (0: now). Takes nothing. */
  waitMs(now: number): number {
    if (!Number.isFinite(this.rate)) return 0;
    const tolerance = (this.burst - 1) * this.intervalMs();
    return Math.max(0, Math.ceil(this.nextAt - tolerance - now));
  }

  /** Books one send at `now` on the schedule. */
  take(now: number): void {
    if (!Number.isFinite(this.rate)) return;
    this.nextAt = Math.max(this.nextAt, now - (this.burst - 1) * this.intervalMs()) + this.intervalMs();
  }

  /** A 2xx: grows the rate in proportion to the time since the last growth, once past the guard of the last cut. */
  onAnswer(now: number, guardMs: number): void {
    if (!Number.isFinite(this.rate) || now - this.lastCutAt < guardMs) return;
    const since = Number.isFinite(this.lastGrowthAt) ? Math.min(now - this.lastGrowthAt, 1000) : 0;
    this.lastGrowthAt = now;
    const step = Math.max(this.minIncreaseRps, this.rate * this.increasePerSecond) * (since / 1000);
    this.rate += step;
  }

  /**
   * A 429: cuts the rate to `decrease` x the rate the server accepted, at most once per guard window (one overshoot
   * sends back a burst of 429s), and not for 429s that come at the background share whatever we send.
   * Returns whether it cut.
   */
  onRefused(now: number, evidence: RefusalEvidence): boolean {
    if (now - this.lastCutAt < evidence.guardMs) return false;
    // A small share while the last cut is still being judged waits for the verdict, or shedding would ratchet down.
    if (this.pending !== undefined && evidence.refusedShare < UNDO_BELOW_SHARE) return false;
    const background = this.backgroundShare(now);
    if (background > 0 && evidence.refusedShare <= 2 * background) return false;
    const accepted = evidence.acceptedPerSecond;
    const base = accepted > 0 ? Math.min(this.rate, accepted) : Number.isFinite(this.rate) ? this.rate : undefined;
    if (base === undefined) return false; // nothing accepted yet and no rate: the next answers will tell
    this.pending = { at: now, previousRate: this.rate, shareBefore: evidence.refusedShare };
    this.rate = Math.max(this.minRateRps, base * this.decrease);
    this.lastCutAt = now;
    this.lastGrowthAt = now;
    this.cuts++;
    return true;
  }

  /** Share of 429s judged independent of our rate (load shedding), decaying. */
  backgroundShare(now: number): number {
    if (this.background === 0) return 0;
    return this.background * 2 ** (-(now - this.backgroundAt) / BACKGROUND_HALF_LIFE_MS);
  }

  /**
   * After a cut, answers to requests sent at the new rate tell whether it helped. A rate limit stops refusing
   * below its limit; a server shedding a share of requests refuses the same share at any rate: then the cut is
   * undone and that share becomes the background the next cuts must clear.
   */
  observe(now: number, guardMs: number, shareSince: (since: number) => ShareSample): void {
    const cut = this.pending;
    if (cut === undefined || now - cut.at < 2 * guardMs) return;
    const after = shareSince(cut.at + guardMs);
    if (after.samples < MIN_EVALUATION_SAMPLES) return;
    this.pending = undefined;
    if (cut.shareBefore >= UNDO_BELOW_SHARE || after.share < cut.shareBefore / 2) return;
    this.rate = cut.previousRate;
    this.background = Math.max(this.backgroundShare(now), after.share);
    this.backgroundAt = now;
  }

  private intervalMs(): number {
    return 1000 / this.rate;
  }
}
