import { describe, expect, it } from 'vitest';
import { base64Vector, failsOnAttempt, mockAnswer, mockEmbedding, replyContent, sha256Hex } from '../../../src/provider/mock-answers.js';

const chatBody = (text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: text }], ...extra });

interface ChatJson {
  id: string;
  model: string;
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface EmbeddingsJson {
  data: { index: number; embedding: number[] }[];
  usage: { prompt_tokens: number };
}

describe('mockAnswer: chat', () => {
  it('answers from the body alone: the same body, the same answer', () => {
    const body = chatBody('What is the capital of France?');
    const first = mockAnswer('POST', '/v1/chat/completions', body);
    const second = mockAnswer('POST', '/v1/chat/completions', body);
    expect(second).toEqual(first);
    const json = JSON.parse(first.body) as ChatJson;
    expect(json.choices[0]?.message.content).toBe(`mock reply ${sha256Hex(body).slice(0, 8)}: What is the capital of France?`);
    expect(json.model).toBe('mock-small');
    expect(first.headers['x-request-id']).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it('differs when the body differs, and keeps the model asked for', () => {
    const a = JSON.parse(mockAnswer('POST', '/v1/chat/completions', chatBody('one')).body) as ChatJson;
    const b = JSON.parse(mockAnswer('POST', '/v1/chat/completions', chatBody('one', { model: 'gpt-x' })).body) as ChatJson;
    expect(a.choices[0]?.message.content).not.toBe(b.choices[0]?.message.content);
    expect(b.model).toBe('gpt-x');
  });

  it('quotes the first 60 characters of the last user message and counts tokens as chars / 4', () => {
    const long = 'x'.repeat(200);
    const json = JSON.parse(mockAnswer('POST', '/v1/chat/completions', chatBody(long)).body) as ChatJson;
    const content = json.choices[0]?.message.content ?? '';
    expect(content.endsWith(`: ${'x'.repeat(60)}`)).toBe(true);
    expect(json.usage.prompt_tokens).toBe(Math.ceil(('be brief'.length + 200) / 4));
    expect(json.usage.completion_tokens).toBe(Math.ceil(content.length / 4));
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
  });

  it('pads the content to about --response-bytes', () => {
    const json = JSON.parse(mockAnswer('POST', '/v1/chat/completions', chatBody('hi'), { responseBytes: 10_000 }).body) as ChatJson;
    expect(json.choices[0]?.message.content.length).toBe(10_000);
    expect(replyContent('ab'.repeat(32), 'hi', 5)).toBe(`mock reply abababab: hi`);
  });

  it.each([
    ['not JSON', '{', 400],
    ['an array', '[]', 400],
    ['no messages', '{"model":"m"}', 400],
  ])('refuses %s with 400', (_name, body, status) => {
    const answer = mockAnswer('POST', '/v1/chat/completions', body);
    expect(answer.status).toBe(status);
    expect((JSON.parse(answer.body) as { error: { message: string } }).error.message).toBeTruthy();
  });

  it('404s an unknown route', () => {
    expect(mockAnswer('POST', '/v1/completions', '{}').status).toBe(404);
    expect(mockAnswer('GET', '/v1/chat/completions', '').status).toBe(404);
  });
});

describe('mockAnswer: embeddings', () => {
  it('returns several vectors in reversed order, each with its index', () => {
    const texts = ['alpha', 'beta', 'gamma'];
    const json = JSON.parse(mockAnswer('POST', '/v1/embeddings', JSON.stringify({ input: texts })).body) as EmbeddingsJson;
    expect(json.data.map((entry) => entry.index)).toEqual([2, 1, 0]);
    for (const entry of json.data) expect(entry.embedding).toEqual(mockEmbedding(texts[entry.index] ?? ''));
    expect(json.usage.prompt_tokens).toBe(2 + 1 + 2); // ceil(chars / 4) per text
  });

  it('a single text keeps index 0; dimensions are honoured', () => {
    const json = JSON.parse(mockAnswer('POST', '/v1/embeddings', JSON.stringify({ input: 'alpha', dimensions: 64 })).body) as EmbeddingsJson;
    expect(json.data).toHaveLength(1);
    expect(json.data[0]?.index).toBe(0);
    expect(json.data[0]?.embedding).toHaveLength(64);
  });

  it('vectors depend on the text only, have unit length and differ between texts', () => {
    const a = mockEmbedding('alpha');
    expect(a).toHaveLength(16);
    expect(mockEmbedding('alpha')).toEqual(a);
    expect(mockEmbedding('beta')).not.toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 4);
  });

  it('answers encoding_format "base64" like OpenAI: the little-endian float32 bytes of the same vectors', () => {
    const texts = ['alpha', 'beta'];
    const json = JSON.parse(mockAnswer('POST', '/v1/embeddings', JSON.stringify({ input: texts, encoding_format: 'base64' })).body) as {
      data: { index: number; embedding: string }[];
    };
    for (const entry of json.data) {
      const bytes = Buffer.from(entry.embedding, 'base64');
      const values = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
      expect(values).toEqual([...Float32Array.from(mockEmbedding(texts[entry.index] ?? ''))]);
    }
    expect(base64Vector([1, -2.5])).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]).toString('base64'));
  });

