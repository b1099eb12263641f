// The last answers of one server, as a sliding window: how many were refused, and how fast they were accepted.
// A ring buffer with running counts: every answer reads these, so nothing here scans the window.
import type { Clock } from './clock.js';

export interface RecentAnswersOptions {
  /** Most answers kept (default 4096: a whole window up to about 4k answers/s). */
  readonly capacity?: number;
  /** Answers older than this are forgotten (default 1 s). */
  readonly windowMs?: number;
}

export class RecentAnswers {
  private readonly times: Float64Array;
  private readonly refusals: Uint8Array;
  /** Index of the oldest answer kept, and how many are kept. */
  private head = 0;
  private size = 0;
  private refused = 0;
  private readonly capacity: number;
  private readonly windowMs: number;
  private firstSentAt: number | undefined;

  constructor(
    private readonly now: Clock,
    options: RecentAnswersOptions = {},
  ) {
    this.capacity = Math.max(1, options.capacity ?? 4096);
    this.windowMs = Math.max(1, options.windowMs ?? 1000);
    this.times = new Float64Array(this.capacity);
    this.refusals = new Uint8Array(this.capacity);
  }

  /** When the first request went out: the accepted rate is measured from then, not from the first answer. */
  noteSent(at: number = this.now()): void {
    this.firstSentAt ??= at;
  }

  add(refused: boolean, at: number = this.now()): void {
    if (this.size === this.capacity) this.dropOldest();
    const index = (this.head + this.size) % this.capacity;
    this.times[index] = at;
    this.refusals[index] = refused ? 1 : 0;
    this.size++;
    if (refused) this.refused++;
  }

  /** Answers still inside the window. */
  count(): number {
    this.forgetOld();
    return this.size;
  }

  /** Share of the answers in the window that were refused (0 with no answers). */
  refusedShare(): number {
    this.forgetOld();
    return this.size === 0 ? 0 : this.refused / this.size;
  }

  /** Refused share among answers that arrived at or after `since` (a cut's evaluation), with how many there were. */
  refusedShareSince(since: number): { readonly share: number; readonly samples: number } {
    this.forgetOld();
    let samples = 0;
    let refused = 0;
    // From the newest back: only a cut's evaluation calls this, over the part of the window after the cut.
    for (let offset = this.size - 1; offset >= 0; offset--) {
      const index = (this.head + offset) % this.capacity;
      if ((this.times[index] ?? 0) < since) break;
      samples++;
      refused += this.refusals[index] ?? 0;
    }
    return samples === 0 ? { share: 0, samples: 0 } : { share: refused / samples, samples };
  }

  /** Accepted answers per second over the window (or since the first send, when that is shorter); 0 when none. */
  acceptedPerSecond(): number {
    this.forgetOld();
    const accepted = this.size - this.refused;
    return accepted === 0 ? 0 : (accepted * 1000) / this.spanMs();
  }

  /**
   * The time the accepted rate is measured over: the window, or less just after the first send or when the buffer is
   * cut short by its capacity. A rate measured over a few dozen milliseconds of a start-up says little.
   */
  spanMs(): number {
    this.forgetOld();
    const at = this.now();
    const oldest = this.size === 0 ? at : (this.times[this.head] ?? at);
    const start = this.size >= this.capacity ? oldest : Math.max(at - this.windowMs, this.firstSentAt ?? oldest);
    return Math.max(1, at - start);
  }

  private forgetOld(): void {
    const cutoff = this.now() - this.windowMs;
    while (this.size > 0 && (this.times[this.head] ?? 0) < cutoff) this.dropOldest();
  }

  private dropOldest(): void {
    if (this.refusals[this.head] === 1) this.refused--;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }
}
