// The work in flight (a chat request, an embeddings pack): counted for the intake window, awaited on drain.
// A piece of work that throws is a bug or a checkpoint failure, never an API error: it goes to `onError`.

export class WorkTracker {
  private activeCount = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly onError: (error: unknown) => void) {}

  get active(): number {
    return this.activeCount;
  }

  track(work: Promise<void>): void {
    this.activeCount++;
    work
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.activeCount--;
        this.wake();
      });
  }

  /** Resolves when any piece of work finishes, or wake() is called (a stop ends every wait at once). */
  nextFinished(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Waits until nothing is in flight; after `graceMs` (when given) calls `onGraceOver` once. */
  async drain(graceMs: number | undefined, onGraceOver: () => void): Promise<void> {
    const timer = graceMs === undefined ? undefined : setTimeout(onGraceOver, graceMs);
    try {
      while (this.activeCount > 0) await this.nextFinished();
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
