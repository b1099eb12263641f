// The Ollama provider over real HTTP: native /api routes out, OpenAI shapes back.
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { mockEmbedding } from '../../../src/provider/mock-answers.js';
import { OllamaProvider, type OllamaProviderOptions } from '../../../src/provider/ollama.js';
import { encodeVector } from '../../../src/vectors/float32.js';
import { type Fault, type FaultServer, startFaultServer } from '../../helpers/fault-server.js';

const never = new AbortController().signal;
let server: FaultServer | undefined;
let provider: OllamaProvider | undefined;

afterEach(async () => {
  await provider?.close();
  await server?.close();
  provider = undefined;
  server = undefined;
});

async function setup(behaviour: () => Fault = () => 'ok', options: Partial<OllamaProviderOptions> = {}) {
  server = await startFaultServer({ behaviour });
  provider = new OllamaProvider({ baseUrl: server.url, headers: [], timeoutMs: 5000, maxResponseBytes: 1024 * 1024, connections: 2, ...options });
  return { server, provider };
}

describe('OllamaProvider', () => {
  it('sends chat to /api/chat (stream off, options, keep_alive) and answers in the chat.completion shape', async () => {
    const { server, provider } = await setup(() => 'ok', { keepAlive: '5m' });
    const response = await provider.send('/v1/chat/completions', { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], temperature: 0, max_tokens: 8 }, never);
    expect(server.requests[0]?.path).toBe('/api/chat');
    expect(server.requests[0]?.json).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
      options: { temperature: 0, num_predict: 8 },
      keep_alive: '5m',
    });
    const body = JSON.parse(response.bodyText) as { object: string; choices: { message: { role: string; content: string } }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.content).toMatch(/^mock reply [0-9a-f]{8}: hi$/);
    expect(response.usage?.promptTokens).toBeGreaterThan(0);
    expect(response.usage?.totalTokens).toBe((response.usage?.promptTokens ?? 0) + (response.usage?.completionTokens ?? 0));
  });

  it('sends embeddings to /api/embed with array input and answers an embeddings list', async () => {
    const { server, provider } = await setup(() => 'ok', { keepAlive: '0' });
    const response = await provider.send('/v1/embeddings', { model: 'nomic-embed-text', input: 'one text' }, never);
    expect(server.requests[0]?.path).toBe('/api/embed');
    expect(server.requests[0]?.json).toEqual({ model: 'nomic-embed-text', input: ['one text'], keep_alive: 0 });
    // The answer is decoded once, into the blobs the checkpoint stores; no copy of the body is kept.
    expect(response.bodyText).toBe('');
    expect(response.vectors).toEqual([encodeVector(mockEmbedding('one text'))]);
    expect(response.usage).toEqual({ promptTokens: 2, completionTokens: null, totalTokens: 2 });
  });

  it('keeps float vectors: /api/embed has no encoding_format, so none is passed on', async () => {
    const { server, provider } = await setup();
    expect(provider.embeddingEncoding).toBe('float');
    const response = await provider.send('/v1/embeddings', { model: 'm', input: ['a'], encoding_format: 'base64' }, never);
    expect(server.requests[0]?.json).not.toHaveProperty('encoding_format');
    expect(response.vectors).toEqual([encodeVector(mockEmbedding('a'))]);
  });

  it('drops a trailing /v1 from the base URL', async () => {
    const { server } = await setup();
    const withV1 = new OllamaProvider({ baseUrl: `${server.url}/v1`, headers: [], timeoutMs: 5000, maxResponseBytes: 65_536, connections: 1 });
    try {
      await withV1.send('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }] }, never);
    } finally {
      await withV1.close();
    }
    expect(withV1.baseUrl).toBe(server.url);
    expect(server.requests[0]?.path).toBe('/api/chat');
  });

  it('a missing model (404) fails the record with the message', async () => {
    const { provider } = await setup(() => ({ status: 404, body: { error: "model 'llama9' not found, try pulling it first" } }));
    const error = await provider.send('/v1/chat/completions', { model: 'llama9', messages: [{ role: 'user', content: 'x' }] }, never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ scope: 'record', code: 'http_404' });
    expect((error as Error).message).toContain("model 'llama9' not found");
  });

  it('an answer without a message is retryable', async () => {
    const { provider } = await setup(() => ({ status: 200, body: { done: true } }));
    await expect(provider.send('/v1/chat/completions', { model: 'm', messages: [] }, never)).rejects.toMatchObject({ scope: 'retryable', code: 'invalid_response' });
  });

  it('unloadModel posts keep_alive 0 to /api/generate', async () => {
    const { server, provider } = await setup();
    await provider.unloadModel('llama3.2');
    expect(server.requests[0]).toMatchObject({ path: '/api/generate', json: { model: 'llama3.2', keep_alive: 0 } });
  });

  it('unloadModel reports a server error', async () => {
    const { provider } = await setup(() => ({ status: 500, body: { error: 'boom' } }));
    await expect(provider.unloadModel('llama3.2')).rejects.toMatchObject({ scope: 'retryable', code: 'http_500' });
  });
});
