// Sends one request: attempts go through the layers (rate caps, extra layers, a slot and traffic control), and
// retryable failures are retried: no earlier than the request's own Retry-After, else with full-jitter backoff.
// A Retry-After delays only the request that got it; holding the whole server is traffic control's call.
// Never throws: every request ends as a SendResult.
import { ProviderError, errorMessage } from '../errors.js';
import type { Provider } from '../provider/provider.js';
import type { TrafficControl } from '../traffic/traffic-control.js';
import type { AdaptiveConcurrency, ConcurrencyGate } from './adaptive-concurrency.js';
import { abortedError, NotSentError } from './dispatch/not-sent.js';
import { rateBudgetLayer } from './dispatch/rate-budget-layer.js';
import type { Attempt, AttemptLayer, DispatchCounters, ProviderRequest, SendResult } from './dispatch/request.js';
import { trafficLayer } from './dispatch/traffic-layer.js';
import type { TokenBucket } from './rate-limit.js';
import { sleep } from './retry.js';

export type { ProviderRequest, SendResult } from './dispatch/request.js';

/**
 * Backpressure (503 busy, 529 overloaded) retries do not count against --max-retries: the server is asking for
 * fewer in flight, not refusing the record. They have their own, larger budget so a server that is busy for good
 * still ends the record (as retryable, for the next run) instead of looping forever.
 */
export function backpressureRetryBudget(maxRetries: number): number {
  return Math.max(20, 4 * maxRetries);
}

export interface DispatcherParts {
  readonly provider: Provider;
  readonly maxRetries: number;
  readonly gate: ConcurrencyGate;
  readonly concurrency: AdaptiveConcurrency;
  /** The server's traffic control: learned rate, header budget, holds, and the retry delays. */
  readonly traffic: TrafficControl;
  readonly rpm: TokenBucket | undefined;
  readonly tpm: TokenBucket | undefined;
  readonly counters: DispatchCounters;
  /** Aborts everything, requests in flight included. */
  readonly requests: AbortSignal;
  /** Once it fires, no new attempt starts. */
  readonly stopping: AbortSignal;
  /** More layers around each attempt, outermost first, outside the concurrency slot. */
  readonly layers?: readonly AttemptLayer[];
  /** Layers inside the slot and traffic control, right before the wire (spend breaker, memory admission). */
  readonly innerLayers?: readonly AttemptLayer[];
  readonly onRetry?: (request: ProviderRequest, error: ProviderError, attempt: number, delayMs: number) => void;
  /** Each rate refusal (429), for logging a storm once per window. */
  readonly onRefused?: (error: ProviderError) => void;
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
      trafficLayer({
        gate: parts.gate,
        concurrency: parts.concurrency,
        traffic: parts.traffic,
        stopping: parts.stopping,
        counters: parts.counters,
        ...(parts.onRefused === undefined ? {} : { onRefused: parts.onRefused }),
      }),
      ...(parts.innerLayers ?? []),
    ];
    this.attempt = layers.reduceRight<Attempt>((next, layer) => layer(next), wire);
  }

  async send(request: ProviderRequest): Promise<SendResult> {
    const p = this.parts;
    const signal = p.requests;
    let retries = 0;
    let backpressureRetries = 0;
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
      if (error.status === 429) p.counters.throttled++;
      if (error.scope !== 'retryable') return { ok: false, error, attempts: attempt, exhausted: false };
      if (error.backpressure) {
        if (++backpressureRetries > backpressureRetryBudget(p.maxRetries)) return { ok: false, error, attempts: attempt, exhausted: true };
      } else if (++retries > p.maxRetries) {
        return { ok: false, error, attempts: attempt, exhausted: true };
      }
      const delay = p.traffic.retryDelay(error.backpressure ? backpressureRetries : retries, error.retryAfterMs);
      p.counters.retries++;
      p.counters.waitingRetries++; // before onRetry: the intake window it wakes counts this wait
      p.onRetry?.(request, error, attempt, delay);
      try {
        // A stop ends the backoff at once: the record stays for the next run instead of holding up the drain.
        await sleep(delay, p.stopping);
      } catch {
        return { ok: false, error: abortedError(p.stopping), attempts: attempt, exhausted: false };
      } finally {
        p.counters.waitingRetries--;
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
