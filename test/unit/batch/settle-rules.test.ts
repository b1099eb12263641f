// The settle rules of batch lines: the same outcomes as live mode, by status, with the retry cap and validation.
import { describe, expect, it } from 'vitest';
import { leftoverVerdict } from '../../../src/batch/batch-collect.js';
import { capRetries, judgeLine, unansweredVerdict } from '../../../src/batch/settle-rules.js';
import type { MemberRow } from '../../../src/checkpoint/batch-chunks.js';

const line = (response: unknown, error: unknown = null) => JSON.stringify({ id: 'batch_req_1', custom_id: 'h1', response, error });
const member = (fileLine: number): MemberRow => ({ recordId: `r${fileLine}`, chunkId: 1, customId: `h${fileLine}`, line: fileLine, fileLine, runId: 1, trimmed: false, tokens: 0, detail: null, reservedUsd: 0 });

describe('judgeLine', () => {
  it.each([
    ['a 200 answer is done', line({ status_code: 200, request_id: 'req_1', body: { id: 'x' } }), { kind: 'done', status: 200 }],
    ['a 400 answer fails for good', line({ status_code: 400, body: { error: { message: 'bad model' } } }), { kind: 'failed', retryable: false, status: 400 }],
    ['a 429 answer is retried', line({ status_code: 429, body: {} }), { kind: 'failed', retryable: true, status: 429 }],
    ['a 500 answer is retried', line({ status_code: 500, body: {} }), { kind: 'failed', retryable: true, status: 500 }],
    ['an expired request is retried', line(null, { code: 'batch_expired', message: 'expired' }), { kind: 'failed', retryable: true, code: 'batch_expired' }],
    ['an unknown error fails for good', line(null, { code: 'invalid_prompt', message: 'no' }), { kind: 'failed', retryable: false, code: 'invalid_prompt' }],
    ['a 200 without an object body is retried', line({ status_code: 200, body: 'text' }), { kind: 'failed', retryable: true }],
  ])('%s', (_name, text, expected) => {
    const judged = judgeLine(text);
    expect(judged?.customId).toBe('h1');
    expect(judged?.verdict).toMatchObject(expected);
  });

  it('keeps the server message of a refused request', () => {
    const verdict = judgeLine(line({ status_code: 400, body: { error: { message: 'bad model' } } }))?.verdict;
    expect(verdict).toMatchObject({ message: expect.stringContaining('bad model') });
  });

  it.each(['not json', '{"response":{}}', '[]'])('ignores a line it cannot match: %s', (text) => {
    expect(judgeLine(text)).toBeUndefined();
  });
});

describe('capRetries', () => {
  const retryable = unansweredVerdict('expired');
  it('leaves a retryable failure retryable below the cap', () => expect(capRetries(retryable, 2, 5)).toMatchObject({ retryable: true }));
  it('fails for good at the cap, saying how often it was tried', () => {
    expect(capRetries(retryable, 5, 5)).toMatchObject({ retryable: false, message: expect.stringContaining('6 batch attempts') });
  });
});

describe('leftoverVerdict', () => {
  it('resubmits what an expired or cancelled batch never ran', () => {
    expect(leftoverVerdict({ status: 'expired', errors: [] })(member(1))).toMatchObject({ retryable: true, code: 'batch_expired' });
    expect(leftoverVerdict({ status: 'cancelled', errors: [] })(member(1))).toMatchObject({ retryable: true, code: 'batch_cancelled' });
  });

  // guards: a validation failure marks the named records failed with the server's message, never silently
  it('fails the lines a validation failure names with its message, and resubmits the others', () => {
    const verdict = leftoverVerdict({ status: 'failed', errors: [{ code: 'invalid_request', message: 'model is required', line: 2 }] });
    expect(verdict(member(2))).toMatchObject({ kind: 'failed', retryable: false, code: 'invalid_request', message: expect.stringContaining('model is required') });
    expect(verdict(member(2))).toMatchObject({ message: expect.stringContaining('line 2') });
    expect(verdict(member(3))).toMatchObject({ kind: 'failed', retryable: true });
  });

  it('fails every line when the failure names none', () => {
    const verdict = leftoverVerdict({ status: 'failed', errors: [{ code: 'too_large', message: 'file too large', line: null }] });
    expect(verdict(member(7))).toMatchObject({ retryable: false, message: expect.stringContaining('file too large') });
  });
});
