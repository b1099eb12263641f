// --max-cost around each attempt: reserve right before the request goes on the wire (the concurrency slot is
// held, so only requests really about to be sent hold reservations), settle with the answer's priced usage.
// Shaped like the dispatcher's AttemptLayer; the engine supplies what a stop means (src/engine is not imported).
import { ProviderError } from '../errors.js';
import type { Endpoint } from '../input/record.js';
import type { CostTracker } from './cost-tracker.js';

export interface SpendRequest {
  readonly endpoint: Endpoint;
  readonly body: Record<string, unknown>;
  readonly estimatedTokens: number;
}

export interface SpendAnswer {
  readonly usage: { readonly promptTokens: number | null; readonly completionTokens: number | null } | null;
}

export type SpendAttempt<R extends SpendRequest, A extends SpendAnswer> = (request: R, signal: AbortSignal) => Promise<A>;

export interface SpendLayerParts {
  readonly tracker: CostTracker;
  /** The max_tokens the route (or --max-tokens) sends when the body sets none. */
  readonly fallbackMaxTokens?: (request: SpendRequest) => number | undefined;
  /**
   * The budget cannot take the next request: stop the run (StopControl.stop('budget', haltReason)) and return the
   * error this attempt ends with (the engine's NotSentError, so the record stays for the next run).
   */
  readonly exhausted: (haltReason: string) => Error;
  /** An attempt that was not answered may still be billed: timeouts and resets after sending (not HTTP errors). */
  readonly mayHaveBeenBilled?: (error: unknown) => boolean;
}

/** Waits for the next settle, or rejects when the signal aborts. */
function nextSettle(tracker: CostTracker, signal: AbortSignal): Promise<void> {
  const budget = tracker.budget;
  if (budget === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void budget.changed().then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** A transport failure after the request went out (no HTTP status): the server may have done, and billed, the work. */
export function billedUnlessAnswered(error: unknown): boolean {
  return !(error instanceof ProviderError && error.status !== undefined);
}

export function spendLayer<R extends SpendRequest, A extends SpendAnswer>(parts: SpendLayerParts): (next: SpendAttempt<R, A>) => SpendAttempt<R, A> {
  const { tracker } = parts;
  if (tracker.budget === undefined) return (next) => next;
  const billed = parts.mayHaveBeenBilled ?? billedUnlessAnswered;
  return (next) => async (request, signal) => {
    let verdict = tracker.admit(request, parts.fallbackMaxTokens?.(request));
    while (verdict.kind === 'wait') {
      await nextSettle(tracker, signal);
      verdict = tracker.admit(request, parts.fallbackMaxTokens?.(request));
    }
    if (verdict.kind === 'exhausted') throw parts.exhausted(tracker.budget?.haltReason() ?? 'spend budget reached');
    const reservation = verdict.reservation;
    let answer: A;
    try {
      answer = await next(request, signal);
    } catch (error) {
      tracker.unanswered(reservation, billed(error));
      throw error;
    }
    tracker.settle(reservation, request, answer.usage);
    return answer;
  };
}
