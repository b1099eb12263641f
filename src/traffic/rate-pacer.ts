// The send rate one server accepts, learned by AIMD on the RATE (not on concurrency): unbounded until the first
// 429, then cut to just below the accepted rate, grown back slowly while answers succeed.

export interface RatePacerOptions {
  /** Factor of a cut (default 0.9: the sawtooth between 0.9 and 1 x the limit averages ~95% of it; 0.7 would average ~85%). */
  readonly decrease?: number;
  /** Growth per second of success, as a share of the rate (default 0.03). */
  readonly increasePerSecond?: number;
  /** Growth per second added to that, in requests/s (default 1): additive, so shares on one limit converge. */
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
  /** Answers in the window the two numbers above come from. */
  readonly answers: number;
  /** Milliseconds the accepted rate was measured over (short just after the first send). */
  readonly spanMs: number;
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
  /** Answers `shareBefore` was measured on: a share from a handful of early answers says little. */
  readonly answersBefore: number;
  /** The share of 429s to expect after the cut if they came from a limit at the accepted rate. */
  readonly expectedAfter: number;
}

/** A cut is judged on at least this many answers sent after it. */
const MIN_EVALUATION_SAMPLES = 100;
/** The share of 429s that come whatever our rate is forgotten with this half-life. */
const BACKGROUND_HALF_LIFE_MS = 10_000;
/** Refused shares at or above this are never put down to shedding. */
const SHEDDING_AT_MOST = 0.1;
/** Refusals this far above what a limit would explain after a cut undo it (half the share before, when known). */
const UNDO_MARGIN = 0.02;
/** A share before a cut counts when measured on at least this many answers. */
const MIN_SHARE_ANSWERS = 50;
/** The first cut waits for this many answers in the window. */
const MIN_FIRST_CUT_ANSWERS = 10;
/**
 * An accepted rate measured over less than this says little: in a client's own start-up (still warming up, sending
 * in bursts) it is far below the limit. A first cut on a small share waits for it; a cut scaled by less is provisional.
 */
const MEASURED_SPAN_MS = 500;
/** A cut is only undone for small refusal shares: a large share is an overshoot however little a cut helped. */
const UNDO_BELOW_SHARE = 0.25;
/** Below the rate of the last cut, the rate climbs back this share of the gap per second (BIC-style recovery). */
const RECOVERY_PER_SECOND = 0.6;
/**
 * After this long at or above the recovery target without a 429 (CUBIC's plateau), the probe speeds up (+1x per
 * PROBE_SPEEDUP_MS more, up to MAX_PROBE_SPEEDUP): a cut too deep (a stall of our own, a noisy start) or a limit
 * since raised is not paid for minutes. Riding a limit, the 429 comes soon after the plateau, at the slow pace.
 */
const QUIET_BEFORE_SPEEDUP_MS = 1500;
const PROBE_SPEEDUP_MS = 1000;
const MAX_PROBE_SPEEDUP = 8;
/** After a provisional cut the rate doubles every second (as in TCP's slow start) until the next cut. */
const SLOW_START_PER_SECOND = Math.LN2;
/** Recovery aims this close below the rate that was refused, then probes on at the slow additive pace. */
const RECOVERY_TARGET = 0.97;

export class RatePacer {
  private rate = Number.POSITIVE_INFINITY;
  /** Theoretical arrival time of the next send (GCRA). */
  private nextAt = Number.NEGATIVE_INFINITY;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  /** When the rate last came back up to the recovery target after a cut (the probe's quiet time counts from then). */
  private plateauAt = Number.NEGATIVE_INFINITY;
  private lastGrowthAt = Number.NEGATIVE_INFINITY;
  /** The rate in force when the last cut came (the one the server refused); recovery climbs fast towards it. */
  private refusedAt = 0;
  private pending: PendingCut | undefined;
  private cuts = 0;
  /** The last cut scaled by a rate measured over less than MEASURED_SPAN_MS: grow as in slow start until the next. */
  private provisional = false;
  private undone = 0;
  private background = 0;
  private backgroundAt = 0;
  private readonly decrease: number;
  private readonly increasePerSecond: number;
  private readonly minIncreaseRps: number;
  private readonly minRateRps: number;
  private readonly burst: number;

