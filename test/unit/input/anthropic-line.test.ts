// Anthropic batch lines ({custom_id, params}) and --max-tokens, through the input normaliser.
import { describe, expect, it } from 'vitest';
import { normalizeLine, type NormalizeOptions } from '../../../src/input/normalize.js';
import type { ParsedLine } from '../../../src/input/record.js';
import { requestHash } from '../../../src/input/request-hash.js';
import { estimateTokenCounter } from '../../../src/input/tokens.js';

const base: NormalizeOptions = { mode: 'cache', model: 'claude-sonnet-4-5', maxContextTokens: undefined, textField: 'text', tokenCounter: estimateTokenCounter };

function parse(value: unknown, overrides: Partial<NormalizeOptions> = {}): ParsedLine {
  return normalizeLine({ line: 3, bytes: Buffer.from(JSON.stringify(value)) }, { ...base, ...overrides });
}

const params = { model: 'claude-haiku-4-5', max_tokens: 200, system: [{ type: 'text', text: 'be brief' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }], top_k: 5 };

describe('Anthropic batch lines', () => {
  it('become /v1/messages jobs whose body is the params as they are', () => {
    const parsed = parse({ custom_id: 'a-1', params });
    if (parsed.kind !== 'job') throw new Error(JSON.stringify(parsed.bad));
    expect(parsed.job).toMatchObject({ id: 'a-1', line: 3, endpoint: '/v1/messages', body: params, trimmed: false });
    expect(parsed.job.hash).toBe(requestHash('/v1/messages', params));
    // guards: the same params as an OpenAI chat body must not share a cache key
    expect(parsed.job.hash).not.toBe(requestHash('/v1/chat/completions', params));
    expect(parsed.job.estimatedTokens).toBeGreaterThan(0);
  });

  it('get the default model and --max-tokens only where the params have none', () => {
    const parsed = parse({ custom_id: 'a-2', params: { messages: [{ role: 'user', content: 'hi' }] } }, { maxTokens: 1024 });
    expect(parsed.kind === 'job' && parsed.job.body).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] });
  });

  it.each<[unknown, Partial<NormalizeOptions>, RegExp]>([
    [{ custom_id: 'b', params }, { anthropicLines: 'refuse' }, /needs --provider anthropic/],
    [{ custom_id: 'b', params }, { mode: 'embeddings' }, /run it with --mode cache/],
    [{ custom_id: 'b', params: 'hi' }, {}, /`params` must be an object/],
    [{ custom_id: 'b', params: { ...params, stream: true } }, {}, /`params.stream` must not be true/],
    [{ custom_id: 'b', params: { ...params, messages: [] } }, {}, /`params.messages` must be a non-empty array/],
    [{ custom_id: 'b', params: { ...params, messages: [{ role: 'system', content: 'x' }] } }, {}, /`params.messages\[0\].role` must be user or assistant.*params.system/],
    [{ custom_id: 'b', params: { ...params, messages: [{ role: 'user', content: [] }] } }, {}, /`params.messages\[0\].content`/],
    [{ custom_id: 'b', params: { ...params, model: '' } }, {}, /`params.model` must be a non-empty string/],
  ])('refuse %j (%j) as an invalid record naming the problem', (value, overrides, message) => {
    const parsed = parse(value, overrides);
    if (parsed.kind !== 'bad') throw new Error('expected a bad line');
    expect(parsed.bad).toMatchObject({ id: 'b', line: 3, code: 'invalid_record' });
    expect(parsed.bad.message).toMatch(message);
  });
});

describe('--max-tokens on chat lines', () => {
  it('fills max_tokens when the line sets neither max_tokens nor max_completion_tokens', () => {
    const filled = parse({ id: 'c', prompt: 'hi' }, { maxTokens: 64 });
    expect(filled.kind === 'job' && filled.job.body['max_tokens']).toBe(64);
    const own = parse({ custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 9 } }, { maxTokens: 64 });
    expect(own.kind === 'job' && own.job.body).toEqual({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 9 });
  });

  it('leaves the body (and so its cache key) alone when not given, and embeddings always', () => {
    const plain = parse({ id: 'c', prompt: 'hi' });
    expect(plain.kind === 'job' && 'max_tokens' in plain.job.body).toBe(false);
    const embedding = parse({ id: 'e', text: 'hi' }, { mode: 'embeddings', maxTokens: 64 });
    expect(embedding.kind === 'job' && embedding.job.body).toEqual({ model: 'claude-sonnet-4-5', input: 'hi' });
  });
});
