import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import type { RawLine } from '../../../src/input/line-splitter.js';
import { normalizeLine, type NormalizeOptions } from '../../../src/input/normalize.js';
import type { BadLine, Job, Mode } from '../../../src/input/record.js';
import { requestHash } from '../../../src/input/request-hash.js';
import { estimateTokenCounter, loadTokenCounter, type TokenCounter } from '../../../src/input/tokens.js';

const LINE = 7;

function options(overrides: Partial<NormalizeOptions> = {}): NormalizeOptions {
  return {
    mode: 'cache',
    model: 'default-model',
    maxContextTokens: undefined,
    textField: 'text',
    tokenCounter: estimateTokenCounter,
    ...overrides,
  };
}

function rawLine(value: unknown): RawLine {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { line: LINE, bytes: Buffer.from(text) };
}

function job(value: unknown, overrides: Partial<NormalizeOptions> = {}): Job {
  const parsed = normalizeLine(rawLine(value), options(overrides));
  if (parsed.kind !== 'job') throw new Error(`expected a job, got ${JSON.stringify(parsed.bad)}`);
  return parsed.job;
}

function badLine(raw: RawLine | unknown, overrides: Partial<NormalizeOptions> = {}): BadLine {
  const line = isRawLine(raw) ? raw : rawLine(raw);
  const parsed = normalizeLine(line, options(overrides));
  if (parsed.kind !== 'bad') throw new Error(`expected a bad line, got ${JSON.stringify(parsed.job)}`);
  return parsed.bad;
}

function isRawLine(value: unknown): value is RawLine {
  return typeof value === 'object' && value !== null && 'line' in value && ('bytes' in value || 'tooLong' in value);
}

const CHAT = '/v1/chat/completions';
const EMBEDDINGS = '/v1/embeddings';

