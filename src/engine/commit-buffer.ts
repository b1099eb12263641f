// Holds finished outcomes until their batch commits: when it is full, or ~100 ms after its first result,
// so a kill loses at most the requests in flight plus one uncommitted batch.
import type { Outcome } from '../checkpoint/store.js';

export const COMMIT_WINDOW_MS = 100;
/** Skipped records are cheap to mark; commit them in larger groups so a resume is fast. */
const MAX_SEEN_PER_COMMIT = 1024;

export class CommitBuffer {
  private outcomes: Outcome[] = [];
  private results = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (outcomes: readonly Outcome[]) => void,
    private readonly batchSize: () => number,
  ) {}

  get size(): number {
    return this.outcomes.length;
  }

  add(outcome: Outcome): void {
    this.outcomes.push(outcome);
    if (outcome.kind !== 'seen' && outcome.kind !== 'vector') this.results++;
    if (this.results >= this.batchSize() || this.outcomes.length >= MAX_SEEN_PER_COMMIT) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), COMMIT_WINDOW_MS);
      this.timer.unref();
    }
  }

  /** Commits everything held, in one transaction. Synchronous: nothing can interleave with it. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.outcomes.length === 0) return;
    const outcomes = this.outcomes;
    this.outcomes = [];
    this.results = 0;
    this.write(outcomes);
  }
}
