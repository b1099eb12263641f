// The OpenAI provider over real HTTP against the scriptable fault server.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockEmbedding } from '../../../src/provider/mock-answers.js';
import { encodeVector } from '../../../src/vectors/float32.js';
import { ProviderError } from '../../../src/errors.js';
import { CONNECT_REFUSED } from '../../../src/provider/classify.js';
import { OpenAiProvider, type OpenAiProviderOptions } from '../../../src/provider/openai.js';
import { type Fault, type FaultServer, startFaultServer } from '../../helpers/fault-server.js';

const KEY = 'sk-test-SECRET-0123456789';
const chat = { model: 'gpt-test', messages: [{ role: 'user', content: 'hello there' }] };
const never = new AbortController().signal;

let server: FaultServer | undefined;
let provider: OpenAiProvider | undefined;

afterEach(async () => {
  await provider?.close();
  await server?.close();
  provider = undefined;
  server = undefined;
});

async function setup(behaviour: (n: number) => Fault, options: Partial<OpenAiProviderOptions> = {}) {
  server = await startFaultServer({ behaviour: ({ n }) => behaviour(n) });
  provider = new OpenAiProvider({
    baseUrl: `${server.url}/v1`,
    apiKey: KEY,
    headers: [],
    timeoutMs: 5000,
    maxResponseBytes: 64 * 1024,
    connections: 2,
    useProxyEnv: false,
    ...options,
  });
  return { server, provider };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('OpenAiProvider', () => {
  it('sends chat to <baseUrl>/chat/completions with the key and returns the answer', async () => {
    const { server, provider } = await setup(() => 'ok');
    const response = await provider.send('/v1/chat/completions', chat, never);
    expect(response.status).toBe(200);
    expect(response.requestId).toMatch(/^req_/);
    expect(response.usage?.promptTokens).toBeGreaterThan(0);
    expect(JSON.parse(response.bodyText)).toMatchObject({ object: 'chat.completion', model: 'gpt-test' });
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.json).toEqual(chat);
  });

  it('sends embeddings to <baseUrl>/embeddings', async () => {
    const { server, provider } = await setup(() => 'ok');
    const response = await provider.send('/v1/embeddings', { model: 'e', input: ['a', 'b'] }, never);
    expect(response.vectors).toHaveLength(2);
    expect(response.usage).toMatchObject({ completionTokens: null });
    expect(server.requests[0]?.path).toBe('/v1/embeddings');
  });

  it('hands embeddings answers on decoded (no text kept), chat answers as text only, and asks for base64', async () => {
    const { provider } = await setup(() => 'ok');
    expect(provider.embeddingEncoding).toBe('base64');
    const embeddings = await provider.send('/v1/embeddings', { model: 'e', input: ['a'], encoding_format: 'base64' }, never);
    expect(embeddings.bodyText).toBe('');
    expect(embeddings.vectors).toEqual([encodeVector(mockEmbedding('a'))]);
    const answer = await provider.send('/v1/chat/completions', chat, never);
    expect(answer.vectors).toBeUndefined();
    expect(JSON.parse(answer.bodyText)).toMatchObject({ object: 'chat.completion' });
  });

  it('sends --header values (overriding defaults) and no Authorization without a key', async () => {
    const { server, provider } = await setup(() => 'ok', { apiKey: undefined, headers: [['api-key', 'azure-key'], ['X-Trace', '1'], ['User-Agent', 'mine']] });
    await provider.send('/v1/chat/completions', chat, never);
    const headers = server.requests[0]?.headers ?? {};
    expect(headers['api-key']).toBe('azure-key');
    expect(headers['x-trace']).toBe('1');
    expect(headers['user-agent']).toBe('mine');
    expect(headers['authorization']).toBeUndefined();
  });

  it('keeps a query on the base URL after the path (Azure api-version)', async () => {
    const { server } = await setup(() => ({ status: 200, body: { object: 'chat.completion', choices: [] } }), {});
    const azure = new OpenAiProvider({ baseUrl: `${server.url}/openai/deployments/gpt?api-version=2024-06-01`, apiKey: undefined, headers: [], timeoutMs: 5000, maxResponseBytes: 65_536, connections: 1, useProxyEnv: false });
    try {
      await azure.send('/v1/chat/completions', chat, never);
    } finally {
      await azure.close();
    }
    expect(server.requests[0]?.path).toBe('/openai/deployments/gpt/chat/completions');
  });

  it('reuses its keep-alive sockets: at most `connections` for many sequential requests', async () => {
    const { server, provider } = await setup(() => 'ok', { connections: 2 });
    for (let index = 0; index < 20; index++) await provider.send('/v1/chat/completions', { ...chat, seed: index }, never);
    expect(server.requests).toHaveLength(20);
    expect(server.connectionsAccepted()).toBeLessThanOrEqual(2);
  });

  it('400 fails the record with the server message', async () => {
    const { provider } = await setup(() => ({ status: 400, body: { error: { message: "Invalid value for 'temperature'", type: 'invalid_request_error' } } }));
    const error = await failure(provider.send('/v1/chat/completions', chat, never));
    expect(error).toMatchObject({ scope: 'record', status: 400, code: 'http_400' });
    expect(error.message).toContain("Invalid value for 'temperature'");
  });

  it('401 stops the run, names the base URL and never shows the key (even when the server echoes it)', async () => {
    const { server, provider } = await setup(() => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}.`, type: 'invalid_request_error', code: 'invalid_api_key' } } }));
    const error = await failure(provider.send('/v1/chat/completions', chat, never));
    expect(error).toMatchObject({ scope: 'run', status: 401 });
    expect(error.message).toContain(`${server.url}/v1`);
    expect(JSON.stringify({ message: error.message, hint: error.hint, stack: error.stack })).not.toContain(KEY);
  });

  it('a 400 that echoes the key is redacted', async () => {
    const { provider } = await setup(() => ({ status: 400, body: { error: { message: `bad request from key ${KEY}` } } }));
    const error = await failure(provider.send('/v1/chat/completions', chat, never));
    expect(error.message).not.toContain(KEY);
  });

  it('429 with Retry-After is retryable with retryAfterMs', async () => {
    const { provider } = await setup(() => ({ status: 429, headers: { 'retry-after': '3' }, body: { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } } }));
    const error = await failure(provider.send('/v1/chat/completions', chat, never));
    expect(error).toMatchObject({ scope: 'retryable', status: 429, code: 'http_429', retryAfterMs: 3000 });
  });

  it('429 insufficient_quota stops the run', async () => {
    const { provider } = await setup(() => ({ status: 429, body: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } } }));
    expect(await failure(provider.send('/v1/chat/completions', chat, never))).toMatchObject({ scope: 'run', status: 429 });
  });

  it('500 is retryable, and the next attempt on the same provider succeeds', async () => {
    const { provider } = await setup((n) => (n === 1 ? { status: 500, body: 'oops' } : 'ok'));
    expect(await failure(provider.send('/v1/chat/completions', chat, never))).toMatchObject({ scope: 'retryable', code: 'http_500' });
    expect((await provider.send('/v1/chat/completions', chat, never)).status).toBe(200);
  });

  it('a reset connection is retryable', async () => {
    const { provider } = await setup((n) => (n === 1 ? 'reset' : 'ok'));
    const error = await failure(provider.send('/v1/chat/completions', chat, never));
    expect(error).toMatchObject({ scope: 'retryable', code: 'connection_reset' });
    expect((await provider.send('/v1/chat/completions', chat, never)).status).toBe(200);
  });

  it('a body cut short is retryable', async () => {
    const { provider } = await setup(() => 'truncate');
    const error = await failure(provider.send('/v1/chat/completions', chat, never));
    expect(error).toMatchObject({ scope: 'retryable', code: 'body_truncated' });
  });

  it.each([
    ['an HTML page', '<html>proxy says hi</html>'],
    ['an empty body', ''],
    ['a JSON array', '[1,2]'],
  ])('%s on a 200 is retryable', async (_name, body) => {
    const { provider } = await setup(() => ({ status: 200, body }));
    expect(await failure(provider.send('/v1/chat/completions', chat, never))).toMatchObject({ scope: 'retryable', code: 'invalid_response' });
  });

  it.each([
    ['streamed', false],
    ['declared by content-length', true],
  ])('a body over --max-response-bytes (%s) fails the record and its socket is closed', async (_name, declared) => {
    const { server, provider } = await setup((n) => (n === 1 ? { bytes: 50 * 1024 * 1024, declared } : 'ok'), { connections: 1 });
    const error = await failure(provider.send('/v1/chat/completions', chat, never));
    expect(error).toMatchObject({ scope: 'record', code: 'response_too_large' });
    // guards: the aborted body must not hold its socket (or the pool's only connection)
    await vi.waitFor(() => expect(server.openSockets()).toBe(0), { timeout: 5000 });
    expect((await provider.send('/v1/chat/completions', chat, never)).status).toBe(200);
  });

  it('a slow answer past --timeout is retryable', async () => {
    const { provider } = await setup(() => ({ slowMs: 3000 }), { timeoutMs: 100 });
    expect(await failure(provider.send('/v1/chat/completions', chat, never))).toMatchObject({ scope: 'retryable', code: 'timeout' });
  });

  it('honours the abort signal mid-request', async () => {
    const { server, provider } = await setup(() => ({ slowMs: 10_000 }));
    const controller = new AbortController();
    const sending = provider.send('/v1/chat/completions', chat, controller.signal);
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort(new Error('SIGINT'));
    expect(await failure(sending)).toMatchObject({ scope: 'retryable', code: 'MS_ABORTED' });
    const aborted = new AbortController();
    aborted.abort();
    expect(await failure(provider.send('/v1/chat/completions', chat, aborted.signal))).toMatchObject({ code: 'MS_ABORTED' });
    expect(server.requests).toHaveLength(1);
  });

  it('a refused connection has code MS_CONNECT_REFUSED', async () => {
    const { server: closed } = await setup(() => 'ok');
    const url = closed.url;
    await closed.close();
    server = undefined;
    const lonely = new OpenAiProvider({ baseUrl: `${url}/v1`, apiKey: KEY, headers: [], timeoutMs: 5000, maxResponseBytes: 1024, connections: 1, useProxyEnv: false });
    try {
      const error = await failure(lonely.send('/v1/chat/completions', chat, never));
      expect(error).toMatchObject({ scope: 'retryable', code: CONNECT_REFUSED });
      expect(error.message).not.toContain(KEY);
    } finally {
      await lonely.close();
    }
  });

  // guards: one run-wide signal shared by every request in flight must not trip node's listener-leak warning
  it('many requests in flight on one signal raise no MaxListenersExceededWarning', async () => {
    const { provider } = await setup(() => ({ slowMs: 20 }), { connections: 32 });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const shared = new AbortController().signal;
      await Promise.all(Array.from({ length: 32 }, (_, index) => provider.send('/v1/chat/completions', { ...chat, seed: index }, shared)));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('close() is idempotent', async () => {
    const { provider } = await setup(() => 'ok');
    await provider.send('/v1/chat/completions', chat, never);
    await Promise.all([provider.close(), provider.close()]);
  });
});
