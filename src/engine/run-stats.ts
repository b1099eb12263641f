// The run's counters, in one place: the reader, the settler, the dispatcher and the breaker all count here.
import type { RunCounters } from '../checkpoint/store.js';

export class RunStats {
  recordsRead = 0;
  done = 0;
  failed = 0;
  skipped = 0;
  requests = 0;
  cacheHits = 0;
  retries = 0;
  /** 429 answers. */
  throttled = 0;
  /** Traffic control's counts (the dispatcher's traffic layer keeps them current). */
  rateLimited = 0;
  backpressure = 0;
  learnedRateRps: number | null = null;
  heldMs = 0;
  /** A gauge for the progress bar (not stored): the share of the last second's answers that were 429s. */
  refusedShare = 0;
  /** A gauge (not stored): requests waiting out a retry delay. They hold no slot, so the intake window skips them. */
  waitingRetries = 0;
  peakRss = 0;
  breakerTrips = 0;
  breakerResets = 0;

  notePeak(rss: number): void {
    if (rss > this.peakRss) this.peakRss = rss;
  }

  /** A copy, as the checkpoint's runs row stores it. */
  snapshot(): RunCounters {
    return {
      recordsRead: this.recordsRead,
      done: this.done,
      failed: this.failed,
      skipped: this.skipped,
      requests: this.requests,
      cacheHits: this.cacheHits,
      retries: this.retries,
      throttled: this.throttled,
      rateLimited: this.rateLimited,
      backpressure: this.backpressure,
      learnedRateRps: this.learnedRateRps,
      heldMs: this.heldMs,
      peakRss: this.peakRss,
      breakerTrips: this.breakerTrips,
      breakerResets: this.breakerResets,
    };
  }
}
