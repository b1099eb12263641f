// Sends one job to the provider: waits for the server pause, the rate limits and a concurrency slot, then
// retries retryable failures with full-jitter backoff. Never throws: every job ends as a result.
import type { Job } from '../input/record.js';
import { isThrottle } from '../provider/classify.js';
import type { Provider, ProviderResponse } from '../provider/provider.js';
import { ProviderError, errorMessage } from '../errors.js';
import type { AdaptiveConcurrency, ConcurrencyGate } from './adaptive-concurrency.js';
import { type ServerPause, type TokenBucket, takeTokens } from './rate-limit.js';
import { backoffDelay, sleep } from './retry.js';

export type SendResult =
  | { readonly ok: true; readonly response: ProviderResponse; readonly attempts: number }
  | { readonly ok: false; readonly error: ProviderError; readonly attempts: number; readonly exhausted: boolean };

export interface DispatchStats {
  requests: number;
  retries: number;
  throttled: number;
}

export interface DispatcherParts {
  readonly provider: Provider;
  readonly maxRetries: number;
  readonly gate: ConcurrencyGate;
  readonly concurrency: AdaptiveConcurrency;
  readonly pause: ServerPause;
  readonly rpm: TokenBucket | undefined;
  readonly tpm: TokenBucket | undefined;
  readonly stats: DispatchStats;
  readonly random?: () => number;
  readonly onRetry?: (job: Job, error: ProviderError, attempt: number, delayMs: number) => void;
}

export class Dispatcher {
  constructor(private readonly parts: DispatcherParts) {}

  /**
   * `signal` aborts everything, requests in flight included; once `stop` fires no new attempt starts (a request
   * started while the run stops could be cut off at the end of the grace period: paid for, and lost).
   */
  async send(job: Job, signal: AbortSignal, stop?: AbortSignal): Promise<SendResult> {
    const p = this.parts;
    for (let attempt = 1; ; attempt++) {
      let error: ProviderError;
      try {
        await this.takeBudget(job, signal);
        const release = await this.acquireOutsidePause(signal);
        if (stop?.aborted === true) {
          release();
          return { ok: false, error: aborted(stop), attempts: attempt - 1, exhausted: false };
        }
        try {
          p.stats.requests++;
          const response = await p.provider.send(job.endpoint, job.body, signal);
          p.concurrency.onSuccess();
          return { ok: true, response, attempts: attempt };
        } finally {
          release();
        }
      } catch (caught) {
        error = asProviderError(caught, signal);
      }
      if (error.code === 'MS_ABORTED') return { ok: false, error, attempts: attempt, exhausted: false };
      if (error.retryAfterMs !== undefined) p.pause.pauseFor(error.retryAfterMs);
      if (error.status === 429) p.stats.throttled++;
      if (isThrottle(error)) p.concurrency.onThrottle(Date.now());
      if (error.scope !== 'retryable') return { ok: false, error, attempts: attempt, exhausted: false };
      if (attempt > p.maxRetries) return { ok: false, error, attempts: attempt, exhausted: true };
      const delay = Math.max(backoffDelay(attempt - 1, p.random), error.retryAfterMs ?? 0);
      p.stats.retries++;
      p.onRetry?.(job, error, attempt, delay);
      try {
        await sleep(delay, signal);
      } catch {
        return { ok: false, error: aborted(signal), attempts: attempt, exhausted: false };
      }
    }
  }

  /** A slot, taken only while the server is not paused: a Retry-After that arrives while we queue still holds. */
  private async acquireOutsidePause(signal: AbortSignal): Promise<() => void> {
    for (;;) {
      await this.parts.pause.wait(signal);
      const release = await this.parts.gate.acquire(signal);
      if (this.parts.pause.remainingMs() <= 0) return release;
      release();
    }
  }

  private async takeBudget(job: Job, signal: AbortSignal): Promise<void> {
    if (this.parts.rpm !== undefined) await takeTokens(this.parts.rpm, 1, signal);
    if (this.parts.tpm !== undefined) await takeTokens(this.parts.tpm, job.estimatedTokens, signal);
  }
}

function asProviderError(error: unknown, signal: AbortSignal): ProviderError {
  if (signal.aborted) return aborted(signal);
  if (error instanceof ProviderError) return error;
  return new ProviderError(`request failed: ${errorMessage(error)}`, { code: 'MS_REQUEST_FAILED', scope: 'retryable', cause: error });
}

function aborted(signal: AbortSignal): ProviderError {
  return new ProviderError(`request aborted: ${errorMessage(signal.reason ?? 'the run is stopping')}`, {
    code: 'MS_ABORTED',
    scope: 'retryable',
  });
}
