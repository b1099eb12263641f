// --rpm / --tpm: hard client-side caps, taken before an attempt queues for a slot.
import { type TokenBucket, takeTokens } from '../rate-limit.js';
import { notSentError } from './not-sent.js';
import type { AttemptLayer } from './request.js';

/**
 * `stopping`: the run's stopping signal. An attempt still waiting for a token when it fires is not sent (the record
 * stays for the next run) instead of holding the stop up until the bucket refills or the grace period is over.
 */
export function rateBudgetLayer(rpm: TokenBucket | undefined, tpm: TokenBucket | undefined, stopping?: AbortSignal): AttemptLayer {
  if (rpm === undefined && tpm === undefined) return (next) => next;
  return (next) => async (request, signal) => {
    const waiting = stopping === undefined ? signal : AbortSignal.any([signal, stopping]);
    try {
      if (rpm !== undefined) await takeTokens(rpm, 1, waiting);
      if (tpm !== undefined) await takeTokens(tpm, request.estimatedTokens, waiting);
    } catch (error) {
      if (stopping?.aborted === true && !signal.aborted) throw notSentError(stopping);
      throw error;
    }
    return next(request, signal);
  };
}