describe('normalizeLine: good lines', () => {
  const cases: { name: string; line: unknown; mode?: Mode; textField?: string; id: string; body: unknown }[] = [
    {
      name: 'simple prompt',
      line: { id: 'a', prompt: 'Hi' },
      id: 'a',
      body: { model: 'default-model', messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'simple prompt with system',
      line: { id: 'a', system: 'Be brief.', prompt: 'Hi' },
      id: 'a',
      body: {
        model: 'default-model',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      },
    },
    {
      name: 'simple messages',
      line: { id: 'a', messages: [{ role: 'developer', content: 'x' }, { role: 'user', content: [{ type: 'text', text: 'y' }] }] },
      id: 'a',
      body: {
        model: 'default-model',
        messages: [{ role: 'developer', content: 'x' }, { role: 'user', content: [{ type: 'text', text: 'y' }] }],
      },
    },
    {
      name: 'assistant tool call with null content',
      line: {
        id: 'a',
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 't1', content: 'sunny' },
        ],
      },
      id: 'a',
      body: {
        model: 'default-model',
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 't1', content: 'sunny' },
        ],
      },
    },
    {
      name: 'simple line with its own model',
      line: { id: 'a', model: 'own', prompt: 'Hi' },
      id: 'a',
      body: { model: 'own', messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'batch line without model gets the default',
      line: { custom_id: 'b', method: 'POST', url: CHAT, body: { messages: [{ role: 'user', content: 'Hi' }], temperature: 0 } },
      id: 'b',
      body: { model: 'default-model', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 },
    },
    {
      name: 'batch line keeps its own model',
      line: { custom_id: 'b', method: 'POST', url: CHAT, body: { model: 'gpt-x', messages: [{ role: 'user', content: 'Hi' }] } },
      id: 'b',
      body: { model: 'gpt-x', messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'custom_id wins over id',
      line: { custom_id: 'c', id: 'd', prompt: 'Hi' },
      id: 'c',
      body: { model: 'default-model', messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'a number id becomes its decimal string',
      line: { id: 42, prompt: 'Hi' },
      id: '42',
      body: { model: 'default-model', messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'no id gets line-<n>',
      line: { prompt: 'Hi' },
      id: `line-${LINE}`,
      body: { model: 'default-model', messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'simple embeddings line',
      line: { id: 'e', text: 'hello' },
      mode: 'embeddings',
      id: 'e',
      body: { model: 'default-model', input: 'hello' },
    },
    {
      name: 'embeddings line with a configured text field',
      line: { id: 'e', content: 'hello' },
      mode: 'embeddings',
      textField: 'content',
      id: 'e',
      body: { model: 'default-model', input: 'hello' },
    },
    {
      name: 'batch embeddings line with an input array',
      line: { custom_id: 'e', method: 'POST', url: EMBEDDINGS, body: { input: ['a', 'b'], dimensions: 8 } },
      mode: 'embeddings',
      id: 'e',
      body: { model: 'default-model', input: ['a', 'b'], dimensions: 8 },
    },
  ];

  it.each(cases)('$name', ({ line, mode = 'cache', textField = 'text', id, body }) => {
    const result = job(line, { mode, textField });
    expect(result).toMatchObject({
      id,
      line: LINE,
      endpoint: mode === 'cache' ? CHAT : EMBEDDINGS,
      trimmed: false,
      bytes: Buffer.byteLength(JSON.stringify(line)),
    });
    expect(result.body).toEqual(body);
    expect(result.hash).toBe(requestHash(result.endpoint, body));
    expect(result.estimatedTokens).toBeGreaterThan(0);
  });

  it('counts the line bytes, not characters', () => {
    const text = '{"id":"é","prompt":"😀"}';
    expect(job(text).bytes).toBe(Buffer.byteLength(text));
  });

  it('hashes the same request the same under any id, key order or line shape', () => {
    const simple = job({ id: 'one', prompt: 'Hi', system: 'S' });
    const reordered = job('{"system":"S","prompt":"Hi","id":"two"}');
    const batch = job({
      custom_id: 'three',
      method: 'POST',
      url: CHAT,
      body: { messages: [{ content: 'S', role: 'system' }, { role: 'user', content: 'Hi' }], model: 'default-model' },
    });
    expect(reordered.hash).toBe(simple.hash);
    expect(batch.hash).toBe(simple.hash);
    expect(job({ id: 'four', prompt: 'Hi', system: 'S' }, { model: 'other' }).hash).not.toBe(simple.hash);
  });

  it('estimates tokens exactly with the exact counter', async () => {
    const tokenizer = await import('gpt-tokenizer');
    const exact = await loadTokenCounter(true);
    const result = job({ id: 'a', system: 'You are terse.', prompt: 'Name three rivers in Europe.' }, { tokenCounter: exact });
    const messages = result.body['messages'] as { role: 'system' | 'user'; content: string }[];
    expect(result.estimatedTokens).toBe(tokenizer.encodeChat(messages, 'gpt-4o').length);
  });
});

describe('normalizeLine: bad lines', () => {
  const lineId = `line-${LINE}`;
  const batch = (body: unknown, extra: Record<string, unknown> = {}) => ({ custom_id: 'k', method: 'POST', url: CHAT, body, ...extra });
  const user = { role: 'user', content: 'Hi' };
  const cases: { name: string; line: unknown; mode?: Mode; code: string; id: string; message: string }[] = [
    { name: 'invalid JSON', line: '{"id": "a",', code: 'invalid_json', id: lineId, message: 'invalid JSON' },
    { name: 'an array', line: '[1,2]', code: 'not_an_object', id: lineId, message: 'got an array' },
    { name: 'a string', line: '"text"', code: 'not_an_object', id: lineId, message: 'got a string' },
    { name: 'null', line: 'null', code: 'not_an_object', id: lineId, message: 'got null' },
    { name: 'a boolean id', line: { id: true, prompt: 'Hi' }, code: 'invalid_record', id: lineId, message: '`id` must be' },
    { name: 'an empty id', line: { id: '', prompt: 'Hi' }, code: 'invalid_record', id: lineId, message: '`id` must be' },
    { name: 'an object custom_id', line: { custom_id: {}, prompt: 'Hi' }, code: 'invalid_record', id: lineId, message: '`custom_id` must be' },
    { name: 'a number prompt', line: { id: 'a', prompt: 5 }, code: 'invalid_record', id: 'a', message: '`prompt` must be a string' },
    { name: 'a number system', line: { id: 'a', prompt: 'Hi', system: 5 }, code: 'invalid_record', id: 'a', message: '`system` must be a string' },
    { name: 'prompt and messages', line: { id: 'a', prompt: 'Hi', messages: [user] }, code: 'invalid_record', id: 'a', message: 'not both' },
    { name: 'system with messages', line: { id: 'a', system: 'S', messages: [user] }, code: 'invalid_record', id: 'a', message: '`system` goes with `prompt`' },
    { name: 'empty messages', line: { id: 'a', messages: [] }, code: 'invalid_record', id: 'a', message: '`messages` must be a non-empty array of {role, content}' },
    { name: 'string messages', line: { id: 'a', messages: 'Hi' }, code: 'invalid_record', id: 'a', message: '`messages` must be a non-empty array' },
    { name: 'a message that is not an object', line: { id: 'a', messages: [user, 1] }, code: 'invalid_record', id: 'a', message: '`messages[1]` must be an object' },
    { name: 'an unknown role', line: { id: 'a', messages: [{ role: 'bot', content: 'x' }] }, code: 'invalid_record', id: 'a', message: '`messages[0].role` must be one of' },
    { name: 'a missing role', line: { id: 'a', messages: [{ content: 'x' }] }, code: 'invalid_record', id: 'a', message: '`messages[0].role`' },
    { name: 'a number content', line: { id: 'a', messages: [{ role: 'user', content: 5 }] }, code: 'invalid_record', id: 'a', message: '`messages[0].content` must be a string' },
    { name: 'null content on a user message', line: { id: 'a', messages: [{ role: 'user', content: null }] }, code: 'invalid_record', id: 'a', message: 'null only for an assistant' },
    { name: 'null content on an assistant without tool_calls', line: { id: 'a', messages: [user, { role: 'assistant', content: null }] }, code: 'invalid_record', id: 'a', message: '`messages[1].content`' },
    { name: 'empty content parts', line: { id: 'a', messages: [{ role: 'user', content: [] }] }, code: 'invalid_record', id: 'a', message: 'non-empty array of parts' },
    { name: 'content parts without type', line: { id: 'a', messages: [{ role: 'user', content: [{ text: 'x' }] }] }, code: 'invalid_record', id: 'a', message: 'array of parts' },
    { name: 'neither prompt nor messages', line: { id: 'a', question: 'Hi' }, code: 'invalid_record', id: 'a', message: 'needs `prompt`' },
    { name: 'an embeddings line in cache mode', line: { id: 'a', text: 'Hi' }, code: 'invalid_record', id: 'a', message: 'run it with --mode embeddings' },
    { name: 'an empty model', line: { id: 'a', model: '', prompt: 'Hi' }, code: 'invalid_record', id: 'a', message: '`model` must be a non-empty string' },
    { name: 'batch method GET', line: batch({ messages: [user] }, { method: 'GET' }), code: 'invalid_record', id: 'k', message: '`method` must be "POST"' },
    { name: 'batch unknown url', line: batch({ messages: [user] }, { url: '/v1/completions' }), code: 'invalid_record', id: 'k', message: '`url` must be "/v1/chat/completions"' },
    { name: 'batch embeddings url in cache mode', line: batch({ input: 'x' }, { url: EMBEDDINGS }), code: 'invalid_record', id: 'k', message: 'run it with --mode embeddings' },
    { name: 'batch body not an object', line: batch('x'), code: 'invalid_record', id: 'k', message: '`body` must be an object' },
    { name: 'batch body model a number', line: batch({ model: 5, messages: [user] }), code: 'invalid_record', id: 'k', message: '`body.model` must be' },
    { name: 'batch body without messages', line: batch({ prompt: 'Hi' }), code: 'invalid_record', id: 'k', message: '`body.messages` must be a non-empty array' },
    { name: 'embeddings text a number', line: { id: 'a', text: 5 }, mode: 'embeddings', code: 'invalid_record', id: 'a', message: '`text` must be a non-empty string' },
    { name: 'embeddings text empty', line: { id: 'a', text: '' }, mode: 'embeddings', code: 'invalid_record', id: 'a', message: '`text` must be a non-empty string' },
    { name: 'a chat line in embeddings mode', line: { id: 'a', prompt: 'Hi' }, mode: 'embeddings', code: 'invalid_record', id: 'a', message: 'run it with --mode cache' },
    { name: 'batch chat url in embeddings mode', line: batch({ messages: [user] }), mode: 'embeddings', code: 'invalid_record', id: 'k', message: 'run it with --mode cache' },
    { name: 'batch embeddings empty input array', line: batch({ input: [] }, { url: EMBEDDINGS }), mode: 'embeddings', code: 'invalid_record', id: 'k', message: '`body.input` must be' },
    { name: 'batch embeddings input of numbers', line: batch({ input: [1, 2] }, { url: EMBEDDINGS }), mode: 'embeddings', code: 'invalid_record', id: 'k', message: '`body.input` must be' },
  ];

  it.each(cases)('$name', ({ line, mode = 'cache', code, id, message }) => {
    const result = badLine(line, { mode });
    expect(result).toMatchObject({ code, id, line: LINE });
    expect(result.message).toContain(message);
  });

  it('reports an over-long line naming --max-line-bytes and the line number', () => {
    const result = badLine({ line: 12, tooLong: true, length: 9_000_000 } satisfies RawLine);
    expect(result).toMatchObject({ code: 'line_too_long', id: 'line-12', line: 12 });
    expect(result.message).toContain('--max-line-bytes');
    expect(result.message).toContain('line 12');
  });

  it('reports invalid UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('{"id":"a","prompt":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(badLine({ line: LINE, bytes } satisfies RawLine)).toMatchObject({ code: 'invalid_utf8', id: lineId });
  });

  it('reports a request nested too deeply to hash', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const line = `{"id":"deep","messages":[{"role":"user","content":"x","extra":${deep}}]}`;
    expect(badLine(line)).toMatchObject({ code: 'invalid_record', id: 'deep', message: 'the request is nested too deeply' });
  });
});

describe('normalizeLine: model', () => {
  it('throws MS_NO_MODEL for a line that needs a model when none is set', () => {
    let error: unknown;
    try {
      normalizeLine(rawLine({ id: 'a', prompt: 'Hi' }), options({ model: undefined }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'MS_NO_MODEL', exitCode: 2 });
    expect(`${(error as UsageError).message} ${(error as UsageError).hint}`).toMatch(/--model.*MEMSAFE_MODEL/);
  });

  it('needs no default model for a line that names its own', () => {
    const body = { model: 'gpt-x', messages: [{ role: 'user', content: 'Hi' }] };
    expect(job({ custom_id: 'b', method: 'POST', url: CHAT, body }, { model: undefined }).body).toEqual(body);
  });

  it('still reports a bad line as bad when no model is set', () => {
    expect(badLine({ id: 'a', prompt: 5 }, { model: undefined }).code).toBe('invalid_record');
  });
});

describe('normalizeLine: --max-context-tokens', () => {
  // One token per character of content and no framing, so the budgets below read directly.
  const charCounter: TokenCounter = {
    exact: true,
    countText: (text) => text.length,
    countMessages: (messages) => messages.reduce((sum, m) => sum + (typeof m.content === 'string' ? m.content.length : 0), 0),
  };
  const messages = [
    { role: 'system', content: 'ss' },
    { role: 'user', content: 'aaaa' },
    { role: 'assistant', content: 'bbbb' },
    { role: 'user', content: 'cc' },
  ];

  it('keeps a request that fits untouched', () => {
    const result = job({ id: 'a', messages }, { maxContextTokens: 12, tokenCounter: charCounter });
    expect(result).toMatchObject({ trimmed: false, estimatedTokens: 12 });
    expect(result.body['messages']).toEqual(messages);
  });

  it('cuts the oldest turns, keeps the system message, and hashes what it sends', () => {
    const result = job({ id: 'a', messages }, { maxContextTokens: 8, tokenCounter: charCounter });
    const kept = [messages[0], messages[2], messages[3]];
    expect(result).toMatchObject({ trimmed: true, estimatedTokens: 8 });
    expect(result.body['messages']).toEqual(kept);
    expect(result.hash).toBe(requestHash(CHAT, { model: 'default-model', messages: kept }));
  });

  it('fails with context_too_long, keeping the id, when not even the last message fits', () => {
    const result = badLine({ id: 'a', messages }, { maxContextTokens: 3, tokenCounter: charCounter });
    expect(result).toMatchObject({ code: 'context_too_long', id: 'a' });
    expect(result.message).toContain('--max-context-tokens 3');
  });
});
