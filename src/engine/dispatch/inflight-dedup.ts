// Identical requests in flight share one call (the shape of undici's dedupe interceptor): the first is the
// leader; the others wait for it. A leader that succeeded has settled (committed or buffered) its answer, so a
// follower completes from the cache; a leader that failed hands the turn on, and the next waiter leads.

export type Shared = 'led' | 'followed';

export class InflightDedup {
  /** One entry per request key in flight: its leader's promise, true when it succeeded. */
  private readonly leaders = new Map<string, Promise<boolean>>();

  get size(): number {
    return this.leaders.size;
  }

  /**
   * Runs `lead` unless an identical request is in flight; then waits for it. `lead` sends and settles the
   * request and says whether it succeeded; followers are released only after it returns.
   */
  async share(key: string, lead: () => Promise<boolean>): Promise<Shared> {
    for (;;) {
      const leader = this.leaders.get(key);
      if (leader === undefined) break;
      if (await leader) return 'followed';
    }
    let settle!: (ok: boolean) => void;
    const mine = new Promise<boolean>((resolve) => (settle = resolve));
    this.leaders.set(key, mine);
    let ok = false;
    try {
      ok = await lead();
      return 'led';
    } finally {
      if (this.leaders.get(key) === mine) this.leaders.delete(key);
      settle(ok);
    }
  }
}
