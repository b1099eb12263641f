// Why and how the run stops. Every stop cause (signals, max-runtime, breaker halt, fatal error) ends here, so
// there is one reason, one "stopping" signal that ends intake and new attempts, and one abort for requests in flight.
import { setMaxListeners } from 'node:events';

export type StopReason = 'breaker' | 'max-runtime' | 'budget' | 'SIGINT' | 'SIGTERM' | 'fatal';

export interface StopListener {
  /** Recorded as a `stop` event and logged, once, by whoever owns the checkpoint and the logger. */
  (reason: StopReason): void;
}

export class StopControl {
  private reasonValue: StopReason | undefined;
  private haltReasonValue: string | null = null;
  /** Fired when the run starts to stop (any reason): no new record is taken and no new attempt starts. */
  private readonly stoppingController = new AbortController();
  /** Fired to cut requests in flight (hard stop, grace over, fatal error). */
  private readonly requestsController = new AbortController();
  private readonly listeners: StopListener[] = [];

  constructor() {
    // Every request, backoff and queue slot listens on these; their number is bounded by --concurrency, not 10.
    setMaxListeners(0, this.stoppingController.signal);
    setMaxListeners(0, this.requestsController.signal);
  }

  get reason(): StopReason | undefined {
    return this.reasonValue;
  }

  get stopping(): boolean {
    return this.reasonValue !== undefined;
  }

  /** What a halted run tells the user and the runs table (breaker, max-runtime, budget). */
  get haltReason(): string | null {
    return this.haltReasonValue;
  }

  get stoppingSignal(): AbortSignal {
    return this.stoppingController.signal;
  }

  get requestsSignal(): AbortSignal {
    return this.requestsController.signal;
  }

  onStop(listener: StopListener): void {
    this.listeners.push(listener);
  }

  /** The first cause wins; later ones are ignored (a fatal error during a SIGTERM stop is reported by fatal.ts). */
  stop(reason: StopReason, haltReason?: string): boolean {
    if (this.reasonValue !== undefined) return false;
    this.reasonValue = reason;
    if (haltReason !== undefined) this.haltReasonValue = haltReason;
    this.stoppingController.abort(reason);
    for (const listener of this.listeners) listener(reason);
    return true;
  }

  /** Cuts requests in flight now; what they leave unfinished stays for the next run. */
  abortRequests(reason: unknown): void {
    this.requestsController.abort(reason);
  }
}
