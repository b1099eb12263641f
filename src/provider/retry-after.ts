// How long a server asks a client to wait before trying again, read from its response headers.
import { firstHeader, type HeaderBag } from './headers.js';

/**
 * Milliseconds a response asks before this request is tried again, from `retry-after-ms` or `Retry-After`
 * (seconds or an HTTP date) only. The x-ratelimit-reset-* headers are not a Retry-After (a TPM reset of `6m0s`
 * once held the whole run for six minutes): traffic control reads them as the shared budget's state.
 * Header names are matched in lower case, as node and undici deliver them.
 */
export function parseRetryAfter(headers: HeaderBag, nowMs: number): number | undefined {
  const retryAfterMsText = firstHeader(headers, 'retry-after-ms');
  const retryAfterMs = Number(retryAfterMsText);
  if (retryAfterMsText !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.round(retryAfterMs);
  }
  const retryAfter = firstHeader(headers, 'retry-after');
  if (retryAfter !== undefined) {
    const parsed = parseRetryAfterValue(retryAfter, nowMs);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
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
