// Message Batch results lines and batch objects, read into the OpenAI path's shapes.
import { describe, expect, it } from 'vitest';
import { judgeLine } from '../../../src/batch/settle-rules.js';
import { openAiLineOf } from '../../../src/provider/anthropic-batch-results.js';
import { anthropicBatchSnapshot } from '../../../src/provider/anthropic-batch-snapshot.js';

const verdictOf = (result: object) => judgeLine(openAiLineOf(JSON.stringify({ custom_id: 'h1', result })) ?? '')?.verdict;
const nestedError = (type: string) => ({ type: 'errored', error: { type: 'error', error: { type, message: `said ${type}` } } });

describe('openAiLineOf', () => {
  it('maps a succeeded message to chat.completion with OpenAI usage', () => {
    const verdict = verdictOf({ type: 'succeeded', message: { id: 'msg_1', model: 'claude-x', content: [{ type: 'text', text: 'hello' }], stop_reason: 'max_tokens', usage: { input_tokens: 4, output_tokens: 2 } } });
    expect(verdict).toMatchObject({ kind: 'done', status: 200, requestId: 'msg_1', body: { object: 'chat.completion', model: 'claude-x', choices: [{ message: { content: 'hello' }, finish_reason: 'length' }], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } } });
  });

  it.each([
    ['invalid_request_error', false, 'http_400'],
    ['api_error', true, 'http_500'],
    ['overloaded_error', true, 'http_529'],
    ['rate_limit_error', true, 'http_429'],
  ])('errored %s: retryable %s (%s), with the server message', (type, retryable, code) => {
    expect(verdictOf(nestedError(type))).toMatchObject({ kind: 'failed', retryable, code, message: expect.stringContaining(`said ${type}`) });
  });

  it('reads a flat error too', () => {
    expect(verdictOf({ type: 'errored', error: { type: 'invalid_request_error', message: 'flat' } })).toMatchObject({ retryable: false, message: expect.stringContaining('flat') });
  });

  it.each([
    ['expired', 'batch_expired'],
    ['canceled', 'batch_cancelled'],
  ])('%s is retryable as %s', (type, code) => {
    expect(verdictOf({ type })).toMatchObject({ kind: 'failed', retryable: true, code });
  });

  it('skips lines that are not JSON or name no custom_id', () => {
    expect(openAiLineOf('nope')).toBeUndefined();
    expect(openAiLineOf('{"result":{}}')).toBeUndefined();
  });
});

describe('anthropicBatchSnapshot', () => {
  const base = { id: 'msgbatch_1', type: 'message_batch', created_at: '2026-01-01T00:00:00Z', expires_at: '2026-01-02T00:00:00Z', cancel_initiated_at: null, results_url: 'https://x/results' };
  const counts = { processing: 0, succeeded: 5, errored: 1, canceled: 0, expired: 0 };
  it.each([
    ['in_progress', {}, 'in_progress', null],
    ['canceling', {}, 'cancelling', null],
    ['ended', {}, 'completed', 'https://x/results'],
    ['ended', { cancel_initiated_at: '2026-01-01T01:00:00Z' }, 'cancelled', 'https://x/results'],
    ['ended', { request_counts: { ...counts, expired: 2 } }, 'expired', 'https://x/results'],
  ])('%s %o is %s', (processing, extra, status, output) => {
    const snapshot = anthropicBatchSnapshot({ ...base, request_counts: counts, processing_status: processing, ...extra });
    expect(snapshot).toMatchObject({ status, outputFileId: output, createdAt: Date.parse(base.created_at) });
  });

  it('totals every request count', () => {
    expect(anthropicBatchSnapshot({ ...base, processing_status: 'ended', request_counts: { processing: 1, succeeded: 2, errored: 3, canceled: 4, expired: 5 } })).toMatchObject({ total: 15, completed: 2, failed: 12 });
  });
});
