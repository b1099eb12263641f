// When to try a failed request again: exponential backoff with full jitter, and an abortable wait.
import { setTimeout as delay } from 'node:timers/promises';
import { allowManyAbortListeners } from '../util/abort-listeners.js';

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/**
 * Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): a uniform draw below the exponential
 * ceiling, so clients that failed together do not retry together. `attempt` is 0 for the first retry.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, Math.floor(attempt));
  // 2^exponent overflows to Infinity for huge attempts; min() keeps it at the cap.
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * An abortable sleep; rejects with an AbortError when `signal` fires. The timer is referenced on purpose: a run
 * whose only pending work is a backoff must not let node exit with the promise unsettled.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && signal?.aborted !== true) return;
  if (signal !== undefined) allowManyAbortListeners(signal);
  await delay(Math.max(0, ms), undefined, signal === undefined ? {} : { signal });
}
