import { describe, expect, it } from 'vitest';
import type { FailedSend } from '../../../src/engine/dispatch/request.js';
import { judgeFailure } from '../../../src/engine/failure-verdict.js';
import { ProviderError, type FailureScope } from '../../../src/errors.js';

const server = { name: 'openai', baseUrl: 'http://127.0.0.1:1/v1' };
const failed = (code: string, scope: FailureScope, exhausted: boolean, status?: number): FailedSend => ({
  ok: false,
  error: new ProviderError(code, { code, scope, ...(status === undefined ? {} : { status }) }),
  attempts: 3,
  exhausted,
});

describe('judgeFailure: one rule for chat records and embeddings packs', () => {
  it.each([
    ['an abort (the run is stopping)', failed('MS_ABORTED', 'retryable', false), { kind: 'forget' }],
    ['429s until retries ran out', failed('http_429', 'retryable', true, 429), { kind: 'fail-record', retryable: true }],
    ['a 500 until retries ran out', failed('http_500', 'retryable', true, 500), { kind: 'fail-record', retryable: true }],
    ['a 400', failed('http_400', 'record', false, 400), { kind: 'fail-record', retryable: false }],
    ['a dimension the checkpoint refuses', failed('dimension_mismatch', 'record', false), { kind: 'fail-record', retryable: false }],
    ['an answer over the size cap', failed('response_too_large', 'record', false), { kind: 'fail-record', retryable: false }],
  ])('%s', (_name, failure, verdict) => {
    expect(judgeFailure(failure, server)).toEqual(verdict);
  });

  it('auth and quota stop the run with the provider error itself', () => {
    const failure = failed('http_401', 'run', false, 401);
    expect(judgeFailure(failure, server)).toEqual({ kind: 'stop-run', error: failure.error });
  });

  it('a connection still refused after every retry stops the run, with a hint that fits the provider', () => {
    const verdict = judgeFailure(failed('MS_CONNECT_REFUSED', 'retryable', true), { name: 'ollama', baseUrl: 'http://127.0.0.1:11434' });
    expect(verdict.kind).toBe('stop-run');
    if (verdict.kind !== 'stop-run') return;
    expect(verdict.error.code).toBe('MS_UNREACHABLE');
    expect(verdict.error.message).toContain('refused the connection after 3 attempts');
    expect(verdict.error.hint).toContain('ollama serve');
  });

  it('a refused connection that still has retries is not fatal', () => {
    expect(judgeFailure(failed('MS_CONNECT_REFUSED', 'retryable', false), server)).toEqual({ kind: 'fail-record', retryable: true });
  });
});