  it.each([['{"input":[]}'], ['{"input":42}'], ['{"input":[{"a":1}]}'], ['{"input":"a","encoding_format":"binary"}']])('refuses %s with 400', (body) => {
    expect(mockAnswer('POST', '/v1/embeddings', body).status).toBe(400);
  });
});

describe('mockAnswer: models and Ollama routes', () => {
  it('lists models', () => {
    expect(JSON.parse(mockAnswer('GET', '/v1/models', '').body)).toMatchObject({ object: 'list', data: [{ id: 'mock-small' }] });
    expect(JSON.parse(mockAnswer('GET', '/api/tags', '').body)).toMatchObject({ models: [{ name: 'mock-small' }] });
  });

  it('answers /api/chat, /api/embed (in order) and an unload on /api/generate', () => {
    const chat = JSON.parse(mockAnswer('POST', '/api/chat', chatBody('hello')).body) as Record<string, unknown>;
    expect(chat).toMatchObject({ done: true, message: { role: 'assistant' } });
    expect(typeof chat['prompt_eval_count']).toBe('number');
    const embed = JSON.parse(mockAnswer('POST', '/api/embed', JSON.stringify({ input: ['a', 'b'] })).body) as { embeddings: number[][] };
    expect(embed.embeddings).toEqual([mockEmbedding('a'), mockEmbedding('b')]);
    expect(JSON.parse(mockAnswer('POST', '/api/generate', '{"model":"m","keep_alive":0}').body)).toMatchObject({ done_reason: 'unload' });
  });
});

describe('failsOnAttempt', () => {
  it('is deterministic, follows the rate roughly, and lets a retry through eventually', () => {
    const hashes = Array.from({ length: 2000 }, (_, index) => sha256Hex(String(index)));
    const failures = hashes.filter((hash) => failsOnAttempt(hash, 0, 0.3)).length;
    expect(failures).toBeGreaterThan(450);
    expect(failures).toBeLessThan(750);
    expect(hashes.map((hash) => failsOnAttempt(hash, 0, 0.3))).toEqual(hashes.map((hash) => failsOnAttempt(hash, 0, 0.3)));
    for (const hash of hashes.slice(0, 100)) {
      const firstPass = Array.from({ length: 30 }, (_, attempt) => failsOnAttempt(hash, attempt, 0.5)).indexOf(false);
      expect(firstPass).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    [0, false],
    [1, true],
  ])('rate %d -> always %s', (rate, expected) => {
    expect(failsOnAttempt('abc', 0, rate)).toBe(expected);
    expect(failsOnAttempt('abc', 7, rate)).toBe(expected);
  });
});
