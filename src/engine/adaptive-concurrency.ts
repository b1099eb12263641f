// How many requests may be in flight: AIMD (cut on throttling, grow back slowly) under a ceiling the governor sets.
import { allowManyAbortListeners } from '../util/abort-listeners.js';

export interface AdaptiveConcurrencyOptions {
  /** `--concurrency`: the most the limit grows back to (the governor may lower it). */
  readonly ceiling: number;
  /** Starting limit (default: the ceiling). */
  readonly initial?: number;
  /** Throttles within this long of a cut count as the same burst (default 1 s). */
  readonly cooldownMs?: number;
  /** Factor of a cut (default 0.5). */
  readonly decrease?: number;
}

export class AdaptiveConcurrency {
  private current: number;
  private top: number;
  private successes = 0;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  private readonly cooldownMs: number;
  private readonly decrease: number;

  constructor(options: AdaptiveConcurrencyOptions) {
    this.top = atLeastOne(options.ceiling);
    this.current = Math.min(this.top, atLeastOne(options.initial ?? this.top));
    this.cooldownMs = options.cooldownMs ?? 1000;
    this.decrease = options.decrease ?? 0.5;
  }

  get limit(): number {
    return this.current;
  }

  get ceiling(): number {
    return this.top;
  }

  /** Additive increase: +1 after `limit` successes, i.e. about +1 per full window of requests. */
  onSuccess(): void {
    if (this.current >= this.top) {
      this.successes = 0;
      return;
    }
    this.successes += 1;
    if (this.successes >= this.current) {
      this.current += 1;
      this.successes = 0;
    }
  }

  /**
   * Multiplicative decrease on a 429 or a timeout. The requests in flight when the server started refusing
   * all fail within about one window, so throttles inside the cooldown after a cut are one event.
   * Returns whether the limit was cut.
   */
  onThrottle(nowMs: number): boolean {
    if (nowMs - this.lastCutAt < this.cooldownMs) return false;
    this.lastCutAt = nowMs;
    this.successes = 0;
    const next = Math.max(1, Math.floor(this.current * this.decrease));
    const cut = next < this.current;
    this.current = next;
    return cut;
  }

  /** Sets the limit (within the ceiling): after a breaker reset, the limit the run had before the trip. */
  restore(n: number): void {
    this.current = Math.min(this.top, atLeastOne(n));
    this.successes = 0;
  }

  /** The governor's ceiling (CAUTIOUS halves --concurrency); lowering it lowers the limit at once, raising it lets the limit grow back. */
  setCeiling(n: number): void {
    this.top = atLeastOne(n);
    if (this.current > this.top) this.current = this.top;
  }
}

function atLeastOne(n: number): number {
  return Number.isFinite(n) ? Math.max(1, Math.floor(n)) : 1;
}

export type Release = () => void;

interface Waiter {
  readonly resolve: (release: Release) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * A semaphore whose size moves: it reads `source.limit` each time a slot frees or is asked for. When the limit
 * drops below the requests in flight, none is cancelled; new ones wait until enough have finished.
 */
export class ConcurrencyGate {
  private active = 0;
  private held = false;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly source: { readonly limit: number }) {}

  get inFlight(): number {
    return this.active;
  }

  get limit(): number {
    return this.source.limit;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function (idempotent) once a slot is free; rejects with an AbortError on abort. */
  acquire(signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (!this.held && this.waiters.length === 0 && this.active < this.source.limit) return Promise.resolve(this.grant());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index !== -1) this.waiters.splice(index, 1);
          reject(abortError(signal));
        },
      };
      allowManyAbortListeners(signal);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** No slot is granted until resume() (the memory breaker): requests in flight finish, queued ones wait. */
  hold(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    this.notify();
  }

  /** Lets waiters in after the limit rose without a release (a release does this by itself). */
  notify(): void {
    while (!this.held && this.waiters.length > 0 && this.active < this.source.limit) {
      const waiter = this.waiters.shift();
      if (waiter === undefined) break;
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.grant());
    }
  }

  private grant(): Release {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.notify();
    };
  }
}

function abortError(signal: AbortSignal): DOMException {
  const error = new DOMException('The operation was aborted', 'AbortError');
  Object.defineProperty(error, 'cause', { value: signal.reason, enumerable: false });
  return error;
}
