// The Anthropic provider over real HTTP against the team's Messages API server: headers, translation, OpenAI-shaped
// answers, error classes and the rate-limit reading.
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { AnthropicProvider, type AnthropicProviderOptions } from '../../../src/provider/anthropic.js';
import { createProvider, defaultModelFor } from '../../../src/provider/create-provider.js';
import { type AnthropicBehaviour, type AnthropicServer, startAnthropicServer, TEST_ANTHROPIC_KEY } from '../../helpers/anthropic-server.js';

const never = new AbortController().signal;
let server: AnthropicServer | undefined;
let provider: AnthropicProvider | undefined;

afterEach(async () => {
  await provider?.close();
  await server?.close();
  provider = undefined;
  server = undefined;
});

async function setup(behaviour?: (n: number) => AnthropicBehaviour, options: Partial<AnthropicProviderOptions> = {}) {
  server = await startAnthropicServer(behaviour === undefined ? {} : { behaviour: (request) => behaviour(request.n) });
  provider = new AnthropicProvider({ baseUrl: server.url, apiKey: TEST_ANTHROPIC_KEY, headers: [], timeoutMs: 5000, maxResponseBytes: 1024 * 1024, connections: 2, useProxyEnv: false, ...options });
  return { server, provider };
}

const chat = { model: 'claude-sonnet-4-5', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'why is the sky blue?' }], stop: ['\n\n'], temperature: 0 };

describe('AnthropicProvider', () => {
  it('posts to /v1/messages with x-api-key and anthropic-version, translated, and answers chat.completion', async () => {
    const { server, provider } = await setup();
    const response = await provider.send('/v1/chat/completions', chat, never);
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe(TEST_ANTHROPIC_KEY);
    expect(request?.headers['anthropic-version']).toBe('2023-06-01');
    expect(request?.headers['authorization']).toBeUndefined();
    expect(request?.json).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: 'be brief',
      messages: [{ role: 'user', content: 'why is the sky blue?' }],
      stop_sequences: ['\n\n'],
      temperature: 0,
    });
    const body = JSON.parse(response.bodyText) as { object: string; choices: { message: { content: string }; finish_reason: string }[]; usage: unknown };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]).toMatchObject({ message: { content: 'claude says: why is the sky blue?' }, finish_reason: 'stop' });
    const usage = server.answered[0];
    expect(body.usage).toEqual({ prompt_tokens: usage?.input_tokens, completion_tokens: 7, total_tokens: (usage?.input_tokens ?? 0) + 7 });
    expect(response.usage).toEqual({ promptTokens: usage?.input_tokens, completionTokens: 7, totalTokens: (usage?.input_tokens ?? 0) + 7 });
    expect(response.requestId).toBe('req_1');
    expect(response.rateLimit).toMatchObject({ limitRequests: 50, remainingRequests: 49, limitTokens: 48000 });
    expect(response.rateLimit?.resetRequestsMs).toBeGreaterThan(0);
  });

  it('sends /v1/messages bodies (Anthropic batch params) untranslated; --header overrides defaults', async () => {
    const { server, provider } = await setup(undefined, { apiKey: undefined, headers: [['X-Api-Key', TEST_ANTHROPIC_KEY], ['anthropic-beta', 'x']] });
    const params = { model: 'claude-haiku-4-5', max_tokens: 20, system: [{ type: 'text', text: 'sys' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hey' }] }], top_k: 3 };
    const response = await provider.send('/v1/messages', params, never);
    expect(server.requests[0]?.json).toEqual(params);
    expect(server.requests[0]?.headers['anthropic-beta']).toBe('x');
    expect(JSON.parse(response.bodyText)).toMatchObject({ choices: [{ message: { role: 'assistant', content: 'claude says: hey' } }] });
  });

  it.each<[string, AnthropicBehaviour, { scope: string; status: number; backpressure?: boolean; retryAfterMs?: number }]>([
    ['429 + retry-after', { status: 429, type: 'rate_limit_error', message: 'rate limited', headers: { 'retry-after': '2' } }, { scope: 'retryable', status: 429, retryAfterMs: 2000 }],
    ['529 overloaded', { status: 529, type: 'overloaded_error', message: 'Overloaded' }, { scope: 'retryable', status: 529, backpressure: true }],
    ['400 invalid request', { status: 400, type: 'invalid_request_error', message: 'prompt is too long' }, { scope: 'record', status: 400 }],
  ])('%s is classified with its rate-limit reading', async (_name, behaviour, expected) => {
    const { provider } = await setup(() => behaviour);
    const error = await provider.send('/v1/chat/completions', chat, never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject(expected);
    expect((error as ProviderError).rateLimit?.limitRequests).toBe(50);
  });

  it('a wrong key is a run-level 401 whose message has no key in it', async () => {
    const { provider } = await setup(undefined, { apiKey: 'sk-ant-wrong-key-123456' });
    const error = (await provider.send('/v1/chat/completions', chat, never).catch((caught: unknown) => caught)) as ProviderError;
    expect(error).toMatchObject({ scope: 'run', status: 401 });
    expect(error.message).toMatch(/Authentication failed \(HTTP 401 authentication_error\)/);
    expect(`${error.message} ${error.hint ?? ''}`).not.toContain('sk-ant-wrong-key-123456');
  });

  it('refuses embeddings for the run, and OpenAI-style providers refuse Anthropic batch lines as records', async () => {
    const { server, provider } = await setup();
    await expect(provider.send('/v1/embeddings', { model: 'm', input: 'x' }, never)).rejects.toMatchObject({ scope: 'run', code: 'unsupported_mode' });
    const openai = await createProvider({ provider: 'openai', baseUrl: `${server.url}/v1`, apiKey: undefined, headers: [], timeoutMs: 1000, maxResponseBytes: 1024, connections: 1 });
    try {
      await expect(openai.send('/v1/messages', { messages: [] }, never)).rejects.toMatchObject({ scope: 'record', code: 'invalid_record' });
    } finally {
      await openai.close();
    }
    expect(server.requests).toHaveLength(0);
  });

  it('is built by createProvider with the base URL (a trailing /v1 dropped) and has a default model', async () => {
    server = await startAnthropicServer();
    const built = await createProvider({ provider: 'anthropic', baseUrl: `${server.url}/v1`, apiKey: TEST_ANTHROPIC_KEY, headers: [], timeoutMs: 5000, maxResponseBytes: 1024 * 1024, connections: 1, maxTokens: 5 });
    try {
      expect(built.name).toBe('anthropic');
      expect(built.baseUrl).toBe(server.url);
      await built.send('/v1/chat/completions', { model: 'claude-x', messages: [{ role: 'user', content: 'hi' }] }, never);
      expect(server.requests[0]?.json).toMatchObject({ max_tokens: 5 });
    } finally {
      await built.close();
    }
    expect(defaultModelFor('anthropic')).toMatch(/^claude-/);
  });
});
