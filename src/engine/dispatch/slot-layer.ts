// A concurrency slot for the attempt, taken only while the server is not paused, and AIMD fed with how it went.
// No attempt starts once the run is stopping: one started then could be cut off at the end of the grace period.
import { isThrottle } from '../../provider/classify.js';
import type { AdaptiveConcurrency, ConcurrencyGate, Release } from '../adaptive-concurrency.js';
import type { ServerPause } from '../rate-limit.js';
import { notSentError } from './not-sent.js';
import type { AttemptLayer, DispatchCounters } from './request.js';

export interface SlotParts {
  readonly gate: ConcurrencyGate;
  readonly concurrency: AdaptiveConcurrency;
  readonly pause: ServerPause;
  /** The run's stopping signal. */
  readonly stopping: AbortSignal;
  readonly counters: DispatchCounters;
}

export function slotLayer(parts: SlotParts): AttemptLayer {
  const { gate, concurrency, pause, stopping, counters } = parts;
  return (next) => async (request, signal) => {
    const release = await acquireOutsidePause(gate, pause, signal);
    try {
      if (stopping.aborted) throw notSentError(stopping);
      counters.requests++;
      const response = await next(request, signal);
      concurrency.onSuccess();
      return response;
    } catch (error) {
      if (isThrottle(error)) concurrency.onThrottle(Date.now());
      throw error;
    } finally {
      release();
    }
  };
}

/** A Retry-After that arrives while this attempt queues for a slot still holds it back. */
async function acquireOutsidePause(gate: ConcurrencyGate, pause: ServerPause, signal: AbortSignal): Promise<Release> {
  for (;;) {
    if (pause.remainingMs() > 0) await pause.wait(signal);
    const release = await gate.acquire(signal);
    if (pause.remainingMs() <= 0) return release;
    release();
  }
}
