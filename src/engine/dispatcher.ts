// Sends one request: attempts go through the layers (rate caps, a slot outside any server pause), and retryable
// failures are retried with full-jitter backoff. Never throws: every request ends as a SendResult.
import { ProviderError, errorMessage } from '../errors.js';
import type { Provider } from '../provider/provider.js';
import type { AdaptiveConcurrency, ConcurrencyGate } from './adaptive-concurrency.js';
import { abortedError, NotSentError } from './dispatch/not-sent.js';
import { rateBudgetLayer } from './dispatch/rate-budget-layer.js';
import type { Attempt, AttemptLayer, DispatchCounters, ProviderRequest, SendResult } from './dispatch/request.js';
import { slotLayer } from './dispatch/slot-layer.js';
import type { ServerPause, TokenBucket } from './rate-limit.js';
import { backoffDelay, sleep } from './retry.js';

export type { ProviderRequest, SendResult } from './dispatch/request.js';

export interface DispatcherParts {
  readonly provider: Provider;
  readonly maxRetries: number;
  readonly gate: ConcurrencyGate;
  readonly concurrency: AdaptiveConcurrency;
  readonly pause: ServerPause;
  readonly rpm: TokenBucket | undefined;
  readonly tpm: TokenBucket | undefined;
  readonly counters: DispatchCounters;
  /** Aborts everything, requests in flight included. */
  readonly requests: AbortSignal;
  /** Once it fires, no new attempt starts. */
  readonly stopping: AbortSignal;
  /** More layers around each attempt, outermost first, outside the concurrency slot. */
  readonly layers?: readonly AttemptLayer[];
  /** Layers inside the slot, right before the wire (memory admission: the last wait before sending). */
  readonly innerLayers?: readonly AttemptLayer[];
  readonly random?: () => number;
  readonly onRetry?: (request: ProviderRequest, error: ProviderError, attempt: number, delayMs: number) => void;
}

export class Dispatcher {
  private readonly attempt: Attempt;

  constructor(private readonly parts: DispatcherParts) {
    const wire: Attempt = (request, signal, admission) => {
      parts.counters.requests++;
      return parts.provider.send(request.endpoint, request.body, signal, admission);
    };
    const layers: AttemptLayer[] = [
      rateBudgetLayer(parts.rpm, parts.tpm, parts.stopping),
      ...(parts.layers ?? []),
      slotLayer({ gate: parts.gate, concurrency: parts.concurrency, pause: parts.pause, stopping: parts.stopping }),
      ...(parts.innerLayers ?? []),
    ];
    this.attempt = layers.reduceRight<Attempt>((next, layer) => layer(next), wire);
  }

  async send(request: ProviderRequest): Promise<SendResult> {
    const p = this.parts;
    const signal = p.requests;
    for (let attempt = 1; ; attempt++) {
      let error: ProviderError;
      try {
        const response = await this.attempt(request, signal);
        return { ok: true, response, attempts: attempt };
      } catch (caught) {
        if (caught instanceof NotSentError) return { ok: false, error: caught, attempts: attempt - 1, exhausted: false };
        error = asProviderError(caught, signal);
      }
      if (error.code === 'MS_ABORTED') return { ok: false, error, attempts: attempt, exhausted: false };
      if (error.retryAfterMs !== undefined) p.pause.pauseFor(error.retryAfterMs);
      if (error.status === 429) p.counters.throttled++;
      if (error.scope !== 'retryable') return { ok: false, error, attempts: attempt, exhausted: false };
      if (attempt > p.maxRetries) return { ok: false, error, attempts: attempt, exhausted: true };
      const delay = Math.max(backoffDelay(attempt - 1, p.random), error.retryAfterMs ?? 0);
      p.counters.retries++;
      p.onRetry?.(request, error, attempt, delay);
      try {
        // A stop ends the backoff at once: the record stays for the next run instead of holding up the drain.
        await sleep(delay, p.stopping);
      } catch {
        return { ok: false, error: abortedError(p.stopping), attempts: attempt, exhausted: false };
      }
    }
  }
}

function asProviderError(error: unknown, signal: AbortSignal): ProviderError {
  if (signal.aborted) return abortedError(signal);
  if (error instanceof ProviderError) return error;
  // The gate and the buckets reject with an AbortError when the run aborts; anything else is a transport surprise.
  return new ProviderError(`request failed: ${errorMessage(error)}`, { code: 'MS_REQUEST_FAILED', scope: 'retryable', cause: error });
}
