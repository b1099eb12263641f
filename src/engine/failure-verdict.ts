// The one place that decides what a failed request means for its records and for the run.
// Chat records and embeddings packs both ask here.
import { FatalError, type MemsafeError } from '../errors.js';
import { ABORTED, CONNECT_REFUSED } from '../provider/classify.js';
import type { FailedSend } from './dispatch/request.js';

export type FailureVerdict =
  /** Cut short by a stop: the record stays as it was, for the next run. */
  | { readonly kind: 'forget' }
  /** The record fails; `retryable` ones are sent again by the next run (429/5xx/network after every retry). */
  | { readonly kind: 'fail-record'; readonly retryable: boolean }
  /** Nothing else will succeed either (auth, quota, an unreachable server): the run stops. */
  | { readonly kind: 'stop-run'; readonly error: MemsafeError };

export interface ServerIdentity {
  readonly name: string;
  readonly baseUrl: string;
}

export function judgeFailure(failure: FailedSend, server: ServerIdentity): FailureVerdict {
  const { error } = failure;
  if (error.code === ABORTED) return { kind: 'forget' };
  if (error.scope === 'run') return { kind: 'stop-run', error };
  if (failure.exhausted && error.code === CONNECT_REFUSED) return { kind: 'stop-run', error: unreachable(failure, server) };
  // A record-scoped error (400, too large, a dimension the checkpoint refuses) fails for good.
  return { kind: 'fail-record', retryable: error.scope === 'retryable' };
}

function unreachable(failure: FailedSend, server: ServerIdentity): FatalError {
  return new FatalError(`${server.baseUrl} refused the connection after ${failure.attempts} attempts`, {
    code: 'MS_UNREACHABLE',
    cause: failure.error,
    hint: server.name === 'ollama' ? 'Start Ollama (`ollama serve`) or pass --base-url / OLLAMA_HOST.' : 'Check --base-url and that the server is running.',
  });
}
