// A concurrency slot, then the server's traffic control (learned rate, header budget, hold), then the attempt;
// its outcome is told to traffic control exactly once and to AIMD. A 429 is a rate signal; backpressure (503 busy,
// 529 overloaded) and timeouts are concurrency signals. No attempt starts once the run is stopping.
import { ProviderError } from '../../errors.js';
import { isThrottle } from '../../provider/classify.js';
import type { Ticket, TrafficControl } from '../../traffic/traffic-control.js';
import type { AdaptiveConcurrency, ConcurrencyGate } from '../adaptive-concurrency.js';
import { notSentError } from './not-sent.js';
import type { AttemptLayer, DispatchCounters } from './request.js';

export interface TrafficLayerParts {
  readonly gate: ConcurrencyGate;
  readonly concurrency: AdaptiveConcurrency;
  readonly traffic: TrafficControl;
  /** The run's stopping signal: a wait for admission ends with it, and no attempt starts after it. */
  readonly stopping: AbortSignal;
  readonly counters: DispatchCounters;
  /** Told of each rate refusal (to log a storm once per window). */
  readonly onRefused?: (error: ProviderError) => void;
}

export function trafficLayer(parts: TrafficLayerParts): AttemptLayer {
  const { gate, concurrency, traffic, stopping, counters } = parts;
  return (next) => async (request, signal) => {
    const release = await gate.acquire(signal);
    try {
      const ticket = await admit(traffic, request.estimatedTokens, signal, stopping);
      if (stopping.aborted) {
        traffic.onFailure(ticket);
        throw notSentError(stopping);
      }
      let response;
      try {
        response = await next(request, signal);
      } catch (error) {
        settleFailure(parts, ticket, error);
        throw error;
      }
      traffic.onAnswer(ticket, response.rateLimit);
      concurrency.onSuccess();
      return response;
    } finally {
      release();
      copyStats(traffic, counters);
    }
  };
}

/** Waits for traffic control; a stop ends the wait at once (the attempt was never sent). */
async function admit(traffic: TrafficControl, tokens: number, signal: AbortSignal, stopping: AbortSignal): Promise<Ticket> {
  if (stopping.aborted) throw notSentError(stopping);
  // Nearly every attempt may go at once: no combined signal (an EventTarget per request) for those.
  const now = traffic.tryAdmit(tokens);
  if (typeof now !== 'number') return now;
  const either = AbortSignal.any([signal, stopping]);
  try {
    return await traffic.admit(tokens, either);
  } catch (error) {
    if (stopping.aborted && !signal.aborted) throw notSentError(stopping);
    throw error;
  }
}

function settleFailure(parts: TrafficLayerParts, ticket: Ticket, error: unknown): void {
  const { traffic, concurrency } = parts;
  if (!(error instanceof ProviderError) || error.scope !== 'retryable') {
    traffic.onFailure(ticket);
    return;
  }
  if (error.backpressure) {
    traffic.onBackpressure(ticket, error.rateLimit);
    concurrency.onThrottle(Date.now());
    return;
  }
  if (error.status === 429) {
    traffic.onRefused(ticket, error.rateLimit);
    parts.onRefused?.(error);
    return;
  }
  traffic.onFailure(ticket);
  if (isThrottle(error)) concurrency.onThrottle(Date.now());
}

/** The run's counters show traffic control's view (the checkpoint's runs row and the summary read them). */
function copyStats(traffic: TrafficControl, counters: DispatchCounters): void {
  const stats = traffic.stats();
  counters.rateLimited = stats.rateLimited;
  counters.backpressure = stats.backpressure;
  counters.learnedRateRps = stats.learnedRateRps;
  counters.heldMs = stats.heldMs;
  counters.refusedShare = stats.refusedShare;
}
