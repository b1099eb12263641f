// Thresholds and actions as a pure policy: readings and a clock in, warnings and signals to send out.

export type GuardAction = 'none' | 'term' | 'kill';

export interface GuardOptions {
  readonly warnBytes: number;
  readonly maxBytes: number;
  readonly action: GuardAction;
  /** After SIGTERM: how long the process may take to go before SIGKILL (if it is still above max). */
  readonly graceMs: number;
}

export type GuardStep =
  | { readonly kind: 'warn'; readonly rssBytes: number }
  | { readonly kind: 'warn_clear'; readonly rssBytes: number }
  | { readonly kind: 'max'; readonly rssBytes: number }
  | { readonly kind: 'signal'; readonly signal: 'SIGTERM' | 'SIGKILL'; readonly rssBytes: number }
  /** The grace period passed with the process back under max: it is left running. */
  | { readonly kind: 'grace_over'; readonly rssBytes: number };

/** A warning clears only below 95% of --warn, so a reading hovering at the line does not flap. */
const WARN_CLEAR_RATIO = 0.95;

export class Guard {
  private warned = false;
  private overMax = false;
  private termSentAt: number | undefined;
  private killSent = false;

  constructor(private readonly options: GuardOptions) {}

  /** A signal is on its way: SIGKILL sent, or SIGTERM within its grace period. A process that ends now was ended by the guard. */
  get isTerminating(): boolean {
    return this.killSent || this.termSentAt !== undefined;
  }

  /** When the guard next needs a fresh reading regardless of the sampling interval (end of the grace period). */
  get deadline(): number | undefined {
    return this.termSentAt === undefined ? undefined : this.termSentAt + this.options.graceMs;
  }

  observe(rssBytes: number, now: number): GuardStep[] {
    const { warnBytes, maxBytes, action } = this.options;
    const steps: GuardStep[] = [];
    if (!this.warned && rssBytes >= warnBytes) {
      this.warned = true;
      steps.push({ kind: 'warn', rssBytes });
    } else if (this.warned && rssBytes < warnBytes * WARN_CLEAR_RATIO) {
      this.warned = false;
      steps.push({ kind: 'warn_clear', rssBytes });
    }

    const deadline = this.deadline;
    if (deadline !== undefined && now >= deadline) {
      this.termSentAt = undefined;
      if (rssBytes >= maxBytes) steps.push(this.signal('SIGKILL', rssBytes));
      else steps.push({ kind: 'grace_over', rssBytes });
    }

    if (rssBytes < maxBytes) {
      if (this.termSentAt === undefined) this.overMax = false;
      return steps;
    }
    if (this.overMax) return steps;
    this.overMax = true;
    steps.push({ kind: 'max', rssBytes });
    if (this.killSent) return steps;
    if (action === 'kill') steps.push(this.signal('SIGKILL', rssBytes));
    else if (action === 'term') {
      steps.push(this.signal('SIGTERM', rssBytes));
      this.termSentAt = now;
    }
    return steps;
  }

  private signal(signal: 'SIGTERM' | 'SIGKILL', rssBytes: number): GuardStep {
    if (signal === 'SIGKILL') this.killSent = true;
    return { kind: 'signal', signal, rssBytes };
  }
}