  constructor(options: RatePacerOptions = {}) {
    this.decrease = options.decrease ?? 0.9;
    this.increasePerSecond = options.increasePerSecond ?? 0.03;
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

  /** Cuts undone because the 429s kept coming at the same share (shedding, not our rate). */
  get undoneCount(): number {
    return this.undone;
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
    this.nextAt = Math.max(this.nextAt, now) + this.intervalMs();
  }

  /** A 2xx: grows the rate in proportion to the time since the last growth, once past the guard of the last cut. */
  onAnswer(now: number, guardMs: number): void {
    if (!Number.isFinite(this.rate) || now - this.lastCutAt < guardMs) return;
    const since = Number.isFinite(this.lastGrowthAt) ? Math.min(now - this.lastGrowthAt, 1000) : 0;
    this.lastGrowthAt = now;
    const target = RECOVERY_TARGET * this.refusedAt;
    if (this.rate >= target && this.plateauAt < this.lastCutAt) this.plateauAt = now;
    const quiet = this.plateauAt < this.lastCutAt ? 0 : now - this.plateauAt;
    const quietSpeedup = 1 + Math.max(0, quiet - QUIET_BEFORE_SPEEDUP_MS) / PROBE_SPEEDUP_MS;
    const speedup = Math.min(MAX_PROBE_SPEEDUP, quietSpeedup);
    // The fixed part is the same for every client on a shared limit: that is what evens out their shares.
    const probe = this.provisional
      ? this.rate * SLOW_START_PER_SECOND * (since / 1000)
      : (this.minIncreaseRps + this.rate * this.increasePerSecond) * speedup * (since / 1000);
    // Far below the rate that was refused, most of the gap is known to be safe: close it quickly.
    const gap = target - this.rate;
    const recover = gap > 0 ? gap * Math.min(1, RECOVERY_PER_SECOND * (since / 1000)) : 0;
    this.rate += Math.max(probe, recover);
  }

  /**
   * A 429: cuts the rate to `decrease` x the rate the server accepted, at most once per guard window (one overshoot
   * sends back a burst of 429s), and not while the last cut is still being judged (unless the share is large).
   * Returns whether it cut.
   */
  onRefused(now: number, evidence: RefusalEvidence): boolean {
    if (now - this.lastCutAt < evidence.guardMs) return false;
    // A small share while the last cut is still being judged waits for the verdict, or shedding would ratchet down.
    if (this.pending !== undefined && evidence.refusedShare < UNDO_BELOW_SHARE) return false;
    // The first cut sets the scale: an accepted rate measured on a handful of early answers is noise.
    if (!Number.isFinite(this.rate) && !firstCutEvidence(evidence)) return false;
    const background = this.backgroundShare(now);
    // Shedding is small and steady: a share above SHEDDING_AT_MOST is an overshoot even after an undo.
    if (evidence.refusedShare <= 2 * background && evidence.refusedShare < SHEDDING_AT_MOST) return false;
    const base = cutBase(this.rate, evidence);
    if (base === undefined) return false; // nothing accepted yet and no rate: the next answers will tell
    const rate = Math.max(this.minRateRps, base * this.decrease);
    const accepted = evidence.acceptedPerSecond;
    const expectedAfter = accepted > 0 ? Math.max(0, 1 - accepted / rate) : 0;
    this.pending = { at: now, previousRate: this.rate, shareBefore: evidence.refusedShare, answersBefore: evidence.answers, expectedAfter };
    // What was refused: the paced rate, or what the server took when nothing was paced yet (or far less than that).
    this.refusedAt = base;
    this.provisional = evidence.spanMs < MEASURED_SPAN_MS;
    this.rate = rate;
    this.lastCutAt = now;
    this.lastGrowthAt = now;
    this.cuts++;
    return true;
  }

  /**
   * After a cut, answers to requests sent at the new rate tell whether it helped. A limit at the accepted rate
   * refuses only the part of the new rate above it; a server shedding a share of requests refuses that share at
   * any rate: then the cut is undone (the next 429 may cut again: shedding costs a cut-and-undo cycle, not a ratchet).
   */
  observe(now: number, guardMs: number, shareSince: (since: number) => ShareSample): void {
    const cut = this.pending;
    if (cut === undefined || now - cut.at < 2 * guardMs) return;
    const after = shareSince(cut.at + guardMs);
    if (after.samples < MIN_EVALUATION_SAMPLES) return;
    this.pending = undefined;
    const margin = cut.answersBefore >= MIN_SHARE_ANSWERS ? Math.max(UNDO_MARGIN, cut.shareBefore / 2) : UNDO_MARGIN;
    if (cut.shareBefore >= UNDO_BELOW_SHARE || after.share <= cut.expectedAfter + margin) return;
    this.rate = cut.previousRate;
    this.undone++;
    this.background = Math.max(this.backgroundShare(now), after.share);
    this.backgroundAt = now;
  }

  /** Share of 429s judged independent of our rate (shedding), fading: cuts must clear twice that share. */
  backgroundShare(now: number): number {
    if (this.background === 0) return 0;
    return this.background * 2 ** (-(now - this.backgroundAt) / BACKGROUND_HALF_LIFE_MS);
  }

  private intervalMs(): number {
    return 1000 / this.rate;
  }
}

/** Enough to set the scale: a few answers at a large share (a clear overshoot), or a rate measured long enough. */
function firstCutEvidence(evidence: RefusalEvidence): boolean {
  if (evidence.answers < MIN_FIRST_CUT_ANSWERS) return false;
  return evidence.refusedShare >= SHEDDING_AT_MOST || evidence.spanMs >= MEASURED_SPAN_MS;
}

/**
 * What a cut multiplies. With a rate measured long enough, what the server accepted: at a binding limit that IS
 * the limit (a paced rate above it, say after a fast probe, would only be cut part of the way down). Else the paced
 * rate (plain MD), or the accepted rate when there is no paced rate yet or it is far above what the server took.
 * Undefined: nothing to go on yet.
 */
function cutBase(rate: number, evidence: RefusalEvidence): number | undefined {
  const accepted = evidence.acceptedPerSecond;
  if (!Number.isFinite(rate)) return accepted > 0 ? accepted : undefined;
  if (accepted > 0 && evidence.spanMs >= MEASURED_SPAN_MS) return Math.min(rate, accepted);
  return accepted > 0 && accepted < rate / 2 ? accepted : rate;
}
