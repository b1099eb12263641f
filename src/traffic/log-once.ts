// A storm of the same event (a 429 per request) is logged once per window, with how many were left out.
import type { Clock } from './clock.js';

export interface LogDecision {
  /** Log this one. */
  readonly log: boolean;
  /** Events of this key not logged since the last logged one (to say "and 41 more"). */
  readonly suppressed: number;
}

export class LogOncePerWindow {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: Clock,
  ) {}

  /** Whether the event `key` should be logged now; counts it as suppressed when not. */
  hit(key: string): LogDecision {
    const at = this.now();
    const seen = this.last.get(key);
    if (seen !== undefined && at - seen.at < this.windowMs) {
      seen.suppressed++;
      return { log: false, suppressed: seen.suppressed };
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(key, { at, suppressed: 0 });
    return { log: true, suppressed };
  }
}
