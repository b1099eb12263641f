// How long ONE request waits before its retry: no earlier than the server asked, else full-jitter backoff.

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/** Spread added after an explicit Retry-After (share of it, at most 1 s) so retries that got one together do not land together. */
const RETRY_AFTER_SPREAD = 0.1;
const RETRY_AFTER_SPREAD_CAP_MS = 1000;

/**
 * Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform below the exponential ceiling.
 * `attempt` is 0 for the first retry.
 */
export function fullJitterBackoff(attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * The wait before retry `attempt` (0 = first retry). With an explicit Retry-After / retry-after-ms the request waits
 * at least that long, plus a little spread; without, full-jitter backoff. A reset header is not a Retry-After:
 * the shared budget is the facade's business (a hold), not one request's.
 */
export function requestRetryDelay(attempt: number, retryAfterMs: number | undefined, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) {
    const spread = Math.min(RETRY_AFTER_SPREAD_CAP_MS, retryAfterMs * RETRY_AFTER_SPREAD);
    return Math.ceil(retryAfterMs + random() * spread);
  }
  return fullJitterBackoff(attempt, random, policy);
}
