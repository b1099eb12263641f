import { describe, expect, it } from 'vitest';
import { isEmptySnapshot, parseDurationMs, parseRateLimitHeaders, parseRetryAfterSeconds } from '../../../src/provider/rate-limit-headers.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseDurationMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5', 500],
    ['12', 12_000],
    ['250us', 0],
    [' 2s ', 2000],
    ['', undefined],
    ['soon', undefined],
    ['1x', undefined],
    ['1s garbage', undefined],
    ['-1s', undefined],
  ])('%j -> %j', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });
});

describe('parseRetryAfterSeconds', () => {
  it.each([
    ['1', 1000],
    ['1.5', 1500],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['tomorrow-ish', undefined],
    ['-3', undefined],
  ])('%j -> %j', (text, expected) => {
    expect(parseRetryAfterSeconds(text, NOW)).toBe(expected);
  });
});

describe('parseRateLimitHeaders', () => {
  it('reads all six OpenAI x-ratelimit headers into relative milliseconds', () => {
    const snapshot = parseRateLimitHeaders(
      {
        'x-ratelimit-limit-requests': '300',
        'x-ratelimit-limit-tokens': '24000',
        'x-ratelimit-remaining-requests': '299',
        'x-ratelimit-remaining-tokens': '23850',
        'x-ratelimit-reset-requests': '20ms',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      NOW,
    );
    expect(snapshot).toEqual({
      limitRequests: 300, limitTokens: 24_000, remainingRequests: 299, remainingTokens: 23_850, resetRequestsMs: 20, resetTokensMs: 360_000,
    });
  });

  it.each([
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': '12.6' }, 13],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, 3000],
    // guards: retry-after-ms is the precise one when both come
    [{ 'retry-after-ms': '150', 'retry-after': '1' }, 150],
    [{ 'retry-after-ms': 'bogus', 'retry-after': '1' }, 1000],
    [{ 'retry-after': ['3', '9'] }, 3000],
  ])('retry-after from %j is %j ms', (headers, expected) => {
    expect(parseRateLimitHeaders(headers, NOW).retryAfterMs).toBe(expected);
  });

  it('never turns a reset into a retry-after (a 6m0s token reset must not read as a six-minute wait)', () => {
    // guards: the old parseRetryAfter fell back to x-ratelimit-reset-* and held the whole run
    const snapshot = parseRateLimitHeaders({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6m0s' }, NOW);
    expect(snapshot.retryAfterMs).toBeUndefined();
    expect(snapshot.resetTokensMs).toBe(360_000);
  });

  it('ignores malformed values instead of guessing, and is empty without headers', () => {
    const snapshot = parseRateLimitHeaders({ 'x-ratelimit-remaining-requests': '12.5', 'x-ratelimit-limit-tokens': 'lots', 'x-ratelimit-reset-requests': '1 s' }, NOW);
    expect(snapshot).toEqual({});
    expect(isEmptySnapshot(snapshot)).toBe(true);
    expect(isEmptySnapshot(parseRateLimitHeaders({ 'content-type': 'application/json' }, NOW))).toBe(true);
  });
});
