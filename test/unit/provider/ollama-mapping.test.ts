import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { fromOllamaChat, fromOllamaEmbed, toOllamaChat, toOllamaEmbed } from '../../../src/provider/ollama.js';

describe('toOllamaChat', () => {
  it('maps the OpenAI body: stream off, sampling into options, max_tokens -> num_predict, keep_alive', () => {
    const body = {
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      max_tokens: 64,
      stop: '###',
      n: 1,
    };
    expect(toOllamaChat(body, '5m')).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
      options: { temperature: 0.2, top_p: 0.9, seed: 7, num_predict: 64, stop: ['###'] },
      keep_alive: '5m',
    });
  });

  it('omits empty options and keep_alive; max_completion_tokens wins over max_tokens', () => {
    expect(toOllamaChat({ model: 'm', messages: [] }, undefined)).toEqual({ model: 'm', messages: [], stream: false });
    expect(toOllamaChat({ model: 'm', messages: [], max_tokens: 5, max_completion_tokens: 9, stop: ['a', 'b'] }, 0)).toMatchObject({
      options: { num_predict: 9, stop: ['a', 'b'] },
      keep_alive: 0,
    });
  });

  it('flattens content parts, inlines data: images, and maps response_format', () => {
    const request = toOllamaChat(
      {
        model: 'llava',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is' },
              { type: 'text', text: 'this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
        ],
        response_format: { type: 'json_object' },
      },
      undefined,
    );
    expect(request['messages']).toEqual([{ role: 'user', content: 'what is\nthis?', images: ['iVBORw0KGgo='] }]);
    expect(request['format']).toBe('json');
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(toOllamaChat({ model: 'm', messages: [], response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }, undefined)['format']).toEqual(schema);
  });

  it('refuses image links it cannot pass on, as a record failure', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] };
    expect(() => toOllamaChat(body, undefined)).toThrow(ProviderError);
    try {
      toOllamaChat(body, undefined);
    } catch (error) {
      expect(error).toMatchObject({ scope: 'record', code: 'unsupported_input' });
    }
  });

  it('turns tool call arguments from JSON text into objects', () => {
    const request = toOllamaChat(
      { model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] }] },
      undefined,
    );
    expect(request['messages']).toEqual([{ role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: { x: 1 } } }] }]);
  });
});

describe('toOllamaEmbed', () => {
  it.each<[unknown, unknown]>([
    ['one text', ['one text']],
    [['a', 'b'], ['a', 'b']],
  ])('input %j -> %j', (input, expected) => {
    expect(toOllamaEmbed({ model: 'nomic-embed-text', input, dimensions: 8 }, '1m')).toEqual({ model: 'nomic-embed-text', input: expected, dimensions: 8, keep_alive: '1m' });
  });

  it('refuses token arrays as a record failure', () => {
    expect(() => toOllamaEmbed({ model: 'm', input: [1, 2, 3] }, undefined)).toThrow(/text input/);
  });
});

describe('fromOllamaChat', () => {
  it('maps to chat.completion with choices[0].message and usage from the eval counts', () => {
    const mapped = fromOllamaChat(
      { model: 'llama3.2', created_at: '2024-05-01T00:00:00Z', message: { role: 'assistant', content: 'Paris.' }, done: true, done_reason: 'stop', prompt_eval_count: 12, eval_count: 3 },
      { model: 'llama3.2' },
    );
    expect(mapped?.body).toMatchObject({
      object: 'chat.completion',
      created: Date.parse('2024-05-01T00:00:00Z') / 1000,
      model: 'llama3.2',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
    expect(mapped?.body['id']).toMatch(/^chatcmpl-/);
    expect(mapped?.usage).toEqual({ promptTokens: 12, completionTokens: 3, totalTokens: 15 });
  });

  it('maps length stops and tool calls, and knows an answer without a message is not one', () => {
    expect(fromOllamaChat({ message: { content: 'x' }, done_reason: 'length' }, { model: 'm' })?.body).toMatchObject({ model: 'm', choices: [{ finish_reason: 'length' }] });
    const tools = fromOllamaChat({ message: { content: '', tool_calls: [{ function: { name: 'f', arguments: { x: 1 } } }] } }, { model: 'm' });
    expect(tools?.body).toMatchObject({
      choices: [{ finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] } }],
    });
    expect(tools?.usage).toEqual({ promptTokens: null, completionTokens: null, totalTokens: null });
    expect(fromOllamaChat({ error: 'x' }, { model: 'm' })).toBeUndefined();
  });
});

describe('fromOllamaEmbed', () => {
  it('maps to an embeddings list in input order with usage', () => {
    const mapped = fromOllamaEmbed({ model: 'e', embeddings: [[0.1, 0.2], [0.3, 0.4]], prompt_eval_count: 6 }, { model: 'e' });
    expect(mapped?.body).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
        { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
      ],
      model: 'e',
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    expect(mapped?.usage).toEqual({ promptTokens: 6, completionTokens: null, totalTokens: 6 });
    expect(fromOllamaEmbed({}, { model: 'e' })).toBeUndefined();
  });
});
