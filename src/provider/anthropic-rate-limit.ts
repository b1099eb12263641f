// Anthropic's anthropic-ratelimit-* answer headers, read into the neutral RateLimitSnapshot that traffic control
// paces from (the OpenAI x-ratelimit-* parser fills the same shape). Reset instants become relative ms.
import type { RateLimitSnapshot } from '../errors.js';

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

export type AnthropicRateLimit = RateLimitSnapshot;

interface Bucket {
  readonly limit: number | undefined;
  readonly remaining: number | undefined;
  readonly resetAtMs: number | undefined;
}

const PREFIX = 'anthropic-ratelimit-';

/**
 * The request bucket, and the token bucket that binds: `tokens-*` (Anthropic's most restrictive token limit in
 * effect) when sent, else whichever of `input-tokens-*` / `output-tokens-*` has fewer left. Undefined when the
 * answer carries none of these headers (a proxy, a local server).
 */
export function parseAnthropicRateLimit(headers: Headers, nowMs: number = Date.now()): AnthropicRateLimit | undefined {
  const requests = bucket(headers, 'requests');
  const tokens = tokenBucket(headers);
  const reading: Record<string, number> = {};
  put(reading, 'limitRequests', requests.limit);
  put(reading, 'remainingRequests', requests.remaining);
  put(reading, 'resetRequestsMs', untilMs(requests.resetAtMs, nowMs));
  put(reading, 'limitTokens', tokens.limit);
  put(reading, 'remainingTokens', tokens.remaining);
  put(reading, 'resetTokensMs', untilMs(tokens.resetAtMs, nowMs));
  return Object.keys(reading).length === 0 ? undefined : (reading as AnthropicRateLimit);
}

/** An instant already past means "now": 0 ms. */
function untilMs(atMs: number | undefined, nowMs: number): number | undefined {
  return atMs === undefined ? undefined : Math.max(0, atMs - nowMs);
}

function tokenBucket(headers: Headers): Bucket {
  const combined = bucket(headers, 'tokens');
  if (!isEmpty(combined)) return combined;
  const input = bucket(headers, 'input-tokens');
  const output = bucket(headers, 'output-tokens');
  if (isEmpty(output)) return input;
  if (isEmpty(input)) return output;
  return (output.remaining ?? Number.POSITIVE_INFINITY) < (input.remaining ?? Number.POSITIVE_INFINITY) ? output : input;
}

function bucket(headers: Headers, name: string): Bucket {
  return {
    limit: count(header(headers, `${PREFIX}${name}-limit`)),
    remaining: count(header(headers, `${PREFIX}${name}-remaining`)),
    resetAtMs: instant(header(headers, `${PREFIX}${name}-reset`)),
  };
}

function isEmpty(value: Bucket): boolean {
  return value.limit === undefined && value.remaining === undefined && value.resetAtMs === undefined;
}

/** A non-negative whole number; anything else is ignored rather than trusted. */
function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

/** RFC 3339 (`2026-12-04T01:15:21Z`) as epoch ms. */
function instant(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{4}-\d{2}-\d{2}T/.test(text.trim())) return undefined;
  const parsed = Date.parse(text.trim());
  return Number.isNaN(parsed) ? undefined : parsed;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

function put(target: Record<string, number>, key: keyof AnthropicRateLimit, value: number | undefined): void {
  if (value !== undefined) target[key] = value;
}
