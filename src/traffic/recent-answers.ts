// The last answers of one server, as a sliding window: how many were refused, and how fast they were accepted.
import type { Clock } from './clock.js';

export interface RecentAnswersOptions {
  /** Most answers kept (default 200). */
  readonly capacity?: number;
  /** Answers older than this are forgotten (default 1 s). */
  readonly windowMs?: number;
}

interface Answer {
  readonly at: number;
  readonly refused: boolean;
}

export class RecentAnswers {
  private readonly answers: Answer[] = [];
  private readonly capacity: number;
  private readonly windowMs: number;
  private firstSentAt: number | undefined;

  constructor(
    private readonly now: Clock,
    options: RecentAnswersOptions = {},
  ) {
    this.capacity = Math.max(1, options.capacity ?? 200);
    this.windowMs = Math.max(1, options.windowMs ?? 1000);
  }

  /** When the first request went out: the accepted rate is measured from then, not from the first answer. */
  noteSent(at: number = this.now()): void {
    this.firstSentAt ??= at;
  }

  add(refused: boolean, at: number = this.now()): void {
    this.answers.push({ at, refused });
    if (this.answers.length > this.capacity) this.answers.shift();
  }

  /** Answers still inside the window. */
  count(): number {
    return this.live().length;
  }

  /** Share of the answers in the window that were refused (0 with no answers). */
  refusedShare(): number {
    const live = this.live();
    if (live.length === 0) return 0;
    return live.filter((answer) => answer.refused).length / live.length;
  }

  /** Refused share among answers that arrived at or after `since` (a cut's evaluation), with how many there were. */
  refusedShareSince(since: number): { readonly share: number; readonly samples: number } {
    const after = this.live().filter((answer) => answer.at >= since);
    if (after.length === 0) return { share: 0, samples: 0 };
    return { share: after.filter((answer) => answer.refused).length / after.length, samples: after.length };
  }

  /** Accepted answers per second over the window (or since the first send, when that is shorter); 0 when none. */
  acceptedPerSecond(): number {
    const live = this.live();
    const accepted = live.filter((answer) => !answer.refused).length;
    if (accepted === 0) return 0;
    const at = this.now();
    const oldest = live[0]?.at ?? at;
    // A buffer cut short by its capacity is measured from its oldest answer, else over the window since the first send.
    const start = live.length >= this.capacity ? oldest : Math.max(at - this.windowMs, this.firstSentAt ?? oldest);
    const spanMs = Math.max(1, at - start);
    return (accepted * 1000) / spanMs;
  }

  private live(): readonly Answer[] {
    const cutoff = this.now() - this.windowMs;
    let drop = 0;
    while (drop < this.answers.length && (this.answers[drop]?.at ?? 0) < cutoff) drop++;
    if (drop > 0) this.answers.splice(0, drop);
    return this.answers;
  }
}
