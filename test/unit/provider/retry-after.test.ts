// The waits servers ask for, read from response headers (moved out of engine/retry.ts: provider/ must not import engine/).
import { describe, expect, it } from 'vitest';
import { parseResetDuration, parseRetryAfter } from '../../../src/provider/retry-after.js';

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
    // guards: a reset header is not a Retry-After (a 6m0s TPM reset once held the whole run for six minutes)
    ['reset-requests 1s is not a wait', { 'x-ratelimit-reset-requests': '1s' }, undefined],
    ['reset-tokens 6m0s is not a wait', { 'x-ratelimit-reset-tokens': '6m0s', 'x-ratelimit-remaining-tokens': '0' }, undefined],
    ['Retry-After beside the reset headers', { 'retry-after': '3', 'x-ratelimit-reset-requests': '1s' }, 3000],
    ['an unparsable Retry-After does not fall back to the reset headers', { 'retry-after': 'later', 'x-ratelimit-reset-requests': '2s' }, undefined],
    ['a repeated header (first value)', { 'retry-after': ['4', '9'] }, 4000],
    ['nothing', {}, undefined],
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
