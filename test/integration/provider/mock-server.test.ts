// The mock server over real HTTP, and the `mock` provider that runs it in-process.
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { canUnload, createProvider, defaultModelFor } from '../../../src/provider/create-provider.js';
import { type MockServer, startMockServer } from '../../../src/provider/mock-server.js';

let server: MockServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(url: string, body: unknown): Promise<{ status: number; text: string; requestId: unknown }> {
  const answer = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: answer.statusCode, text: await answer.body.text(), requestId: answer.headers['x-request-id'] };
}

const chat = (content: string) => ({ model: 'mock-small', messages: [{ role: 'user', content }] });

describe('startMockServer', () => {
  it('answers the same body with the same answer, another body with another', async () => {
    server = await startMockServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const first = await post(`${server.url}/v1/chat/completions`, chat('same question'));
    const second = await post(`${server.url}/v1/chat/completions`, chat('same question'));
    const other = await post(`${server.url}/v1/chat/completions`, chat('other question'));
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    expect(other.text).not.toBe(first.text);
    expect(JSON.parse(first.text)).toMatchObject({ choices: [{ message: { content: expect.stringMatching(/^mock reply [0-9a-f]{8}: same question$/) as unknown } }] });
    expect(server.stats).toEqual({ requests: 3, byPath: { '/v1/chat/completions': 3 } });
  });

  it('returns embeddings of several texts in reversed order, matched by index', async () => {
    server = await startMockServer();
    const texts = ['first', 'second', 'third', 'fourth'];
    const answer = await post(`${server.url}/v1/embeddings`, { model: 'e', input: texts });
    const { data } = JSON.parse(answer.text) as { data: { index: number; embedding: number[] }[] };
    expect(data.map((entry) => entry.index)).toEqual([3, 2, 1, 0]);
    const single = await post(`${server.url}/v1/embeddings`, { model: 'e', input: 'third' });
    const [alone] = (JSON.parse(single.text) as { data: { embedding: number[] }[] }).data;
    expect(data.find((entry) => entry.index === 2)?.embedding).toEqual(alone?.embedding);
  });

  it('answers encoding_format "base64" with the float32 little-endian bytes of the same vectors', async () => {
    server = await startMockServer();
    const floats = await post(`${server.url}/v1/embeddings`, { model: 'e', input: ['one', 'two'] });
    const base64 = await post(`${server.url}/v1/embeddings`, { model: 'e', input: ['one', 'two'], encoding_format: 'base64' });
    const floatData = (JSON.parse(floats.text) as { data: { index: number; embedding: number[] }[] }).data;
    for (const entry of (JSON.parse(base64.text) as { data: { index: number; embedding: string }[] }).data) {
      const bytes = Buffer.from(entry.embedding, 'base64');
      const expected = Buffer.alloc(bytes.length);
      for (const [i, value] of (floatData.find((f) => f.index === entry.index)?.embedding ?? []).entries()) expected.writeFloatLE(value, i * 4);
      expect(bytes).toEqual(expected);
    }
  });

  it('serves /v1/models and the Ollama routes, and 404s the rest', async () => {
    server = await startMockServer();
    const models = await request(`${server.url}/v1/models`);
    expect(JSON.parse(await models.body.text())).toMatchObject({ data: [{ id: 'mock-small' }] });
    const tags = await request(`${server.url}/api/tags`);
    expect(JSON.parse(await tags.body.text())).toMatchObject({ models: [{ name: 'mock-small' }] });
    expect((await post(`${server.url}/api/chat`, chat('hi'))).status).toBe(200);
    expect((await post(`${server.url}/api/embed`, { model: 'e', input: ['a'] })).status).toBe(200);
    expect((await post(`${server.url}/api/generate`, { model: 'e', keep_alive: 0 })).status).toBe(200);
    expect((await post(`${server.url}/nope`, {})).status).toBe(404);
    expect(server.stats.byPath['other']).toBe(1);
  });

  it('--fail-rate answers some requests with 500, and retries of the same body get through', async () => {
    server = await startMockServer({ failRate: 0.5 });
    let failures = 0;
    for (let index = 0; index < 20; index++) {
      const body = chat(`question ${index}`);
      let attempts = 0;
      for (let answer = await post(`${server.url}/v1/chat/completions`, body); answer.status !== 200; answer = await post(`${server.url}/v1/chat/completions`, body)) {
        expect(answer.status).toBe(500);
        failures += 1;
        attempts += 1;
        expect(attempts).toBeLessThan(30);
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('pads chat answers to --response-bytes', async () => {
    server = await startMockServer({ responseBytes: 100_000 });
    const answer = await post(`${server.url}/v1/chat/completions`, chat('big'));
    const content = (JSON.parse(answer.text) as { choices: { message: { content: string } }[] }).choices[0]?.message.content;
    expect(content?.length).toBe(100_000);
  });

  it('close() returns even with keep-alive sockets open, and is idempotent', async () => {
    const local = await startMockServer();
    await post(`${local.url}/v1/chat/completions`, chat('keep me alive'));
    await Promise.all([local.close(), local.close()]);
    await expect(post(`${local.url}/v1/chat/completions`, chat('again'))).rejects.toThrow();
  });
});

describe('createProvider', () => {
  it("'mock' runs the mock server in-process and its close() stops it", async () => {
    expect(defaultModelFor('mock')).toBe('mock-small');
    expect(defaultModelFor('openai')).toBeUndefined();
    const provider = await createProvider({
      provider: 'mock',
      baseUrl: undefined,
      apiKey: 'sk-real-key-must-not-travel',
      headers: [],
      timeoutMs: 5000,
      maxResponseBytes: 8 * 1024 * 1024,
      connections: 4,
    });
    expect(provider.name).toBe('mock');
    expect(provider.embeddingEncoding).toBe('base64');
    expect(canUnload(provider)).toBe(false);
    const response = await provider.send('/v1/chat/completions', chat('smoke'), new AbortController().signal);
    expect(JSON.parse(response.bodyText)).toMatchObject({ model: 'mock-small' });
    await provider.close();
    await provider.close();
    await expect(request(`${provider.baseUrl}/models`)).rejects.toThrow();
  });

  it("'openai' and 'ollama' use their defaults, and only Ollama can unload", async () => {
    const common = { apiKey: undefined, headers: [], timeoutMs: 1000, maxResponseBytes: 1024, connections: 1 } as const;
    const openai = await createProvider({ ...common, provider: 'openai', baseUrl: undefined });
    const ollama = await createProvider({ ...common, provider: 'ollama', baseUrl: undefined, keepAlive: '5m' });
    try {
      expect([openai.name, openai.baseUrl, canUnload(openai)]).toEqual(['openai', 'https://api.openai.com/v1', false]);
      expect([ollama.name, ollama.baseUrl, canUnload(ollama)]).toEqual(['ollama', 'http://127.0.0.1:11434', true]);
      expect([openai.embeddingEncoding, ollama.embeddingEncoding]).toEqual(['base64', 'float']);
    } finally {
      await openai.close();
      await ollama.close();
    }
  });
});
