import { describe, expect, it } from 'vitest';
import { backoffDelay, parseResetDuration, parseRetryAfter, retryDelay, sleep } from '../../../src/engine/retry.js';

const half = () => 0.5;

describe('backoffDelay (full jitter, base 500 ms, cap 30 s)', () => {
  it.each([
    [0, half, 250],
    [1, half, 500],
    [2, half, 1000],
    [5, half, 8000],
    [6, half, 15_000], // 500 * 64 = 32 s, capped at 30 s
    [60, half, 15_000],
    [5000, half, 15_000], // 2^5000 is Infinity; the cap still holds
    [3, () => 0, 0],
    [3, () => 0.999_999, 3999],
    [-1, half, 250],
  ])('attempt %d -> %d ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, random)).toBe(expected);
  });

  it('draws below min(cap, base * 2^attempt) for every draw', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (const draw of [0, 0.1, 0.5, 0.9, 0.999_999]) {
        const delay = backoffDelay(attempt, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(30_000, 500 * 2 ** attempt));
      }
    }
  });

  it('takes a custom policy', () => {
    expect(backoffDelay(4, half, { baseMs: 10, capMs: 100 })).toBe(50);
    expect(backoffDelay(2, half, { baseMs: 10, capMs: 100 })).toBe(20);
  });
});

describe('retryDelay', () => {
  it.each([
    [0, undefined, 250],
    [0, 2000, 2000],
    [6, 1000, 15_000], // the backoff is longer than the server's wait
    [0, 0, 250],
  ])('attempt %d with Retry-After %s -> %d ms', (attempt, retryAfterMs, expected) => {
    expect(retryDelay(attempt, retryAfterMs, half)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each<[string, Record<string, string | string[]>, number | undefined]>([
    ['seconds', { 'retry-after': '2' }, 2000],
    ['fractional seconds', { 'retry-after': '1.5' }, 1500],
    ['zero', { 'retry-after': '0' }, 0],
    ['an HTTP date', { 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, 30_000],
    ['a past HTTP date', { 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0],
    ['garbage', { 'retry-after': 'soon-ish' }, undefined],
    ['a negative number', { 'retry-after': '-5' }, undefined],
    ['retry-after-ms', { 'retry-after-ms': '250' }, 250],
    ['retry-after-ms before Retry-After', { 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    ['reset-requests 1s', { 'x-ratelimit-reset-requests': '1s' }, 1000],
    ['reset-tokens 6m0s', { 'x-ratelimit-reset-tokens': '6m0s' }, 360_000],
    ['reset 20ms', { 'x-ratelimit-reset-requests': '20ms' }, 20],
    ['the shorter reset when none is known to be exhausted', { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, 1000],
    [
      'the reset of the exhausted limit',
      { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-remaining-requests': '12' },
      360_000,
    ],
    ['Retry-After before the reset headers', { 'retry-after': '3', 'x-ratelimit-reset-requests': '1s' }, 3000],
    ['an unparsable Retry-After falls back to the reset headers', { 'retry-after': 'later', 'x-ratelimit-reset-requests': '2s' }, 2000],
    ['a repeated header (first value)', { 'retry-after': ['4', '9'] }, 4000],
    ['nothing', {}, undefined],
    ['a malformed reset', { 'x-ratelimit-reset-requests': '5 parsecs' }, undefined],
  ])('%s', (_name, headers, expected) => {
    expect(parseRetryAfter(headers, now)).toBe(expected);
  });
});

describe('parseResetDuration', () => {
  it.each<[string, number | undefined]>([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['2000us', 2],
    ['0s', 0],
    ['3', 3000],
    ['', undefined],
    ['5x', undefined],
    ['1s junk', undefined],
    ['s', undefined],
  ])('%j -> %s', (text, expected) => {
    expect(parseResetDuration(text)).toBe(expected);
  });
});

describe('sleep', () => {
  it('rejects with an AbortError when the signal fires, even for no delay', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(0, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(sleep(60_000, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('stops a long sleep on abort', async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('many sleeps on one run-wide signal raise no listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const shared = new AbortController().signal;
      await Promise.all(Array.from({ length: 30 }, () => sleep(1, shared)));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
