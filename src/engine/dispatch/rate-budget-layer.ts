// --rpm / --tpm: hard client-side caps, taken before an attempt queues for a slot.
import { type TokenBucket, takeTokens } from '../rate-limit.js';
import type { AttemptLayer } from './request.js';

export function rateBudgetLayer(rpm: TokenBucket | undefined, tpm: TokenBucket | undefined): AttemptLayer {
  if (rpm === undefined && tpm === undefined) return (next) => next;
  return (next) => async (request, signal) => {
    if (rpm !== undefined) await takeTokens(rpm, 1, signal);
    if (tpm !== undefined) await takeTokens(tpm, request.estimatedTokens, signal);
    return next(request, signal);
  };
}
