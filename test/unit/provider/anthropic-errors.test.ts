// Anthropic's error answers and rate-limit headers, table-driven with a fixed clock.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { classifyAnthropicStatus } from '../../../src/provider/anthropic-errors.js';
import { parseAnthropicRateLimit } from '../../../src/provider/anthropic-rate-limit.js';
import { type CallContext, classifyStatus, isThrottle } from '../../../src/provider/classify.js';

const KEY = 'sk-ant-api03-secretsecretsecret';
const NOW = Date.parse('2026-12-04T01:00:00Z');
const context: CallContext = { baseUrl: 'https://api.anthropic.com', url: 'https://api.anthropic.com/v1/messages', secrets: [KEY] };
const anthropicError = (type: string, message: string, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'error', error: { type, message, ...extra } });

describe('classifyAnthropicStatus', () => {
  it.each<[number, string, Record<string, string>, { scope: string; backpressure: boolean; retryAfterMs?: number }]>([
    [429, anthropicError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'), { 'retry-after': '3' }, { scope: 'retryable', backpressure: false, retryAfterMs: 3000 }],
    [529, anthropicError('overloaded_error', 'Overloaded'), {}, { scope: 'retryable', backpressure: true }],
    [500, anthropicError('api_error', 'Internal server error'), {}, { scope: 'retryable', backpressure: false }],
    [401, anthropicError('authentication_error', 'invalid x-api-key'), {}, { scope: 'run', backpressure: false }],
    [403, anthropicError('permission_error', 'no access to this model'), {}, { scope: 'run', backpressure: false }],
    [402, anthropicError('billing_error', 'billing'), {}, { scope: 'run', backpressure: false }],
    [400, anthropicError('invalid_request_error', 'Your credit balance is too low to access the Anthropic API.'), {}, { scope: 'run', backpressure: false }],
    [429, anthropicError('rate_limit_error', 'spend limit', { details: { error_code: 'enforced_spend_limit_reached' } }), { 'retry-after': '60' }, { scope: 'run', backpressure: false }],
    [400, anthropicError('invalid_request_error', 'max_tokens: Field required'), {}, { scope: 'record', backpressure: false }],
    [404, anthropicError('not_found_error', 'model: claude-nope'), {}, { scope: 'record', backpressure: false }],
    [413, anthropicError('request_too_large', 'Request exceeds the maximum size'), {}, { scope: 'record', backpressure: false }],
  ])('HTTP %i %s -> %j', (status, body, headers, expected) => {
    const error = classifyAnthropicStatus(status, headers, body, context, NOW);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: `http_${status}`, status, ...expected });
    if (expected.retryAfterMs === undefined) expect(error.retryAfterMs).toBeUndefined();
  });

  it("puts Anthropic's message and error type in the message, never the key", () => {
    const error = classifyAnthropicStatus(401, {}, anthropicError('authentication_error', `invalid x-api-key ${KEY}`), context, NOW);
    expect(error.message).toContain('authentication_error');
    expect(error.message).toContain('invalid x-api-key');
    expect(error.message).not.toContain(KEY);
    expect(error.hint).toContain('ANTHROPIC_API_KEY');
    const bad = classifyAnthropicStatus(400, {}, anthropicError('invalid_request_error', 'messages.0.role: Input should be user'), context, NOW);
    expect(bad.message).toContain('messages.0.role: Input should be user');
  });

  it('attaches the rate-limit reading of the error answer', () => {
    const error = classifyAnthropicStatus(429, { 'retry-after': '1', 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-12-04T01:00:30Z' }, anthropicError('rate_limit_error', 'slow down'), context, NOW);
    expect(error.rateLimit).toEqual({ remainingRequests: 0, resetRequestsMs: 30_000 });
  });

  it('529 and backpressure cut concurrency like a 429 (isThrottle)', () => {
    expect(isThrottle(classifyAnthropicStatus(529, {}, anthropicError('overloaded_error', 'Overloaded'), context, NOW))).toBe(true);
    expect(isThrottle(classifyAnthropicStatus(500, {}, anthropicError('api_error', 'x'), context, NOW))).toBe(false);
  });
});

describe('classifyStatus: backpressure (shared)', () => {
  it.each<[number, string, boolean]>([
    // guards: Ollama's full queue (OLLAMA_MAX_QUEUE) is backpressure, not a server failure
    [503, '{"error":"server busy, please try again.  maximum pending requests exceeded"}', true],
    [503, '{"error":"model is loading"}', false],
    [529, '', true],
    [502, '', false],
  ])('HTTP %i %s -> backpressure %s', (status, body, backpressure) => {
    const error = classifyStatus(status, {}, body, context, NOW);
    expect(error).toMatchObject({ scope: 'retryable', backpressure });
  });
});

describe('parseAnthropicRateLimit', () => {
  const reset = '2026-12-04T01:00:45Z';
  it('reads the request bucket and the combined token bucket, resets as ms from now', () => {
    expect(
      parseAnthropicRateLimit({
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': reset,
        'anthropic-ratelimit-tokens-limit': '48000',
        'anthropic-ratelimit-tokens-remaining': '47000',
        'anthropic-ratelimit-tokens-reset': '2026-12-04T01:00:01Z',
        'anthropic-ratelimit-input-tokens-remaining': '1',
      }, NOW),
    ).toEqual({
      limitRequests: 50,
      remainingRequests: 49,
      resetRequestsMs: 45_000,
      limitTokens: 48000,
      remainingTokens: 47000,
      resetTokensMs: 1000,
    });
  });

  it('without tokens-*, takes whichever of input / output tokens has fewer left', () => {
    const headers = {
      'anthropic-ratelimit-input-tokens-limit': '40000',
      'anthropic-ratelimit-input-tokens-remaining': '39000',
      'anthropic-ratelimit-input-tokens-reset': reset,
      'anthropic-ratelimit-output-tokens-limit': '8000',
      'anthropic-ratelimit-output-tokens-remaining': '100',
      'anthropic-ratelimit-output-tokens-reset': '2026-12-04T01:00:10Z',
    };
    expect(parseAnthropicRateLimit(headers, NOW)).toEqual({ limitTokens: 8000, remainingTokens: 100, resetTokensMs: 10_000 });
    expect(parseAnthropicRateLimit({ 'anthropic-ratelimit-input-tokens-remaining': '5' })).toEqual({ remainingTokens: 5 });
  });

  it('ignores malformed values and is undefined without any header', () => {
    expect(parseAnthropicRateLimit({ 'anthropic-ratelimit-requests-remaining': '-1', 'anthropic-ratelimit-requests-reset': 'soon' })).toBeUndefined();
    expect(parseAnthropicRateLimit({ 'x-ratelimit-remaining-requests': '3' })).toBeUndefined();
    expect(parseAnthropicRateLimit({ 'anthropic-ratelimit-requests-remaining': ['4', '9'] })).toEqual({ remainingRequests: 4 });
  });
});
