// What a server says about its rate limits, in one neutral shape: OpenAI, Azure and Groq send x-ratelimit-*
// on every answer; Retry-After / retry-after-ms come with refusals. Other providers' parsers fill the same shape.
import type { RateLimitSnapshot } from '../errors.js';

/** Header values as node and undici deliver them: names in lower case, repeated headers as arrays. */
export type HeaderValues = Readonly<Record<string, string | readonly string[] | undefined>>;

export type { RateLimitSnapshot } from '../errors.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The x-ratelimit-* and retry-after headers of one answer; `nowMs` resolves a Retry-After HTTP date. */
export function parseRateLimitHeaders(headers: HeaderValues, nowMs: number): RateLimitSnapshot {
  const snapshot: Writable<RateLimitSnapshot> = {};
  setIfDefined(snapshot, 'limitRequests', count(first(headers, 'x-ratelimit-limit-requests')));
  setIfDefined(snapshot, 'limitTokens', count(first(headers, 'x-ratelimit-limit-tokens')));
  setIfDefined(snapshot, 'remainingRequests', count(first(headers, 'x-ratelimit-remaining-requests')));
  setIfDefined(snapshot, 'remainingTokens', count(first(headers, 'x-ratelimit-remaining-tokens')));
  setIfDefined(snapshot, 'resetRequestsMs', durationOf(first(headers, 'x-ratelimit-reset-requests')));
  setIfDefined(snapshot, 'resetTokensMs', durationOf(first(headers, 'x-ratelimit-reset-tokens')));
  setIfDefined(snapshot, 'retryAfterMs', explicitRetryAfter(headers, nowMs));
  return snapshot;
}

/** True when the snapshot carries nothing (a server that sends no rate-limit headers). */
export function isEmptySnapshot(snapshot: RateLimitSnapshot): boolean {
  return Object.keys(snapshot).length === 0;
}

/** `retry-after-ms` (fractional ms allowed) first, then `Retry-After` in seconds or as an HTTP date. */
function explicitRetryAfter(headers: HeaderValues, nowMs: number): number | undefined {
  const ms = first(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const text = ms.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text));
  }
  const retryAfter = first(headers, 'retry-after');
  return retryAfter === undefined ? undefined : parseRetryAfterSeconds(retryAfter, nowMs);
}

/** `Retry-After: 120`, `1.5`, or `Wed, 21 Oct 2015 07:28:00 GMT` (a date in the past means now: 0). */
export function parseRetryAfterSeconds(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)/gy;
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) or plain seconds (`0.5`); undefined when malformed. */
export function parseDurationMs(value: string): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = new RegExp(DURATION_PART.source, 'gy');
  let total = 0;
  let consumed = 0;
  for (let match = parts.exec(text); match !== null; match = parts.exec(text)) {
    const [whole, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
    consumed += whole.length;
  }
  return consumed === text.length && Number.isFinite(total) ? Math.round(total) : undefined;
}

function durationOf(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDurationMs(value);
}

/** A non-negative integer count (`300`, `299`); anything else is ignored rather than guessed. */
function count(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function first(headers: HeaderValues, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

function setIfDefined<K extends keyof RateLimitSnapshot>(target: Writable<RateLimitSnapshot>, key: K, value: RateLimitSnapshot[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
