// When to try a failed request again: exponential backoff with full jitter, and the waits servers ask for.
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

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

/** The wait before a retry: the server's explicit wait when it gave one, else (and never below) the backoff. */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  return Math.max(retryAfterMs ?? 0, backoffDelay(attempt, random, policy));
}

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Milliseconds a response asks clients to wait, from `retry-after-ms`, `Retry-After` (seconds or an HTTP date)
 * or OpenAI's `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` (`1s`, `6m0s`, `20ms`).
 * Header names are matched in lower case, as node and undici deliver them.
 */
export function parseRetryAfter(headers: HeaderBag, nowMs: number): number | undefined {
  const retryAfterMs = Number(header(headers, 'retry-after-ms'));
  if (header(headers, 'retry-after-ms') !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.round(retryAfterMs);
  }
  const retryAfter = header(headers, 'retry-after');
  if (retryAfter !== undefined) {
    const parsed = parseRetryAfterValue(retryAfter, nowMs);
    if (parsed !== undefined) return parsed;
  }
  return rateLimitReset(headers);
}

/** `Retry-After: 120`, `Retry-After: 1.5`, or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`. */
export function parseRetryAfterValue(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const RESET_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)/gy;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as OpenAI sends them: `1s`, `6m0s`, `20ms`, `1h2m3.5s`; undefined when malformed. */
export function parseResetDuration(value: string): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  RESET_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = RESET_PART.exec(text); match !== null; match = RESET_PART.exec(text)) {
    const [whole, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
    consumed += whole.length;
  }
  return consumed === text.length && Number.isFinite(total) ? Math.round(total) : undefined;
}

/**
 * The reset of the limit that ran out (`x-ratelimit-remaining-* = 0`): the longest of those; when the server
 * does not say which ran out, the shortest reset, so a retry is not held back longer than it must be.
 */
function rateLimitReset(headers: HeaderBag): number | undefined {
  const exhausted: number[] = [];
  const all: number[] = [];
  for (const kind of ['requests', 'tokens'] as const) {
    const reset = header(headers, `x-ratelimit-reset-${kind}`);
    const ms = reset === undefined ? undefined : parseResetDuration(reset);
    if (ms === undefined) continue;
    all.push(ms);
    if (header(headers, `x-ratelimit-remaining-${kind}`)?.trim() === '0') exhausted.push(ms);
  }
  if (exhausted.length > 0) return Math.max(...exhausted);
  return all.length > 0 ? Math.min(...all) : undefined;
}

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
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

/**
 * The run's one abort signal is shared by every request, sleep and queue slot in flight; each removes its listener
 * when done, so node's "more than 10 listeners" leak warning would only be noise here.
 */
export function allowManyAbortListeners(signal: AbortSignal): void {
  setMaxListeners(0, signal);
}
