// The error of an attempt that never went out (the run is stopping, or was aborted while it waited).
import { ProviderError, errorMessage } from '../../errors.js';
import { ABORTED } from '../../provider/classify.js';

/** Marks an abort that happened before the request was written: it cost nothing and counts as no attempt. */
export class NotSentError extends ProviderError {}

export function notSentError(signal: AbortSignal): ProviderError {
  return new NotSentError(`request aborted: ${errorMessage(signal.reason ?? 'the run is stopping')}`, { code: ABORTED, scope: 'retryable' });
}

export function abortedError(signal: AbortSignal): ProviderError {
  return new ProviderError(`request aborted: ${errorMessage(signal.reason ?? 'the run is stopping')}`, { code: ABORTED, scope: 'retryable' });
}
